"""Badges and streaks (docs/engagement.md), earned from the analytics event stream.

The analytics committer tells this service of each group of batches it committed
(``committed``: no I/O, a bounded set of what to look at). A task (``run_forever``, owned
by app.py) then looks again at each viewer who joined or left a party in them, and at
each party someone left: it reads the aggregates those events went into
(``BadgeFacts``), works out what they earn (domain/badges.py) and writes what is new or
higher (``BadgeStore``). Nothing is counted here: a badge is always what the aggregates
say, so a repeated or late look changes nothing. Only for tenants with badges on.

A joining member's badges are read here (``of_user``) and shown beside its name.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from socialsync.domain.analytics.events import Batch, Kind
from socialsync.domain.analytics.pseudonyms import Pseudonyms
from socialsync.domain.badges import Award, BadgeKind, changes, earned, shown, to_wire, top_reactors
from socialsync.domain.engagement import Engagement
from socialsync.domain.errors import SyncError
from socialsync.domain.model import User
from socialsync.domain.privacy import Retention
from socialsync.ports import Clock
from socialsync.ports.badges import BadgeFacts, BadgeStore

log = logging.getLogger("socialsync.badges")

# Viewers and parties waiting for a look, at most (beyond: looked at on their next join
# or leave instead).
MAX_PENDING = 20_000
# A joining user's badges are read once in this long.
SHOWN_TTL_MS = 10_000
MAX_SHOWN = 10_000

Switches = Callable[[str], Awaitable[Engagement]]
Shown = tuple[tuple[str, int], ...]


class BadgeService:
    name = "badges"  # the section of a user's export

    def __init__(
        self, store: BadgeStore, facts: BadgeFacts, clock: Clock, pseudonyms: Pseudonyms, switches: Switches
    ) -> None:
        self.store = store
        self.facts = facts
        self.clock = clock
        self.pseudonyms = pseudonyms
        self.switches = switches
        self._viewers: set[tuple[str, str]] = set()
        self._parties: set[tuple[str, str]] = set()
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()  # one look at a time: ``settle`` waits for the task's
        self._shown: OrderedDict[tuple[str, str], tuple[int, Shown]] = OrderedDict()
        self.dropped = 0

    # ------------------------------------------------------------------ from the committer
    def committed(self, batches: Sequence[Batch]) -> None:
        """What a commit may have changed (the analytics pipeline's ``on_committed``)."""
        for batch in batches:
            for e in batch.events:
                if e.viewer is None or e.kind not in (Kind.JOINED, Kind.LEFT):
                    continue
                self._add(self._viewers, (e.tenant_id, e.viewer))
                if e.kind is Kind.LEFT and e.party_id is not None:
                    self._add(self._parties, (e.tenant_id, e.party_id))
        if self._viewers or self._parties:
            self._wake.set()

    def _add(self, pending: set[tuple[str, str]], key: tuple[str, str]) -> None:
        if len(pending) < MAX_PENDING:
            pending.add(key)
        elif key not in pending:
            self.dropped += 1

    async def run_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.settle()
            except SyncError as exc:
                log.warning("badges not worked out: %s", exc.message)
                await asyncio.sleep(1)
            except Exception:  # a bug: logged, and the next commits are looked at still
                log.exception("badges not worked out")
                await asyncio.sleep(1)

    async def settle(self) -> int:
        """Look at everything pending now (after a look under way); the awards written."""
        async with self._lock:
            return await self._look()

    async def _look(self) -> int:
        viewers, self._viewers = self._viewers, set()
        parties, self._parties = self._parties, set()
        now = self.clock.now_ms()
        on: dict[str, bool] = {}
        awards: list[Award] = []
        for tenant, party in sorted(parties):
            if await self._on(on, tenant):
                sessions = await self.facts.party_sessions(tenant, party)
                awards += [
                    Award(tenant, v, BadgeKind.TOP_REACTOR, party, 1, now) for v in top_reactors(sessions)
                ]
        for tenant, viewer in sorted(viewers):
            if await self._on(on, tenant):
                current = earned(await self.facts.viewer_sessions(tenant, viewer))
                held = await self.store.of(tenant, [viewer])
                awards += [Award(tenant, viewer, k, "", n, now) for k, n in changes(current, held).items()]
        return await self.store.award(awards) if awards else 0

    async def _on(self, known: dict[str, bool], tenant_id: str) -> bool:
        if tenant_id not in known:
            known[tenant_id] = (await self.switches(tenant_id)).badges
        return known[tenant_id]

    # ------------------------------------------------------------------ shown beside names
    async def of_user(self, user: User) -> Shown:
        """The badges a joining member shows (none where the tenant has them off)."""
        if user.guest or not (await self.switches(user.tenant_id)).badges:
            return ()
        key, now = (user.tenant_id, user.id), self.clock.now_ms()
        cached = self._shown.get(key)
        if cached is not None and now - cached[0] < SHOWN_TTL_MS:
            return cached[1]
        awards = await self.store.of(user.tenant_id, self.pseudonyms.every(user.tenant_id, user.id))
        found = to_wire(shown(awards))
        self._shown[key] = (now, found)
        self._shown.move_to_end(key)
        while len(self._shown) > MAX_SHOWN:
            self._shown.popitem(last=False)
        return found

    # ------------------------------------------------------------------ personal data (services/privacy.py)
    async def export_user(self, tenant_id: str, user_id: str) -> list[dict[str, Any]]:
        awards = await self.store.of(tenant_id, self.pseudonyms.every(tenant_id, user_id))
        return [
            {"kind": a.kind.value, "n": a.n, "party": a.ref or None, "earned_at_ms": a.earned_ms}
            for a in awards
        ]

    async def erase_user(self, tenant_id: str, user_id: str, pseudonym: str = "") -> int:
        self._shown.pop((tenant_id, user_id), None)
        return await self.store.erase(tenant_id, self.pseudonyms.every(tenant_id, user_id))

    async def expire(self, tenant_id: str, policy: Retention, now_ms: int) -> dict[str, int]:
        """Badges last as long as the aggregates they are earned from."""
        return {
            "badges": await self.store.expire(tenant_id, policy.cutoff_ms("analytics_aggregates", now_ms))
        }
