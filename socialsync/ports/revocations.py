"""Revoked tokens: by ``jti`` (one token) or by user (every token issued until then)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Revocation:
    """One revocation within a tenant: of the token ``jti``, or of every token of
    ``user_id`` issued at or before ``at_s`` (Unix seconds; a token without ``iat``
    counts as issued before)."""

    tenant_id: str
    at_s: int
    jti: str | None = None
    user_id: str | None = None

    def covers(self, tenant_id: str, user_id: str, jti: str | None, iat_s: int | None) -> bool:
        if tenant_id != self.tenant_id:
            return False
        if self.jti is not None and jti == self.jti:
            return True
        return self.user_id == user_id and (iat_s is None or iat_s <= self.at_s)


OnRevoked = Callable[[Revocation], Awaitable[None]]

# How long a node may take to learn of a revocation made on another node (``follow``).
FOLLOW_BOUND_S = 2.0


class Revocations(Protocol):
    """Where every node checks a token before trusting it, and learns of revocations
    so that it can close the sockets of revoked tokens.

    - ``revoke`` returns once the revocation is stored: from then on ``is_revoked`` on
      every node answers True for the tokens it covers, for ``keep_s`` (the tenant's
      maximum token lifetime: by then every token it covers has expired).
    - ``follow(on_revoked)`` runs until cancelled and hands every revocation made while
      it runs (on any node) to ``on_revoked`` at least once, within ``FOLLOW_BOUND_S``;
      it survives the store's outages (it resumes where it left off).
    - A store that cannot answer raises SyncError(unavailable): a token is then
      refused rather than trusted.

    Memory (one process, lost on restart: a test double), SQL (the embedded default:
    rows pruned after ``keep_s``, read by followers every half second) and Redis (keys
    with expiry, and a stream each node reads) implement it.
    """

    async def revoke(self, revocation: Revocation, keep_s: int) -> None: ...

    async def is_revoked(self, tenant_id: str, user_id: str, jti: str | None, iat_s: int | None) -> bool: ...

    async def follow(self, on_revoked: OnRevoked) -> None: ...
