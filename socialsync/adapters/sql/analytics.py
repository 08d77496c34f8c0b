"""AnalyticsStore on the shared database (SQLite embedded, PostgreSQL in a cluster).

A commit is one transaction: the batch ids (a batch committed before is skipped), the
raw events, then the aggregates of domain.analytics.fold as upserts: counters add
(``x = x + excluded.x``), first and last times keep the least and the greatest. The
views a batch watched are read first for their coverage: on PostgreSQL locked
(``FOR UPDATE``, after a placeholder insert so that a new view is locked too, in key
order so that two nodes' commits cannot deadlock); on SQLite the transaction holds the
write lock from its start.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from socialsync.adapters.sql.engine import metadata
from socialsync.adapters.sql.store import SqlStore, _dialect_insert, _translate_errors
from socialsync.domain.analytics import coverage
from socialsync.domain.analytics.events import Batch, Event, Kind, MediaInfo
from socialsync.domain.analytics.fold import DAY_MS, Fold, ViewKey, fold, tombstone, view_keys, without_erased
from socialsync.domain.analytics.metrics import OPEN_LIMIT_MS, PositionRow, RefInfo, SessionRow, ViewRow
from socialsync.ports.analytics import Scope

# Committed batch ids are remembered this long (a claim lapses within minutes).
BATCH_MEMORY_MS = 2 * DAY_MS
# Rows per statement for long IN lists and inserts.
CHUNK = 500

_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

events = sa.Table(
    "analytics_events",
    metadata,
    sa.Column("id", _id, primary_key=True, autoincrement=True),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("ts_ms", sa.BigInteger(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("party_id", sa.String(), nullable=True),
    sa.Column("viewer", sa.String(), nullable=True),
    sa.Column("session_ms", sa.BigInteger(), nullable=True),
    sa.Column("media_id", sa.String(), nullable=True),
    sa.Column("pos_s", sa.Double(), nullable=True),
    sa.Column("to_s", sa.Double(), nullable=True),
    sa.Column("end_ms", sa.BigInteger(), nullable=True),
    sa.Column("ref", sa.String(), nullable=True),
    sa.Column("value", sa.String(), nullable=True),
    sa.Index("ix_analytics_events_tenant_ts", "tenant_id", "ts_ms"),
    sa.Index("ix_analytics_events_tenant_party_ts", "tenant_id", "party_id", "ts_ms"),
    sa.Index("ix_analytics_events_tenant_viewer", "tenant_id", "viewer"),
)

sessions = sa.Table(
    "analytics_sessions",
    metadata,
    sa.Column("tenant_id", sa.String(), primary_key=True),
    sa.Column("party_id", sa.String(), primary_key=True),
    sa.Column("viewer", sa.String(), primary_key=True),
    sa.Column("session_ms", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("media_id", sa.String(), nullable=True),
    sa.Column("started_ms", sa.BigInteger(), nullable=False),
    sa.Column("last_ms", sa.BigInteger(), nullable=False),
    sa.Column("ended_ms", sa.BigInteger(), nullable=True),
    sa.Column("ref", sa.String(), nullable=True),
    sa.Column("watch_ms", sa.BigInteger(), nullable=False),
    sa.Column("messages", sa.Integer(), nullable=False),
    sa.Column("reactions", sa.Integer(), nullable=False),
    sa.Index("ix_analytics_sessions_tenant_started", "tenant_id", "started_ms"),
    sa.Index("ix_analytics_sessions_tenant_ref", "tenant_id", "ref"),
    sa.Index("ix_analytics_sessions_tenant_viewer", "tenant_id", "viewer"),
)

views = sa.Table(
    "analytics_views",
    metadata,
    sa.Column("tenant_id", sa.String(), primary_key=True),
    sa.Column("party_id", sa.String(), primary_key=True),
    sa.Column("viewer", sa.String(), primary_key=True),
    sa.Column("session_ms", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("media_id", sa.String(), primary_key=True),
    sa.Column("started_ms", sa.BigInteger(), nullable=False),
    sa.Column("first_ms", sa.BigInteger(), nullable=False),
    sa.Column("last_ms", sa.BigInteger(), nullable=False),
    sa.Column("watch_ms", sa.BigInteger(), nullable=False),
    sa.Column("messages", sa.Integer(), nullable=False),
    sa.Column("reactions", sa.Integer(), nullable=False),
    sa.Column("coverage", sa.JSON(), nullable=False),
    sa.Index("ix_analytics_views_tenant_media_started", "tenant_id", "media_id", "started_ms"),
    sa.Index("ix_analytics_views_tenant_viewer", "tenant_id", "viewer"),
)

positions = sa.Table(
    "analytics_positions",
    metadata,
    sa.Column("tenant_id", sa.String(), primary_key=True),
    sa.Column("media_id", sa.String(), primary_key=True),
    sa.Column("day_ms", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("second", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("viewers", sa.Integer(), nullable=False),
    sa.Column("rewatches", sa.Integer(), nullable=False),
    sa.Column("messages", sa.Integer(), nullable=False),
    sa.Column("reactions", sa.Integer(), nullable=False),
)

refs = sa.Table(
    "analytics_refs",
    metadata,
    sa.Column("tenant_id", sa.String(), primary_key=True),
    sa.Column("ref", sa.String(), primary_key=True),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("party_id", sa.String(), nullable=True),
    sa.Column("media_id", sa.String(), nullable=True),
    sa.Column("created_ms", sa.BigInteger(), nullable=False),
    sa.Column("viewer", sa.String(), nullable=True),
    sa.Column("opens", sa.Integer(), nullable=False),
    sa.Index("ix_analytics_refs_tenant_created", "tenant_id", "created_ms"),
)

tallies = sa.Table(
    "analytics_tallies",
    metadata,
    sa.Column("tenant_id", sa.String(), primary_key=True),
    sa.Column("kind", sa.String(), primary_key=True),
    sa.Column("ref", sa.String(), primary_key=True),
    sa.Column("value", sa.String(), primary_key=True),
    sa.Column("count", sa.Integer(), nullable=False),
)

media_items = sa.Table(
    "analytics_media",
    metadata,
    sa.Column("tenant_id", sa.String(), primary_key=True),
    sa.Column("media_id", sa.String(), primary_key=True),
    sa.Column("url", sa.Text(), nullable=False),
    sa.Column("title", sa.Text(), nullable=True),
    sa.Column("duration_s", sa.Double(), nullable=True),
    sa.Column("live", sa.Boolean(), nullable=False),
)

batches = sa.Table(
    "analytics_batches",
    metadata,
    sa.Column("batch_id", sa.String(), primary_key=True),
    sa.Column("committed_ms", sa.BigInteger(), nullable=False),
    sa.Index("ix_analytics_batches_committed", "committed_ms"),
)

# Viewers erased lately (a hash of the pseudonym, kept BATCH_MEMORY_MS): their events
# still on their way from a node when the erasure ran are dropped at commit.
erased = sa.Table(
    "analytics_erased",
    metadata,
    sa.Column("tenant_id", sa.String(), primary_key=True),
    sa.Column("viewer", sa.String(), primary_key=True),
    sa.Column("erased_ms", sa.BigInteger(), nullable=False),
)

_VIEW_KEY = (views.c.tenant_id, views.c.party_id, views.c.viewer, views.c.session_ms, views.c.media_id)


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class SqlAnalyticsStore:
    def __init__(self, store: SqlStore) -> None:
        self._engine = store._engine
        self._writer = store._writer
        self._gate = store._write_gate
        self._clock = store._clock
        self._postgres = self._engine.dialect.name == "postgresql"
        self._commits = 0

    # ------------------------------------------------------------------ helpers
    def _least(self, a: Any, b: Any) -> Any:
        return sa.func.least(a, b) if self._postgres else sa.func.min(a, b)

    def _greatest(self, a: Any, b: Any) -> Any:
        return sa.func.greatest(a, b) if self._postgres else sa.func.max(a, b)

    async def _read(self, query: Any) -> list[Any]:
        with _translate_errors():
            async with self._engine.connect() as conn:
                return list(await conn.execute(query))

    # ------------------------------------------------------------------ commit
    async def commit(self, found: Sequence[Batch]) -> int:
        if not found:
            return 0
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                written = await self._commit(conn, found)
        self._commits += 1
        if self._commits % 100 == 1:
            await self._prune_batches()
        return written

    async def _commit(self, conn: AsyncConnection, found: Sequence[Batch]) -> int:
        unique = list({b.batch_id: b for b in reversed(found)}.values())[::-1]  # each id once, the first
        now = self._clock.now_ms()
        # Claim the ids: one committed before (or by another node meanwhile, which this
        # insert waits for on PostgreSQL) is skipped.
        insert = _dialect_insert(self._engine)(batches).values(
            [{"batch_id": b.batch_id, "committed_ms": now} for b in unique]
        )
        claimed = {
            r[0] for r in await conn.execute(insert.on_conflict_do_nothing().returning(batches.c.batch_id))
        }
        fresh = [b for b in unique if b.batch_id in claimed]
        if not fresh:
            return 0
        todo = without_erased((e for b in fresh for e in b.events), await self._erased(conn, fresh))
        for rows in _chunks([_event_row(e) for e in todo]):
            await conn.execute(sa.insert(events), list(rows))
        await self._media(conn, [m for b in fresh for m in b.media])
        covered = await self._coverage(conn, sorted(view_keys(todo)))
        done = fold(todo, covered)
        await self._sessions(conn, done)
        await self._views(conn, done)
        await self._positions(conn, done)
        await self._refs(conn, done)
        return len(todo)

    async def _erased(self, conn: AsyncConnection, found: Sequence[Batch]) -> set[tuple[str, str]]:
        named = sorted(
            {(e.tenant_id, tombstone(e.viewer)) for b in found for e in b.events if e.viewer is not None}
        )
        out: set[tuple[str, str]] = set()
        c = erased.c
        for chunk in _chunks(named):
            query = sa.select(c.tenant_id, c.viewer).where(sa.tuple_(c.tenant_id, c.viewer).in_(list(chunk)))
            out |= {(r[0], r[1]) for r in await conn.execute(query)}
        return out

    async def _media(self, conn: AsyncConnection, found: Sequence[MediaInfo]) -> None:
        rows = {(m.tenant_id, m.media_id): m for m in found}
        for m in sorted(rows.values(), key=lambda m: (m.tenant_id, m.media_id)):
            insert = _dialect_insert(self._engine)(media_items).values(
                tenant_id=m.tenant_id,
                media_id=m.media_id,
                url=m.url,
                title=m.title,
                duration_s=m.duration_s,
                live=m.live,
            )
            await conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[media_items.c.tenant_id, media_items.c.media_id],
                    set_={"url": m.url, "title": m.title, "duration_s": m.duration_s, "live": m.live},
                )
            )

    async def _coverage(
        self, conn: AsyncConnection, keys: Sequence[ViewKey]
    ) -> dict[ViewKey, coverage.Intervals]:
        out: dict[ViewKey, coverage.Intervals] = {}
        for chunk in _chunks(keys):
            if self._postgres:
                # A placeholder for each new view, so that it is locked too.
                placeholder = [_view_row(k, k[3], k[3], k[3], ()) for k in chunk]
                await conn.execute(
                    _dialect_insert(self._engine)(views).values(placeholder).on_conflict_do_nothing()
                )
            query = sa.select(*_VIEW_KEY, views.c.coverage).where(sa.tuple_(*_VIEW_KEY).in_(list(chunk)))
            if self._postgres:
                query = query.order_by(*_VIEW_KEY).with_for_update()
            for row in await conn.execute(query):
                out[(row[0], row[1], row[2], row[3], row[4])] = coverage.from_data(row[5])
        return out

    async def _sessions(self, conn: AsyncConnection, done: Fold) -> None:
        rows = [
            {
                "tenant_id": k[0],
                "party_id": k[1],
                "viewer": k[2],
                "session_ms": k[3],
                "media_id": d.media_id,
                "started_ms": d.started_ms,
                "last_ms": d.last_ms,
                "ended_ms": d.ended_ms,
                "ref": d.ref,
                "watch_ms": d.watch_ms,
                "messages": d.messages,
                "reactions": d.reactions,
            }
            for k, d in sorted(done.sessions.items())
        ]
        if not rows:
            return
        insert = _dialect_insert(self._engine)(sessions)
        x, c = insert.excluded, sessions.c
        upsert = insert.on_conflict_do_update(
            index_elements=[c.tenant_id, c.party_id, c.viewer, c.session_ms],
            set_={
                "media_id": sa.func.coalesce(c.media_id, x.media_id),
                "started_ms": self._least(c.started_ms, x.started_ms),
                "last_ms": self._greatest(c.last_ms, x.last_ms),
                "ended_ms": sa.case(
                    (x.ended_ms.is_(None), c.ended_ms),
                    else_=self._greatest(sa.func.coalesce(c.ended_ms, 0), x.ended_ms),
                ),
                "ref": sa.func.coalesce(c.ref, x.ref),
                "watch_ms": c.watch_ms + x.watch_ms,
                "messages": c.messages + x.messages,
                "reactions": c.reactions + x.reactions,
            },
        )
        for chunk in _chunks(rows):
            await conn.execute(upsert, list(chunk))

    async def _views(self, conn: AsyncConnection, done: Fold) -> None:
        rows = [
            _view_row(k, v.started_ms, v.first_ms, v.last_ms, v.coverage)
            | {"watch_ms": v.watch_ms, "messages": v.messages, "reactions": v.reactions}
            for k, v in sorted(done.views.items())
        ]
        if not rows:
            return
        insert = _dialect_insert(self._engine)(views)
        x, c = insert.excluded, views.c
        upsert = insert.on_conflict_do_update(
            index_elements=[c.tenant_id, c.party_id, c.viewer, c.session_ms, c.media_id],
            set_={
                # A placeholder's times are the session's own: the least is the true first.
                "first_ms": sa.case(
                    (c.watch_ms + c.messages + c.reactions == 0, x.first_ms),
                    else_=self._least(c.first_ms, x.first_ms),
                ),
                "last_ms": self._greatest(c.last_ms, x.last_ms),
                "watch_ms": c.watch_ms + x.watch_ms,
                "messages": c.messages + x.messages,
                "reactions": c.reactions + x.reactions,
                "coverage": x.coverage,
            },
        )
        for chunk in _chunks(rows):
            await conn.execute(upsert, list(chunk))

    async def _positions(self, conn: AsyncConnection, done: Fold) -> None:
        rows = [
            {
                "tenant_id": k[0],
                "media_id": k[1],
                "day_ms": k[2],
                "second": k[3],
                "viewers": p.viewers,
                "rewatches": p.rewatches,
                "messages": p.messages,
                "reactions": p.reactions,
            }
            for k, p in sorted(done.positions.items())
        ]
        if not rows:
            return
        insert = _dialect_insert(self._engine)(positions)
        x, c = insert.excluded, positions.c
        upsert = insert.on_conflict_do_update(
            index_elements=[c.tenant_id, c.media_id, c.day_ms, c.second],
            set_={
                "viewers": c.viewers + x.viewers,
                "rewatches": c.rewatches + x.rewatches,
                "messages": c.messages + x.messages,
                "reactions": c.reactions + x.reactions,
            },
        )
        for chunk in _chunks(rows):
            await conn.execute(upsert, list(chunk))

    async def _refs(self, conn: AsyncConnection, done: Fold) -> None:
        c = refs.c
        for (tenant, ref), r in sorted(done.refs.items()):
            insert = _dialect_insert(self._engine)(refs).values(
                tenant_id=tenant,
                ref=ref,
                kind=r.kind,
                party_id=r.party_id,
                media_id=r.media_id,
                created_ms=r.created_ms,
                viewer=r.viewer,
                opens=0,
            )
            await conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[c.tenant_id, c.ref],
                    set_={
                        "kind": r.kind,
                        "party_id": r.party_id,
                        "media_id": r.media_id,
                        "created_ms": r.created_ms,
                        "viewer": r.viewer,
                    },
                )
            )
        for (tenant, ref), n in sorted(done.opens.items()):
            insert = _dialect_insert(self._engine)(refs).values(
                tenant_id=tenant, ref=ref, kind="invite", created_ms=0, opens=n
            )
            await conn.execute(
                insert.on_conflict_do_update(index_elements=[c.tenant_id, c.ref], set_={"opens": c.opens + n})
            )
        t = tallies.c
        for (tenant, kind, ref, value), n in sorted(done.tallies.items()):
            insert = _dialect_insert(self._engine)(tallies).values(
                tenant_id=tenant, kind=kind, ref=ref, value=value, count=n
            )
            await conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[t.tenant_id, t.kind, t.ref, t.value], set_={"count": t["count"] + n}
                )
            )

    async def _prune_batches(self) -> None:
        cutoff = self._clock.now_ms() - BATCH_MEMORY_MS
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                await conn.execute(sa.delete(batches).where(batches.c.committed_ms < cutoff))
                await conn.execute(sa.delete(erased).where(erased.c.erased_ms < cutoff))

    # ------------------------------------------------------------------ reads
    def _sessions_of(self, scope: Scope) -> Any:
        c = sessions.c
        query = sa.select(sessions).where(c.tenant_id == scope.tenant_id)
        if scope.party_id is not None:
            query = query.where(c.party_id == scope.party_id)
        if scope.media_id is not None:
            v = views.c
            query = query.where(
                sa.exists().where(
                    v.tenant_id == c.tenant_id,
                    v.party_id == c.party_id,
                    v.viewer == c.viewer,
                    v.session_ms == c.session_ms,
                    v.media_id == scope.media_id,
                )
            )
        return query

    async def sessions(self, scope: Scope, since: int, until: int) -> list[SessionRow]:
        c = sessions.c
        query = (
            self._sessions_of(scope)
            .where(
                c.started_ms < until,
                sa.or_(c.ended_ms > since, sa.and_(c.ended_ms.is_(None), c.last_ms > since - OPEN_LIMIT_MS)),
            )
            .order_by(c.started_ms, c.party_id, c.viewer)
        )
        return [_session(r) for r in await self._read(query)]

    async def seen_before(self, scope: Scope, since: int, viewers: Sequence[str]) -> set[str]:
        c = sessions.c
        found: set[str] = set()
        for chunk in _chunks(sorted(set(viewers))):
            query = (
                self._sessions_of(scope)
                .with_only_columns(c.viewer)
                .where(c.started_ms < since, c.viewer.in_(list(chunk)))
                .distinct()
            )
            found |= {r[0] for r in await self._read(query)}
        return found

    async def views(self, scope: Scope, since: int, until: int) -> list[ViewRow]:
        c = views.c
        query = sa.select(views).where(
            c.tenant_id == scope.tenant_id, c.started_ms >= since, c.started_ms < until
        )
        if scope.party_id is not None:
            query = query.where(c.party_id == scope.party_id)
        if scope.media_id is not None:
            query = query.where(c.media_id == scope.media_id)
        return [_view(r) for r in await self._read(query.order_by(*_VIEW_KEY))]

    async def positions(self, tenant_id: str, media_id: str, since: int, until: int) -> list[PositionRow]:
        c = positions.c
        query = (
            sa.select(
                c.second,
                sa.func.sum(c.viewers),
                sa.func.sum(c.rewatches),
                sa.func.sum(c.messages),
                sa.func.sum(c.reactions),
            )
            .where(
                c.tenant_id == tenant_id,
                c.media_id == media_id,
                c.day_ms >= since - since % DAY_MS,
                c.day_ms < until,
            )
            .group_by(c.second)
            .order_by(c.second)
        )
        return [
            PositionRow(int(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]))
            for r in await self._read(query)
        ]

    async def events(self, scope: Scope, since: int, until: int, kinds: Sequence[str] = ()) -> list[Event]:
        c = events.c
        query = sa.select(events).where(c.tenant_id == scope.tenant_id, c.ts_ms >= since, c.ts_ms < until)
        if scope.party_id is not None:
            query = query.where(c.party_id == scope.party_id)
        if scope.media_id is not None:
            query = query.where(c.media_id == scope.media_id)
        if kinds:
            query = query.where(c.kind.in_(list(kinds)))
        return [_event(r) for r in await self._read(query.order_by(c.ts_ms, c.id))]

    async def refs(self, scope: Scope, since: int, until: int) -> list[RefInfo]:
        c = refs.c
        query = sa.select(refs).where(
            c.tenant_id == scope.tenant_id, c.created_ms >= since, c.created_ms < until
        )
        if scope.party_id is not None:
            query = query.where(c.party_id == scope.party_id)
        if scope.media_id is not None:
            query = query.where(c.media_id == scope.media_id)
        rows = await self._read(query.order_by(c.created_ms, c.ref))
        return [RefInfo(r.ref, r.kind, r.party_id, r.media_id, r.created_ms, r.opens) for r in rows]

    async def joined_by(self, tenant_id: str, found: Sequence[str]) -> list[SessionRow]:
        out: list[SessionRow] = []
        c = sessions.c
        for chunk in _chunks(sorted(set(found))):
            query = sa.select(sessions).where(c.tenant_id == tenant_id, c.ref.in_(list(chunk)))
            out += [_session(r) for r in await self._read(query)]
        return out

    async def media(self, tenant_id: str, media_ids: Sequence[str]) -> list[MediaInfo]:
        out: list[MediaInfo] = []
        c = media_items.c
        for chunk in _chunks(sorted(set(media_ids))):
            query = sa.select(media_items).where(c.tenant_id == tenant_id, c.media_id.in_(list(chunk)))
            out += [
                MediaInfo(r.tenant_id, r.media_id, r.url, r.title, r.duration_s, bool(r.live))
                for r in await self._read(query)
            ]
        return out

    async def tallies(self, tenant_id: str, kind: str, ref: str) -> dict[str, int]:
        c = tallies.c
        query = sa.select(c.value, c["count"]).where(c.tenant_id == tenant_id, c.kind == kind, c.ref == ref)
        return {r[0]: int(r[1]) for r in await self._read(query)}

    async def viewer_events(self, tenant_id: str, viewers: Sequence[str]) -> list[Event]:
        out: list[Event] = []
        c = events.c
        for chunk in _chunks(sorted(set(viewers))):
            query = (
                sa.select(events)
                .where(c.tenant_id == tenant_id, c.viewer.in_(list(chunk)))
                .order_by(c.ts_ms, c.id)
            )
            out += [_event(r) for r in await self._read(query)]
        return out

    # ------------------------------------------------------------------ privacy
    async def erase(self, tenant_id: str, viewers: Sequence[str]) -> int:
        changed = 0
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                now = self._clock.now_ms()
                for viewer in sorted(set(viewers)):
                    mark = _dialect_insert(self._engine)(erased).values(
                        tenant_id=tenant_id, viewer=tombstone(viewer), erased_ms=now
                    )
                    await conn.execute(
                        mark.on_conflict_do_update(
                            index_elements=[erased.c.tenant_id, erased.c.viewer], set_={"erased_ms": now}
                        )
                    )
                    alias = _alias()
                    deleted = await conn.execute(
                        sa.delete(events).where(events.c.tenant_id == tenant_id, events.c.viewer == viewer)
                    )
                    changed += deleted.rowcount or 0
                    for table in (sessions, views, refs):
                        renamed = await conn.execute(
                            sa.update(table)
                            .where(table.c.tenant_id == tenant_id, table.c.viewer == viewer)
                            .values(viewer=alias)
                        )
                        changed += renamed.rowcount or 0
        return changed

    async def expire(
        self, tenant_id: str, events_before_ms: int, aggregates_before_ms: int
    ) -> dict[str, int]:
        day = aggregates_before_ms - aggregates_before_ms % DAY_MS
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                raw = await conn.execute(
                    sa.delete(events).where(
                        events.c.tenant_id == tenant_id, events.c.ts_ms < events_before_ms
                    )
                )
                gone = 0
                for statement in (
                    sa.delete(sessions).where(
                        sessions.c.tenant_id == tenant_id, sessions.c.last_ms < aggregates_before_ms
                    ),
                    sa.delete(views).where(
                        views.c.tenant_id == tenant_id, views.c.last_ms < aggregates_before_ms
                    ),
                    sa.delete(positions).where(positions.c.tenant_id == tenant_id, positions.c.day_ms < day),
                    sa.delete(refs).where(
                        refs.c.tenant_id == tenant_id, refs.c.created_ms < aggregates_before_ms
                    ),
                ):
                    gone += (await conn.execute(statement)).rowcount or 0
        return {"analytics_events": raw.rowcount or 0, "analytics_aggregates": gone}


def _alias() -> str:
    return "x" + secrets.token_urlsafe(15)


def _event_row(e: Event) -> dict[str, Any]:
    return {
        "tenant_id": e.tenant_id,
        "ts_ms": e.ts_ms,
        "kind": e.kind.value,
        "party_id": e.party_id,
        "viewer": e.viewer,
        "session_ms": e.session_ms,
        "media_id": e.media_id,
        "pos_s": e.pos_s,
        "to_s": e.to_s,
        "end_ms": e.end_ms,
        "ref": e.ref,
        "value": e.value,
    }


def _event(r: Any) -> Event:
    return Event(
        r.tenant_id,
        Kind(r.kind),
        r.ts_ms,
        r.party_id,
        r.viewer,
        r.session_ms,
        r.media_id,
        r.pos_s,
        r.to_s,
        r.end_ms,
        r.ref,
        r.value,
    )


def _view_row(
    key: ViewKey, started_ms: int, first_ms: int, last_ms: int, covered: coverage.Intervals
) -> dict[str, Any]:
    return {
        "tenant_id": key[0],
        "party_id": key[1],
        "viewer": key[2],
        "session_ms": key[3],
        "media_id": key[4],
        "started_ms": started_ms,
        "first_ms": first_ms,
        "last_ms": last_ms,
        "watch_ms": 0,
        "messages": 0,
        "reactions": 0,
        "coverage": coverage.to_data(covered),
    }


def _session(r: Any) -> SessionRow:
    return SessionRow(
        r.party_id,
        r.viewer,
        r.session_ms,
        r.media_id,
        r.started_ms,
        r.last_ms,
        r.ended_ms,
        r.ref,
        r.watch_ms,
        r.messages,
        r.reactions,
    )


def _view(r: Any) -> ViewRow:
    return ViewRow(
        r.party_id,
        r.viewer,
        r.session_ms,
        r.media_id,
        r.first_ms,
        r.last_ms,
        r.watch_ms,
        r.messages,
        r.reactions,
        coverage.from_data(r.coverage),
    )
