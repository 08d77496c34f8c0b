"""Who may join a party and who may create one: the parties' gate.

Joining: not while banned from the room or the tenant. Creating: not while banned
from the tenant, and at most ``parties_per_hour`` parties per user in any hour
(counted on this node; a user's sockets normally reach one node).
"""

from __future__ import annotations

from collections import deque

from socialsync.domain.errors import Code, SyncError, forbidden
from socialsync.domain.identity import UserKey
from socialsync.domain.model import User
from socialsync.domain.moderation.sanctions import SanctionKind
from socialsync.ports import Observer
from socialsync.services.sanctions import SanctionBook

HOUR_MS = 3_600_000
# Users whose quota windows are remembered at most (the oldest go first).
MAX_TRACKED = 100_000


class Admission:
    def __init__(self, sanctions: SanctionBook, observer: Observer, parties_per_hour: int) -> None:
        self.sanctions = sanctions
        self.observer = observer
        self.parties_per_hour = parties_per_hour
        self._created: dict[UserKey, deque[int]] = {}

    async def check_join(self, user: User, party_id: str, now_ms: int) -> None:
        await self.sanctions.check_join(user, party_id, now_ms)

    async def check_create(self, user: User, now_ms: int) -> None:
        for sanction in await self.sanctions.sanctions_of(user, now_ms):
            if sanction.kind is SanctionKind.BAN and sanction.party_id is None and sanction.active(now_ms):
                raise forbidden("you are banned from this tenant's rooms")
        key = UserKey(user.tenant_id, user.id)
        times = self._created.get(key)
        if times is None:
            if len(self._created) >= MAX_TRACKED:
                del self._created[next(iter(self._created))]
            times = self._created[key] = deque()
        while times and times[0] <= now_ms - HOUR_MS:
            times.popleft()
        if len(times) >= self.parties_per_hour:
            self.observer.limited("parties_per_hour")
            raise SyncError(
                Code.RATE_LIMITED,
                f"at most {self.parties_per_hour} new parties an hour",
                retry_after_s=(times[0] + HOUR_MS - now_ms) / 1000,
            )
        times.append(now_ms)
