"""Badges in this process (tests; ports/badges.py): the awards, and the facts read from
a ``MemoryAnalyticsStore``'s aggregates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from socialsync.adapters.memory.analytics import MemoryAnalyticsStore
from socialsync.domain.badges import Award, BadgeKind, PartySession, SessionFact

AwardKey = tuple[str, str, BadgeKind, str]


class MemoryBadges:
    def __init__(self) -> None:
        self._awards: dict[AwardKey, Award] = {}

    async def award(self, awards: Sequence[Award]) -> int:
        written = 0
        for a in awards:
            key = (a.tenant_id, a.viewer, a.kind, a.ref)
            held = self._awards.get(key)
            if held is None or a.n > held.n:
                self._awards[key] = a if held is None else replace(held, n=a.n, earned_ms=a.earned_ms)
                written += 1
        return written

    async def of(self, tenant_id: str, viewers: Sequence[str]) -> list[Award]:
        wanted = set(viewers)
        return sorted(
            (a for a in self._awards.values() if a.tenant_id == tenant_id and a.viewer in wanted),
            key=lambda a: (a.viewer, a.kind.value, a.ref),
        )

    async def erase(self, tenant_id: str, viewers: Sequence[str]) -> int:
        wanted = set(viewers)
        gone = [k for k in self._awards if k[0] == tenant_id and k[1] in wanted]
        for k in gone:
            del self._awards[k]
        return len(gone)

    async def expire(self, tenant_id: str, before_ms: int) -> int:
        gone = [k for k, a in self._awards.items() if k[0] == tenant_id and a.earned_ms < before_ms]
        for k in gone:
            del self._awards[k]
        return len(gone)


class MemoryBadgeFacts:
    def __init__(self, analytics: MemoryAnalyticsStore) -> None:
        self.analytics = analytics

    async def viewer_sessions(self, tenant_id: str, viewer: str) -> list[SessionFact]:
        rows = self.analytics._sessions
        mine = [(k, r) for k, r in rows.items() if k[0] == tenant_id and k[2] == viewer]
        out = []
        for key, row in sorted(mine, key=lambda kr: (kr[0][1], kr[0][3])):
            party = [k for k in rows if k[0] == tenant_id and k[1] == key[1]]
            out.append(
                SessionFact(
                    key[1],
                    key[3],
                    row.started_ms,
                    row.watch_ms,
                    min(k[3] for k in party),
                    len({k[2] for k in party}),
                )
            )
        return out

    async def party_sessions(self, tenant_id: str, party_id: str) -> list[PartySession]:
        media = self.analytics._media
        out = []
        for key, row in sorted(self.analytics._sessions.items()):
            if key[0] == tenant_id and key[1] == party_id:
                info = media.get((tenant_id, row.media_id or ""))
                live = info is not None and info.live
                out.append(PartySession(key[2], row.ended_ms is not None, row.reactions, live))
        return out
