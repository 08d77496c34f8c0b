"""Each tenant's active sanctions, cached on this node: the join gate the parties ask,
and what moderation's may-post checks read."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from socialsync.domain.errors import forbidden
from socialsync.domain.model import User
from socialsync.domain.moderation.sanctions import Sanction, SanctionKind, active_sanction
from socialsync.ports.moderation_store import ModerationStore

# A node re-reads a user's sanctions this often, so one placed through another
# node holds here within this time (this node's own take effect at once).
SANCTIONS_TTL_MS = 5_000


class SanctionBook:
    def __init__(self, store: ModerationStore) -> None:
        self.store = store
        # Each tenant's active sanctions by user, with when they were read: one query
        # per tenant every SANCTIONS_TTL_MS, not one per message (sanctions are few,
        # senders many). Dropped on this node's own writes, so they hold at once here.
        self._sanctions: dict[str, tuple[int, dict[str, list[Sanction]]]] = {}
        self._reading: dict[str, asyncio.Future[dict[str, list[Sanction]]]] = {}

    async def sanctions_of(self, user: User, now_ms: int) -> list[Sanction]:
        cached = self._sanctions.get(user.tenant_id)
        if cached is not None and now_ms - cached[0] < SANCTIONS_TTL_MS:
            by_user = cached[1]
        else:
            by_user = await self._read(user.tenant_id, now_ms)
        return [s for s in by_user.get(user.id, ()) if s.until_ms is None or s.until_ms > now_ms]

    def changed(self, tenant_id: str) -> None:
        """This node wrote the tenant's sanctions: re-read them on next use."""
        self._sanctions.pop(tenant_id, None)

    async def check_join(self, user: User, party_id: str, now_ms: int) -> None:
        """The parties' join gate: a banned user does not get in."""
        ban = active_sanction(await self.sanctions_of(user, now_ms), party_id, SanctionKind.BAN, now_ms)
        if ban is not None:
            raise forbidden("you are banned from this room")

    async def _read(self, tenant_id: str, now_ms: int) -> dict[str, list[Sanction]]:
        """One read per tenant at a time: the senders that find the cache stale
        together wait for the same query."""
        reading = self._reading.get(tenant_id)
        if reading is not None:
            return await asyncio.shield(reading)
        reading = self._reading[tenant_id] = asyncio.get_running_loop().create_future()
        try:
            by_user: dict[str, list[Sanction]] = defaultdict(list)
            for sanction in await self.store.tenant_sanctions(tenant_id, now_ms):
                by_user[sanction.user_id].append(sanction)
            self._sanctions[tenant_id] = (now_ms, by_user)
            reading.set_result(by_user)
            return by_user
        except BaseException as exc:
            reading.set_exception(exc)
            reading.exception()  # retrieved: the waiters, if any, get it too
            raise
        finally:
            del self._reading[tenant_id]
