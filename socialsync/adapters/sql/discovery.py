"""Discovery's reads on the store's database: the analytics events and aggregates
(adapters/sql/analytics.py's tables); nothing of its own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from socialsync.adapters.sql.analytics import events, sessions, views
from socialsync.adapters.sql.store import SqlStore, _translate_errors
from socialsync.domain.analytics.events import Kind
from socialsync.domain.discovery import Activity, History

CHUNK = 500
# The viewer's latest sessions looked at for co-viewers, at most.
MAX_OWN_SESSIONS = 500


class SqlDiscovery:
    def __init__(self, store: SqlStore) -> None:
        self._engine = store._engine

    async def _read(self, query: Any) -> list[Any]:
        with _translate_errors():
            async with self._engine.connect() as conn:
                return list(await conn.execute(query))

    async def activity(self, tenant_id: str, party_ids: Sequence[str], since_ms: int) -> dict[str, Activity]:
        c = events.c
        counts: dict[str, list[int]] = {}
        wanted = sorted(set(party_ids))
        kinds = [Kind.MESSAGE.value, Kind.REACTION.value]
        for i in range(0, len(wanted), CHUNK):
            query = (
                sa.select(c.party_id, c.kind, sa.func.count())
                .where(
                    c.tenant_id == tenant_id,
                    c.party_id.in_(wanted[i : i + CHUNK]),
                    c.ts_ms >= since_ms,
                    c.kind.in_(kinds),
                )
                .group_by(c.party_id, c.kind)
            )
            for party, kind, n in await self._read(query):
                counts.setdefault(party, [0, 0])[0 if kind == Kind.MESSAGE.value else 1] += int(n)
        return {p: Activity(m, r) for p, (m, r) in counts.items()}

    async def history(self, tenant_id: str, viewers: Sequence[str], since_ms: int) -> History:
        mine = sorted(set(viewers))
        if not mine:
            return History(frozenset(), {}, {})
        v = views.c
        watched = (
            sa.select(v.media_id, sa.func.sum(v.watch_ms))
            .where(v.tenant_id == tenant_id, v.viewer.in_(mine), v.last_ms >= since_ms)
            .group_by(v.media_id)
        )
        media = {str(m): int(ms or 0) for m, ms in await self._read(watched)}
        s = sessions.c
        own = (
            sa.select(s.party_id, s.started_ms, sa.func.coalesce(s.ended_ms, s.last_ms).label("end_ms"))
            .where(s.tenant_id == tenant_id, s.viewer.in_(mine), s.last_ms >= since_ms)
            .order_by(s.started_ms.desc())
            .limit(MAX_OWN_SESSIONS)
            .subquery("own")
        )
        o = sessions.alias("o")
        shared = (
            sa.select(o.c.viewer, sa.func.count(sa.distinct(o.c.party_id)))
            .select_from(own.join(o, sa.and_(o.c.tenant_id == tenant_id, o.c.party_id == own.c.party_id)))
            .where(
                o.c.viewer.not_in(mine),
                o.c.started_ms < own.c.end_ms,
                own.c.started_ms < sa.func.coalesce(o.c.ended_ms, o.c.last_ms),
            )
            .group_by(o.c.viewer)
        )
        coviewers = {str(viewer): int(n) for viewer, n in await self._read(shared)}
        return History(frozenset(mine), media, coviewers)
