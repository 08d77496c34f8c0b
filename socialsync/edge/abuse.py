"""Per client address limits, in memory only (never stored): handshakes, open
sockets and new guest identities. The address is the peer's, or the last hop of
``X-Forwarded-For`` when the node sits behind a balancer that sets it
(``forwarded_for``): never both, so a client cannot choose its own."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web

from socialsync.domain.errors import Code, SyncError
from socialsync.domain.model import User
from socialsync.domain.ratelimit import Buckets, Limit, Windows
from socialsync.ports import Observer
from socialsync.services.guest_bans import GuestBans

log = logging.getLogger("socialsync.abuse")

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


def environ_user_agent(environ: Any) -> str:
    request = environ.get("aiohttp.request") if isinstance(environ, dict) else None
    return request.headers.get("User-Agent", "")[:512] if request is not None else ""


class Fingerprints:
    """A guest's client as a keyed hash: HMAC-SHA256(key, address, user agent). The
    address cannot be read back from it without the key, and the key never leaves the
    server (``fingerprint_key``; random per process when unset, which a cluster must not
    leave it: every node needs the same)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def of(self, address: str, user_agent: str) -> str:
        message = f"{address}\n{user_agent}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]


class AddressBook:
    def __init__(self, limits: AbuseLimits, observer: Observer) -> None:
        self.limits = limits
        self.observer = observer
        self._handshakes: Buckets[str] = Buckets(MAX_ADDRESSES)
        self._open: dict[str, int] = defaultdict(int)
        self._guests: Windows[tuple[str, str]] = Windows(HOUR_MS, MAX_ADDRESSES)

    def handshake(self, address: str, now_ms: int) -> None:
        """A new connection from ``address``: rate_limited beyond the handshake rate."""
        wait_s = self._handshakes.take(address, self.limits.handshakes, now_ms)
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

    def new_guest(self, address: str, now_ms: int, tenant_id: str = "", per_hour: int | None = None) -> None:
        """A new guest identity of the tenant for ``address``: rate_limited beyond the
        hourly number (the tenant's own, else ``guests_per_address_per_hour``)."""
        limit = self.limits.guests_per_address_per_hour if per_hour is None else per_hour
        wait_s = self._guests.take((tenant_id, address), limit, now_ms)
        if wait_s:
            self.observer.limited("guests_per_address")
            raise SyncError(
                Code.RATE_LIMITED,
                "too many new guests from your address: sign in, or wait",
                retry_after_s=wait_s,
            )


class GuestGate:
    """Guests at CONNECT: new identities counted per tenant and address against the
    tenant's limit; each guest's connection fingerprinted (``Fingerprints``) and
    remembered, so that banning the guest bans its client for a while
    (services/guest_bans.py)."""

    def __init__(
        self,
        addresses: AddressBook,
        fingerprints: Fingerprints,
        bans: GuestBans,
        limit_of: Callable[[str], Awaitable[int]],
        default_tenant: str,
    ) -> None:
        self.addresses = addresses
        self.fingerprints = fingerprints
        self.bans = bans
        self.limit_of = limit_of
        self.default_tenant = default_tenant

    async def new_guest(self, auth: Mapping[str, Any], address: str, now_ms: int) -> None:
        """``auth`` asks for a new guest identity: rate_limited beyond the tenant's number."""
        tenant = auth.get("tenant", self.default_tenant)
        tenant = tenant if isinstance(tenant, str) and len(tenant) <= 128 else ""
        self.addresses.new_guest(address, now_ms, tenant, await self.limit_of(tenant) if tenant else None)

    async def admitted(self, user: User, environ: Any, address: str, now_ms: int) -> User:
        """The user with its connection's fingerprint, if a guest (remembered)."""
        if not user.guest:
            return user
        user = replace(user, fingerprint=self.fingerprints.of(address, environ_user_agent(environ)))
        try:
            await self.bans.seen(user, now_ms)
        except SyncError as exc:  # Redis away: the guest gets in, its ban holds by id only
            log.warning("guest fingerprint not remembered: %s", exc.message)
        return user
