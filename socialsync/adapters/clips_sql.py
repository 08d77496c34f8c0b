"""Reaction clips' metadata on the same database as the messages (the media files are
the clip directory's: see socialsync/clips.py)."""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa

from ..domain.clips import Clip, ClipStatus
from .store_sql import SqlStore, _translate_errors, metadata

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
)


class SqlClipStore:
    def __init__(self, store: SqlStore) -> None:
        self._engine = store._engine
        self._writer = store._writer
        self._gate = store._write_gate

    async def _write(self, statement: Any) -> Any:
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                return await conn.execute(statement)

    async def _read(self, query: Any) -> list[sa.Row[Any]]:
        with _translate_errors():
            async with self._engine.connect() as conn:
                return list(await conn.execute(query))

    async def add(self, clip: Clip) -> None:
        await self._write(sa.insert(clips).values(dataclasses.asdict(clip) | {"status": clip.status.value}))

    async def get(self, clip_id: str) -> Clip | None:
        rows = await self._read(sa.select(clips).where(clips.c.id == clip_id))
        return _clip(rows[0]) if rows else None

    async def of_party(self, party_id: str, media_url: str | None = None, limit: int = 500) -> list[Clip]:
        query = sa.select(clips).where(clips.c.party_id == party_id)
        if media_url is not None:
            query = query.where(clips.c.media_url == media_url)
        rows = await self._read(query.order_by(clips.c.media_time_s, clips.c.id).limit(limit))
        return [_clip(r) for r in rows]

    async def count(self, party_id: str) -> int:
        rows = await self._read(sa.select(sa.func.count()).where(clips.c.party_id == party_id))
        return int(rows[0][0])

    async def set_status(self, clip_id: str, expected: ClipStatus, status: ClipStatus) -> bool:
        """Compare-and-set: False when the clip is gone or not in ``expected`` any more."""
        result = await self._write(
            sa.update(clips)
            .where(clips.c.id == clip_id, clips.c.status == expected.value)
            .values(status=status.value)
        )
        return bool(result.rowcount)

    async def delete(self, clip_id: str) -> bool:
        result = await self._write(sa.delete(clips).where(clips.c.id == clip_id))
        return bool(result.rowcount)


def _clip(row: sa.Row[Any]) -> Clip:
    data = row._asdict()
    return Clip(**data | {"status": ClipStatus(data["status"])})
