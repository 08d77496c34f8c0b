"""Token buckets for per-user rate limits. Time is passed in; nothing here sleeps."""

from __future__ import annotations

from dataclasses import dataclass


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
