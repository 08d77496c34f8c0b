"""Badges on the store's database (migration 0015): the awards, and the facts read from
the analytics aggregates (adapters/sql/analytics.py's tables)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from socialsync.adapters.sql.analytics import media_items, sessions
from socialsync.adapters.sql.engine import metadata
from socialsync.adapters.sql.store import SqlStore, _dialect_insert, _translate_errors
from socialsync.domain.badges import Award, BadgeKind, PartySession, SessionFact

CHUNK = 500

badge_awards = sa.Table(
    "badge_awards",
    metadata,
    sa.Column("tenant_id", sa.String(), primary_key=True),
    sa.Column("viewer", sa.String(), primary_key=True),
    sa.Column("kind", sa.String(), primary_key=True),
    sa.Column("ref", sa.String(), primary_key=True),
    sa.Column("n", sa.Integer(), nullable=False),
    sa.Column("earned_ms", sa.BigInteger(), nullable=False),
    sa.Index("ix_badge_awards_tenant_id_earned_ms", "tenant_id", "earned_ms"),
)


class SqlBadges:
    """``BadgeStore`` and ``BadgeFacts``."""

    def __init__(self, store: SqlStore) -> None:
        self._engine = store._engine
        self._writer = store._writer
        self._gate = store._write_gate

    async def _read(self, query: Any) -> list[Any]:
        with _translate_errors():
            async with self._engine.connect() as conn:
                return list(await conn.execute(query))

    async def award(self, awards: Sequence[Award]) -> int:
        if not awards:
            return 0
        c = badge_awards.c
        written = 0
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                for a in sorted(awards, key=lambda a: (a.tenant_id, a.viewer, a.kind.value, a.ref)):
                    insert = _dialect_insert(self._engine)(badge_awards).values(
                        tenant_id=a.tenant_id,
                        viewer=a.viewer,
                        kind=a.kind.value,
                        ref=a.ref,
                        n=a.n,
                        earned_ms=a.earned_ms,
                    )
                    x = insert.excluded
                    upsert = insert.on_conflict_do_update(
                        index_elements=[c.tenant_id, c.viewer, c.kind, c.ref],
                        set_={"n": x.n, "earned_ms": x.earned_ms},
                        where=x.n > c.n,
                    ).returning(c.viewer)
                    written += len((await conn.execute(upsert)).all())
        return written

    async def of(self, tenant_id: str, viewers: Sequence[str]) -> list[Award]:
        c = badge_awards.c
        out: list[Award] = []
        wanted = sorted(set(viewers))
        for i in range(0, len(wanted), CHUNK):
            query = (
                sa.select(badge_awards)
                .where(c.tenant_id == tenant_id, c.viewer.in_(wanted[i : i + CHUNK]))
                .order_by(c.viewer, c.kind, c.ref)
            )
            for r in await self._read(query):
                if r.kind in BadgeKind._value2member_map_:
                    out.append(Award(r.tenant_id, r.viewer, BadgeKind(r.kind), r.ref, r.n, r.earned_ms))
        return out

    async def erase(self, tenant_id: str, viewers: Sequence[str]) -> int:
        c = badge_awards.c
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                gone = await conn.execute(
                    sa.delete(badge_awards).where(
                        c.tenant_id == tenant_id, c.viewer.in_(sorted(set(viewers)))
                    )
                )
        return gone.rowcount or 0

    async def expire(self, tenant_id: str, before_ms: int) -> int:
        c = badge_awards.c
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                gone = await conn.execute(
                    sa.delete(badge_awards).where(c.tenant_id == tenant_id, c.earned_ms < before_ms)
                )
        return gone.rowcount or 0

    # ------------------------------------------------------------------ facts (the analytics aggregates)
    async def viewer_sessions(self, tenant_id: str, viewer: str) -> list[SessionFact]:
        s, o = sessions.alias("s"), sessions.alias("o")
        same_party = sa.and_(o.c.tenant_id == s.c.tenant_id, o.c.party_id == s.c.party_id)
        first = sa.select(sa.func.min(o.c.session_ms)).where(same_party).scalar_subquery()
        viewers = sa.select(sa.func.count(sa.distinct(o.c.viewer))).where(same_party).scalar_subquery()
        query = (
            sa.select(s.c.party_id, s.c.session_ms, s.c.started_ms, s.c.watch_ms, first, viewers)
            .where(s.c.tenant_id == tenant_id, s.c.viewer == viewer)
            .order_by(s.c.party_id, s.c.session_ms)
        )
        return [
            SessionFact(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5]))
            for r in await self._read(query)
        ]

    async def party_sessions(self, tenant_id: str, party_id: str) -> list[PartySession]:
        s, m = sessions.c, media_items.c
        query = (
            sa.select(s.viewer, s.ended_ms, s.reactions, m.live)
            .select_from(
                sessions.outerjoin(media_items, sa.and_(m.tenant_id == s.tenant_id, m.media_id == s.media_id))
            )
            .where(s.tenant_id == tenant_id, s.party_id == party_id)
            .order_by(s.viewer, s.session_ms)
        )
        return [PartySession(r[0], r[1] is not None, int(r[2]), bool(r[3])) for r in await self._read(query)]
