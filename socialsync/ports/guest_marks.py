"""Guest fingerprints: what makes a guest ban hold when the banned client comes back
as a new guest identity.

A fingerprint is a keyed hash (HMAC-SHA256 under a server key) of the client's
address and user agent, computed at the edge: the address itself is never stored.
Two things are kept, each expiring after the ttl it is given (24 h by default,
``guest_ban_ttl_s``): which fingerprints a guest connected with (``remember``), and
which fingerprints are banned, per scope (a party id, or ``TENANT_WIDE``).

Guarantees: memory: this node only (the embedded default); Redis: every node at
once. Nothing is kept beyond its ttl; entries are per tenant.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from socialsync.domain.identity import UserKey

# The scope of a tenant-wide ban (party ids never take this form).
TENANT_WIDE = "*"


class GuestMarks(Protocol):
    async def remember(self, guest: UserKey, fingerprint: str, ttl_ms: int, now_ms: int) -> None:
        """The guest connected with this fingerprint (kept ``ttl_ms``)."""
        ...

    async def fingerprints(self, guest: UserKey, now_ms: int) -> list[str]:
        """The fingerprints the guest connected with, unexpired."""
        ...

    async def ban(self, tenant_id: str, fingerprint: str, scope: str, ttl_ms: int, now_ms: int) -> None: ...

    async def lift(self, tenant_id: str, fingerprint: str, scope: str) -> None: ...

    async def banned(self, tenant_id: str, fingerprint: str, scopes: Sequence[str], now_ms: int) -> bool:
        """True if the fingerprint is banned in any of ``scopes``, unexpired."""
        ...
