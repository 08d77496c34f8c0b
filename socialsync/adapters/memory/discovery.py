"""Discovery's reads in this process (tests; ports/discovery.py), over a
``MemoryAnalyticsStore``."""

from __future__ import annotations

from collections.abc import Sequence

from socialsync.adapters.memory.analytics import MemoryAnalyticsStore
from socialsync.domain.analytics.events import Kind
from socialsync.domain.discovery import Activity, History


class MemoryDiscovery:
    def __init__(self, analytics: MemoryAnalyticsStore) -> None:
        self.analytics = analytics

    async def activity(self, tenant_id: str, party_ids: Sequence[str], since_ms: int) -> dict[str, Activity]:
        wanted = set(party_ids)
        counts: dict[str, list[int]] = {}
        for e in self.analytics._events:
            if e.tenant_id != tenant_id or e.party_id not in wanted or e.ts_ms < since_ms:
                continue
            if e.kind in (Kind.MESSAGE, Kind.REACTION):
                acc = counts.setdefault(e.party_id, [0, 0])
                acc[0 if e.kind is Kind.MESSAGE else 1] += 1
        return {p: Activity(m, r) for p, (m, r) in counts.items()}

    async def history(self, tenant_id: str, viewers: Sequence[str], since_ms: int) -> History:
        mine = set(viewers)
        media: dict[str, int] = {}
        for vkey, (_, view) in self.analytics._views.items():
            if vkey[0] == tenant_id and vkey[2] in mine and view.last_ms >= since_ms:
                media[view.media_id] = media.get(view.media_id, 0) + view.watch_ms
        sessions = [(k, r) for k, r in self.analytics._sessions.items() if k[0] == tenant_id]
        own = [(k, r) for k, r in sessions if k[2] in mine and r.last_ms >= since_ms]
        shared: dict[str, set[str]] = {}
        for key, row in own:
            end = row.ended_ms if row.ended_ms is not None else row.last_ms
            for other_key, other in sessions:
                if other_key[1] != key[1] or other_key[2] in mine:
                    continue
                other_end = other.ended_ms if other.ended_ms is not None else other.last_ms
                if other.started_ms < end and row.started_ms < other_end:
                    shared.setdefault(other_key[2], set()).add(key[1])
        return History(frozenset(mine), media, {v: len(p) for v, p in shared.items()})
