"""Per client address limits, in memory only (never stored): handshakes, open
sockets and new guest identities. The address is the peer's, or the last hop of
``X-Forwarded-For`` when the node sits behind a balancer that sets it
(``forwarded_for``): never both, so a client cannot choose its own."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from socialsync.domain.errors import Code, SyncError
from socialsync.domain.ratelimit import Limit, TokenBucket
from socialsync.ports import Observer

HOUR_MS = 3_600_000
# Addresses remembered at most; full buckets are forgotten first.
MAX_ADDRESSES = 100_000


@dataclass(frozen=True)
class AbuseLimits:
    """Built from the configuration (socialsync/config.py holds the defaults)."""

    connections_per_address: int = 64
    handshakes: Limit = Limit(burst=40, per_s=4)
    guests_per_address_per_hour: int = 20
    forwarded_for: bool = False


def client_address(request: web.BaseRequest, forwarded_for: bool) -> str:
    if forwarded_for:
        hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
        if hops:
            return hops[-1][:64]
    return request.remote or "unknown"


def environ_address(environ: Any, forwarded_for: bool) -> str:
    request = environ.get("aiohttp.request") if isinstance(environ, dict) else None
    return client_address(request, forwarded_for) if request is not None else "unknown"


class AddressBook:
    def __init__(self, limits: AbuseLimits, observer: Observer) -> None:
        self.limits = limits
        self.observer = observer
        self._handshakes: dict[str, TokenBucket] = {}
        self._open: dict[str, int] = defaultdict(int)
        self._guests: dict[str, deque[int]] = {}

    def handshake(self, address: str, now_ms: int) -> None:
        """A new connection from ``address``: rate_limited beyond the handshake rate."""
        bucket = self._handshakes.get(address)
        if bucket is None:
            if len(self._handshakes) >= MAX_ADDRESSES:
                for key in [k for k, b in self._handshakes.items() if b.full_at_ms() <= now_ms]:
                    del self._handshakes[key]
            bucket = self._handshakes[address] = TokenBucket(self.limits.handshakes, now_ms)
        wait_s = bucket.take(now_ms)
        if wait_s:
            self.observer.limited("handshakes_per_address")
            raise SyncError(Code.RATE_LIMITED, "too many new connections", retry_after_s=wait_s)

    def open(self, address: str) -> None:
        """A socket of ``address`` opens: rate_limited beyond the open sockets per address."""
        if self._open[address] >= self.limits.connections_per_address:
            self.observer.limited("connections_per_address")
            raise SyncError(Code.RATE_LIMITED, "too many connections from your address")
        self._open[address] += 1

    def close(self, address: str) -> None:
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]

    def open_count(self, address: str) -> int:
        return self._open.get(address, 0)

    def new_guest(self, address: str, now_ms: int) -> None:
        """A new guest identity for ``address``: rate_limited beyond the hourly number."""
        times = self._guests.get(address)
        if times is None:
            if len(self._guests) >= MAX_ADDRESSES:
                del self._guests[next(iter(self._guests))]
            times = self._guests[address] = deque()
        while times and times[0] <= now_ms - HOUR_MS:
            times.popleft()
        if len(times) >= self.limits.guests_per_address_per_hour:
            self.observer.limited("guests_per_address")
            raise SyncError(
                Code.RATE_LIMITED,
                "too many new guests from your address: sign in, or wait",
                retry_after_s=(times[0] + HOUR_MS - now_ms) / 1000,
            )
        times.append(now_ms)
