"""Discovery (docs/engagement.md): a tenant's live rooms and public parties, ranked for
a platform's home page by what happens in them now and by what the viewer watched
before (domain/discovery.py). Reads the parties' live state, and the analytics event
stream and aggregates (``DiscoverySource``); records nothing. A viewer's history is
found by its pseudonym (the analytics' keyed hash of tenant and user id, under every
configured key), and the members present by theirs, in memory.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from socialsync.domain.analytics.events import media_id_of
from socialsync.domain.analytics.pseudonyms import Pseudonyms
from socialsync.domain.discovery import ACTIVITY_WINDOW_MS, Candidate, Ranked, rank
from socialsync.domain.errors import forbidden
from socialsync.domain.model import Party, User
from socialsync.domain.privacy import DAY_MS
from socialsync.ports.discovery import DiscoverySource
from socialsync.services.parties import PartyService

# The viewer's history over this long (its sessions' last activity).
HISTORY_MS = 365 * DAY_MS
# Members of one party whose pseudonyms are worked out for "friends here", at most.
MAX_PRESENT = 1_000
PSEUDONYM_CACHE = 50_000


@dataclass(frozen=True)
class Found:
    user: str | None  # whose history ranked them (None: activity only)
    generated_at_ms: int
    window_ms: int
    items: list[tuple[Ranked, Party]]


class DiscoveryService:
    def __init__(self, parties: PartyService, source: DiscoverySource, pseudonyms: Pseudonyms) -> None:
        self.parties = parties
        self.source = source
        self.pseudonyms = pseudonyms
        self.clock = parties.clock
        self._names: OrderedDict[tuple[str, str], str] = OrderedDict()

    def _pseudonym(self, tenant_id: str, user_id: str) -> str:
        key = (tenant_id, user_id)
        found = self._names.get(key)
        if found is None:
            found = self._names[key] = self.pseudonyms.of(tenant_id, user_id)
            if len(self._names) > PSEUDONYM_CACHE:
                self._names.popitem(last=False)
        return found

    def whose(self, actor: User, user_id: str | None, *, by_key: bool) -> str | None:
        """Whose history ranks the list: ``user_id`` (the caller's own, or anyone's for
        the tenant's staff and API keys), else the caller's own (a person), else nobody."""
        if user_id is None:
            return None if by_key else actor.id
        if user_id != actor.id and not actor.is_staff:
            raise forbidden("only the tenant's staff may rank parties by another user's history")
        return user_id

    async def discover(self, actor: User, user_id: str | None, limit: int, *, by_key: bool = False) -> Found:
        whose = self.whose(actor, user_id, by_key=by_key)
        tenant = actor.tenant_id
        now = self.clock.now_ms()
        listed = [p for p in await self.parties.list(actor) if p.is_live_room or p.settings.public]
        candidates = [self._candidate(p) for p in listed]
        activity = await self.source.activity(tenant, [p.id for p in listed], now - ACTIVITY_WINDOW_MS)
        history = None
        if whose is not None:
            history = await self.source.history(
                tenant, self.pseudonyms.every(tenant, whose), now - HISTORY_MS
            )
        by_id = {p.id: p for p in listed}
        ranked = rank(candidates, activity, history)[:limit]
        return Found(whose, now, ACTIVITY_WINDOW_MS, [(r, by_id[r.party_id]) for r in ranked])

    def _candidate(self, party: Party) -> Candidate:
        present = [m.user_id for m in party.members.values() if m.connected]
        return Candidate(
            party.id,
            media_id_of(party.playback.media.url),
            party.created_at_ms,
            len(present),
            len(party.members),
            party.settings.max_members,
            frozenset(self._pseudonym(party.tenant_id, u) for u in present[:MAX_PRESENT]),
        )
