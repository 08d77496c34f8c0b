"""Guest bans that hold across new guest identities, for a while.

A guest is anyone: banning its user id alone lets the same client come back as a
new guest at once. So the edge hands each guest's connection a fingerprint (a keyed
hash of address and user agent, never the address); a ban of a guest also bans the
fingerprints it connected with, in the same scope (the room, or the tenant), for
``ttl_ms`` (24 h by default). A guest whose fingerprint is banned is refused at
join (that room, or any with a tenant-wide ban) and at party creation (tenant-wide).
Signed-in users are not fingerprinted: their bans hold by their id, and others on
their network are not caught by them.
"""

from __future__ import annotations

from socialsync.domain.errors import forbidden
from socialsync.domain.identity import UserKey
from socialsync.domain.model import User
from socialsync.ports import Observer
from socialsync.ports.guest_marks import TENANT_WIDE, GuestMarks

DEFAULT_TTL_MS = 24 * 3_600_000


class GuestBans:
    def __init__(self, marks: GuestMarks, observer: Observer, ttl_ms: int = DEFAULT_TTL_MS) -> None:
        self.marks = marks
        self.observer = observer
        self.ttl_ms = ttl_ms

    async def seen(self, user: User, now_ms: int) -> None:
        """A guest connected: remember its fingerprint (for a ban to come)."""
        if self.ttl_ms > 0 and user.guest and user.fingerprint:
            await self.marks.remember(UserKey(user.tenant_id, user.id), user.fingerprint, self.ttl_ms, now_ms)

    async def banned(self, tenant_id: str, user_id: str, party_id: str | None, now_ms: int) -> None:
        """A moderator banned the user (from ``party_id``, or tenant-wide with None):
        ban the fingerprints it connected with as a guest, if any."""
        if self.ttl_ms <= 0:
            return
        scope = party_id or TENANT_WIDE
        for fingerprint in await self.marks.fingerprints(UserKey(tenant_id, user_id), now_ms):
            await self.marks.ban(tenant_id, fingerprint, scope, self.ttl_ms, now_ms)

    async def lifted(self, tenant_id: str, user_id: str, party_id: str | None, now_ms: int) -> None:
        scope = party_id or TENANT_WIDE
        for fingerprint in await self.marks.fingerprints(UserKey(tenant_id, user_id), now_ms):
            await self.marks.lift(tenant_id, fingerprint, scope)

    async def check(self, user: User, party_id: str | None, now_ms: int) -> None:
        """Refuse a guest whose client is banned (from ``party_id`` or the tenant)."""
        if not (user.guest and user.fingerprint):
            return
        scopes = [TENANT_WIDE] if party_id is None else [TENANT_WIDE, party_id]
        if await self.marks.banned(user.tenant_id, user.fingerprint, scopes, now_ms):
            self.observer.limited("guest_ban_fingerprint")
            raise forbidden(
                "you are banned from this room" if party_id else "you are banned from this tenant's rooms"
            )
