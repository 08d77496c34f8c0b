"""Token buckets for per-user rate limits. Time is passed in; nothing here sleeps."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Limit:
    """``burst`` actions at once, refilled at ``per_s`` actions a second."""

    burst: float
    per_s: float


class TokenBucket:
    __slots__ = ("limit", "tokens", "updated_ms")

    def __init__(self, limit: Limit, now_ms: int) -> None:
        self.limit = limit
        self.tokens = limit.burst
        self.updated_ms = now_ms

    def take(self, now_ms: int, cost: float = 1.0) -> float:
        """Take ``cost`` tokens. Returns 0 when allowed, else the seconds until it would be."""
        elapsed_s = max(0, now_ms - self.updated_ms) / 1000
        self.tokens = min(self.limit.burst, self.tokens + elapsed_s * self.limit.per_s)
        self.updated_ms = now_ms
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        return (cost - self.tokens) / self.limit.per_s

    def full_at_ms(self) -> int:
        """When the bucket will be full again (so an idle one can be forgotten)."""
        missing = self.limit.burst - self.tokens
        return self.updated_ms + int(1000 * missing / self.limit.per_s)


class Buckets(Generic[K]):
    """A token bucket per key, made on first use. Past ``max_size`` keys, the full
    buckets are forgotten: a full bucket is the same as a new one, so nothing is lost."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._buckets: dict[K, TokenBucket] = {}

    def take(self, key: K, limit: Limit, now_ms: int) -> float:
        """A token of ``key``'s bucket: 0 when allowed, else the seconds until it would be."""
        return self.bucket(key, limit, now_ms).take(now_ms)

    def bucket(self, key: K, limit: Limit, now_ms: int) -> TokenBucket:
        """``key``'s bucket, made full on first use (to read what is left after a take)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_size:
                for old in [k for k, b in self._buckets.items() if b.full_at_ms() <= now_ms]:
                    del self._buckets[old]
            bucket = self._buckets[key] = TokenBucket(limit, now_ms)
        return bucket


class Windows(Generic[K]):
    """At most N actions per key in any ``window_ms`` (a sliding window of their times),
    for quotas counted in whole actions (parties an hour, guests an hour). Past
    ``max_size`` keys, the oldest key is forgotten."""

    def __init__(self, window_ms: int, max_size: int) -> None:
        self.window_ms = window_ms
        self.max_size = max_size
        self._times: dict[K, deque[int]] = {}

    def take(self, key: K, limit: int, now_ms: int) -> float:
        """Count one action of ``key``: 0 when allowed, else the seconds until it would be."""
        times = self._times.get(key)
        if times is None:
            if len(self._times) >= self.max_size:
                del self._times[next(iter(self._times))]
            times = self._times[key] = deque()
        while times and times[0] <= now_ms - self.window_ms:
            times.popleft()
        if len(times) >= limit:
            return (times[0] + self.window_ms - now_ms) / 1000 if times else self.window_ms / 1000
        times.append(now_ms)
        return 0.0
