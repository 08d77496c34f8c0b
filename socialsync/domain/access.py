"""Who calls the REST API, and what an API key may do.

A platform's backend calls with an API key (scoped, docs/api.md); a person calls with
their signed token (their roles decide, as on the socket). Both become a ``Caller``:
``user`` is who the services see acting (for a key, a staff user named after the key),
``scopes`` is what the key grants, or None for a person's token (no scope check: the
services check roles, as for socket events).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from socialsync.domain.errors import Code, SyncError
from socialsync.domain.model import User


class Scope(StrEnum):
    PARTIES_WRITE = "parties:write"  # parties, members, invites, viewer/host tokens, chat export
    MODERATION_WRITE = "moderation:write"  # terms, bans, timeouts, the review queue, audit, clips
    ANALYTICS_READ = "analytics:read"
    USERS_ADMIN = "users:admin"  # export, erasure, retention, consents, moderator tokens, revocation
    WEBHOOKS_ADMIN = "webhooks:admin"  # webhook endpoints, deliveries, redelivery; tenant settings


@dataclass(frozen=True, slots=True)
class Caller:
    user: User
    scopes: frozenset[Scope] | None = None  # None: a person's token
    key_id: str | None = None  # the API key's id, when called with one

    def require(self, scope: Scope) -> None:
        """Refuse a key without ``scope``; a person's token passes (roles decide later).
        A guest never uses the REST API."""
        if self.user.guest:
            raise SyncError(Code.FORBIDDEN, "guests cannot use the REST API")
        if self.scopes is not None and scope not in self.scopes:
            raise SyncError(Code.FORBIDDEN, f"this API key lacks the scope {scope.value}")
