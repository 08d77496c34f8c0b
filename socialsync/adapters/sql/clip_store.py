"""Reaction clips' metadata, and members' reports of them, on the same database as the
messages (the media files are the clip directory's: see socialsync/services/clips.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from socialsync.adapters.sql.engine import metadata
from socialsync.adapters.sql.store import SqlStore, _counts, _dialect_insert, _translate_errors
from socialsync.adapters.sql.webhooks import insert_outbox
from socialsync.domain.clips import Clip, ClipReport, ClipStatus
from socialsync.domain.errors import not_found
from socialsync.domain.webhooks import OutboxEvent
from socialsync.ports.webhooks import Outbox

clips = sa.Table(
    "clips",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("party_id", sa.String(), nullable=False),
    sa.Column("user_id", sa.String(), nullable=False),
    sa.Column("user_name", sa.Text(), nullable=False),
    sa.Column("media_url", sa.Text(), nullable=False),
    sa.Column("media_time_s", sa.Double(), nullable=False),
    sa.Column("duration_s", sa.Double(), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    sa.Column("file_name", sa.String(), nullable=False),
    sa.Column("mime_type", sa.String(), nullable=False),
    sa.Column("size_bytes", sa.BigInteger(), nullable=False),
    sa.Column("width", sa.Integer(), nullable=False),
    sa.Column("height", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Index("ix_clips_party_id_media_time_s", "party_id", "media_time_s"),
    sa.Index("ix_clips_tenant_id_user_id", "tenant_id", "user_id"),
    sa.Index("ix_clips_tenant_id_created_at_ms", "tenant_id", "created_at_ms", "id"),
)

# Added by 0005. One row per reporter and clip: the key makes a repeat count once.
clip_reports = sa.Table(
    "clip_reports",
    metadata,
    sa.Column("tenant_id", sa.String(), primary_key=True),
    sa.Column("clip_id", sa.String(), primary_key=True),
    sa.Column("reporter_id", sa.String(), primary_key=True),
    sa.Column("party_id", sa.String(), nullable=False),
    sa.Column("reporter_name", sa.Text(), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("ts_ms", sa.BigInteger(), nullable=False),
    sa.Index("ix_clip_reports_tenant_id_party_id", "tenant_id", "party_id"),
)


class SqlClipStore:
    def __init__(self, store: SqlStore) -> None:
        self._engine = store._engine
        self._writer = store._writer
        self._gate = store._write_gate

    async def _write(self, statement: Any, events: Callable[[], Sequence[OutboxEvent]] | None = None) -> Any:
        """One statement; ``events`` (webhooks) in its transaction if it changed a row."""
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                result = await conn.execute(statement)
                if events is not None and result.rowcount:
                    await insert_outbox(conn, events())
                return result

    async def _read(self, query: Any) -> list[sa.Row[Any]]:
        with _translate_errors():
            async with self._engine.connect() as conn:
                return list(await conn.execute(query))

    async def add(self, clip: Clip, *, outbox: Outbox[Clip] | None = None) -> None:
        row = dataclasses.asdict(clip) | {"status": clip.status.value}
        await self._write(sa.insert(clips).values(row), outbox and (lambda: outbox(clip)))

    async def get(self, clip_id: str) -> Clip | None:
        rows = await self._read(sa.select(clips).where(clips.c.id == clip_id))
        return _clip(rows[0]) if rows else None

    async def of_party(self, party_id: str, media_url: str | None = None, limit: int = 500) -> list[Clip]:
        query = sa.select(clips).where(clips.c.party_id == party_id)
        if media_url is not None:
            query = query.where(clips.c.media_url == media_url)
        rows = await self._read(query.order_by(clips.c.media_time_s, clips.c.id).limit(limit))
        return [_clip(r) for r in rows]

    async def of_tenant(
        self, tenant_id: str, after: tuple[int, str] | None, limit: int, *, party_id: str | None = None
    ) -> list[Clip]:
        if limit <= 0:
            return []
        query = sa.select(clips).where(clips.c.tenant_id == tenant_id)
        if party_id is not None:
            query = query.where(clips.c.party_id == party_id)
        if after is not None:
            created, clip_id = after
            query = query.where(
                sa.or_(
                    clips.c.created_at_ms > created,
                    sa.and_(clips.c.created_at_ms == created, clips.c.id > clip_id),
                )
            )
        rows = await self._read(query.order_by(clips.c.created_at_ms, clips.c.id).limit(limit))
        return [_clip(r) for r in rows]

    async def count(self, party_id: str) -> int:
        rows = await self._read(sa.select(sa.func.count()).where(clips.c.party_id == party_id))
        first: tuple[Any, ...] = tuple(rows[0])
        return int(first[0])

    async def held_per_party(self, tenant_id: str, party_ids: list[str]) -> dict[str, int]:
        """Clips waiting for review per party, for the room list: one query for all the
        rooms; parties without any are absent."""
        if not party_ids:
            return {}
        rows = await self._read(
            sa.select(clips.c.party_id, sa.func.count())
            .where(
                clips.c.tenant_id == tenant_id,
                clips.c.party_id.in_(party_ids),
                clips.c.status == ClipStatus.HELD.value,
            )
            .group_by(clips.c.party_id)
        )
        return _counts(rows)

    async def set_status(
        self, clip_id: str, expected: ClipStatus, status: ClipStatus, *, outbox: Outbox[str] | None = None
    ) -> bool:
        """Compare-and-set: False when the clip is gone or not in ``expected`` any more."""
        result = await self._write(
            sa.update(clips)
            .where(clips.c.id == clip_id, clips.c.status == expected.value)
            .values(status=status.value),
            outbox and (lambda: outbox(clip_id)),
        )
        return bool(result.rowcount)

    async def delete(self, clip_id: str, *, outbox: Outbox[str] | None = None) -> bool:
        """The row and its reports (the audit log keeps what the moderators did)."""
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                await conn.execute(sa.delete(clip_reports).where(clip_reports.c.clip_id == clip_id))
                result = await conn.execute(sa.delete(clips).where(clips.c.id == clip_id))
                if outbox is not None and result.rowcount:
                    await insert_outbox(conn, outbox(clip_id))
        return bool(result.rowcount)

    # --- reports ------------------------------------------------------------------------
    async def report(self, report: ClipReport) -> int | None:
        """Record a report: the number of distinct reporters of the clip with it, or
        None when this reporter had reported it already.

        The clip's row is locked first (PostgreSQL; SQLite has one writer anyway), so
        concurrent reporters on any nodes count 1, 2, 3... in turn, and exactly one
        of them reaches the takedown threshold.
        """
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                lock = (
                    sa.select(clips.c.id)
                    .where(clips.c.id == report.clip_id, clips.c.tenant_id == report.tenant_id)
                    .with_for_update()
                )
                if (await conn.execute(lock)).first() is None:
                    raise not_found(f"no clip {report.clip_id} in this party")
                insert = _dialect_insert(self._engine)(clip_reports).values(dataclasses.asdict(report))
                if not (await conn.execute(insert.on_conflict_do_nothing())).rowcount:
                    return None
                count = await conn.scalar(
                    sa.select(sa.func.count()).where(
                        clip_reports.c.tenant_id == report.tenant_id, clip_reports.c.clip_id == report.clip_id
                    )
                )
        return int(count or 0)

    async def report_counts(self, tenant_id: str, party_id: str) -> dict[str, int]:
        """Distinct reporters per clip of the party; clips nobody reported are absent."""
        rows = await self._read(
            sa.select(clip_reports.c.clip_id, sa.func.count())
            .where(clip_reports.c.tenant_id == tenant_id, clip_reports.c.party_id == party_id)
            .group_by(clip_reports.c.clip_id)
        )
        return _counts(rows)

    async def reported_per_party(self, tenant_id: str, party_ids: list[str]) -> dict[str, int]:
        """Reported clips per party that are still up (visible), as the chat's
        report_counts counts reported messages: a clip counts once however many
        reported it, and a held clip (taken down, waiting in the queue) is not counted."""
        if not party_ids:
            return {}
        rows = await self._read(
            sa.select(clips.c.party_id, sa.func.count(sa.distinct(clips.c.id)))
            .join(
                clip_reports,
                sa.and_(clip_reports.c.tenant_id == clips.c.tenant_id, clip_reports.c.clip_id == clips.c.id),
            )
            .where(
                clips.c.tenant_id == tenant_id,
                clips.c.party_id.in_(party_ids),
                clips.c.status == ClipStatus.VISIBLE.value,
            )
            .group_by(clips.c.party_id)
        )
        return _counts(rows)

    async def reports_of(
        self, tenant_id: str, party_id: str, clip_id: str | None = None, limit: int = 100
    ) -> list[ClipReport]:
        """The party's (or one clip's) reports, newest first."""
        query = sa.select(clip_reports).where(
            clip_reports.c.tenant_id == tenant_id, clip_reports.c.party_id == party_id
        )
        if clip_id is not None:
            query = query.where(clip_reports.c.clip_id == clip_id)
        rows = await self._read(query.order_by(clip_reports.c.ts_ms.desc()).limit(limit))
        return [ClipReport(**r._asdict()) for r in rows]


def _clip(row: sa.Row[Any]) -> Clip:
    data = row._asdict()
    return Clip(**data | {"status": ClipStatus(data["status"])})
