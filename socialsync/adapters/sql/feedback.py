"""The feedback prompt's records on the store's database (migration 0015): one prompt
row per viewer (its latest: the weekly limit is a conditional upsert), and comments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from socialsync.adapters.sql.engine import metadata
from socialsync.adapters.sql.store import SqlStore, _dialect_insert, _translate_errors
from socialsync.domain.feedback import PROMPT_TTL_MS, Comment, Prompt, Survey

CHUNK = 500

feedback_prompts = sa.Table(
    "feedback_prompts",
    metadata,
    sa.Column("tenant_id", sa.String(), primary_key=True),
    sa.Column("viewer", sa.String(), primary_key=True),
    sa.Column("id", sa.String(), nullable=False),
    sa.Column("party_id", sa.String(), nullable=False),
    sa.Column("survey", sa.String(), nullable=False),
    sa.Column("prompted_ms", sa.BigInteger(), nullable=False),
    sa.Column("answered_ms", sa.BigInteger(), nullable=True),
    sa.Index("ix_feedback_prompts_tenant_id_prompted_ms", "tenant_id", "prompted_ms"),
)

feedback_comments = sa.Table(
    "feedback_comments",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("party_id", sa.String(), nullable=True),
    sa.Column("viewer", sa.String(), nullable=False),
    sa.Column("survey", sa.String(), nullable=False),
    sa.Column("score", sa.Integer(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("held", sa.Boolean(), nullable=False),
    sa.Column("ts_ms", sa.BigInteger(), nullable=False),
    sa.Index("ix_feedback_comments_tenant_id_ts_ms", "tenant_id", "ts_ms"),
    sa.Index("ix_feedback_comments_tenant_id_viewer", "tenant_id", "viewer"),
)


class SqlFeedback:
    def __init__(self, store: SqlStore) -> None:
        self._engine = store._engine
        self._writer = store._writer
        self._gate = store._write_gate

    async def _read(self, query: Any) -> list[Any]:
        with _translate_errors():
            async with self._engine.connect() as conn:
                return list(await conn.execute(query))

    async def _returning(self, statement: Any) -> list[Any]:
        """A write's RETURNING rows."""
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                return list((await conn.execute(statement)).all())

    async def claim(self, prompt: Prompt, every_ms: int) -> bool:
        c = feedback_prompts.c
        values = {
            "id": prompt.id,
            "party_id": prompt.party_id,
            "survey": prompt.survey.value,
            "prompted_ms": prompt.prompted_ms,
            "answered_ms": None,
        }
        insert = _dialect_insert(self._engine)(feedback_prompts).values(
            tenant_id=prompt.tenant_id, viewer=prompt.viewer, **values
        )
        upsert = insert.on_conflict_do_update(
            index_elements=[c.tenant_id, c.viewer],
            set_=values,
            where=c.prompted_ms <= prompt.prompted_ms - every_ms,
        ).returning(c.id)
        return bool(await self._returning(upsert))

    async def prompt(self, tenant_id: str, viewer: str) -> Prompt | None:
        c = feedback_prompts.c
        rows = await self._read(
            sa.select(feedback_prompts).where(c.tenant_id == tenant_id, c.viewer == viewer)
        )
        return _prompt(rows[0]) if rows else None

    async def answer(self, tenant_id: str, viewer: str, prompt_id: str, now_ms: int) -> Prompt | None:
        c = feedback_prompts.c
        update = (
            sa.update(feedback_prompts)
            .where(
                c.tenant_id == tenant_id,
                c.viewer == viewer,
                c.id == prompt_id,
                c.answered_ms.is_(None),
                c.prompted_ms > now_ms - PROMPT_TTL_MS,
            )
            .values(answered_ms=now_ms)
            .returning(*feedback_prompts.c)
        )
        rows = await self._returning(update)
        return _prompt(rows[0]) if rows else None

    async def add_comment(self, comment: Comment) -> None:
        await self._returning(
            sa.insert(feedback_comments)
            .returning(feedback_comments.c.id)
            .values(
                id=comment.id,
                tenant_id=comment.tenant_id,
                party_id=comment.party_id,
                viewer=comment.viewer,
                survey=comment.survey.value,
                score=comment.score,
                text=comment.text,
                held=comment.held,
                ts_ms=comment.ts_ms,
            )
        )

    def _comments_in(self, tenant_id: str, party_id: str | None, since_ms: int, until_ms: int) -> Any:
        c = feedback_comments.c
        where = [c.tenant_id == tenant_id, c.ts_ms >= since_ms, c.ts_ms < until_ms]
        if party_id is not None:
            where.append(c.party_id == party_id)
        return sa.and_(*where)

    async def comments(
        self, tenant_id: str, party_id: str | None, since_ms: int, until_ms: int, limit: int
    ) -> list[Comment]:
        c = feedback_comments.c
        query = (
            sa.select(feedback_comments)
            .where(self._comments_in(tenant_id, party_id, since_ms, until_ms))
            .order_by(c.ts_ms.desc(), c.id.desc())
            .limit(limit)
        )
        return [_comment(r) for r in await self._read(query)]

    async def count_comments(self, tenant_id: str, party_id: str | None, since_ms: int, until_ms: int) -> int:
        query = sa.select(sa.func.count()).where(self._comments_in(tenant_id, party_id, since_ms, until_ms))
        return int((await self._read(query.select_from(feedback_comments)))[0][0])

    async def viewer_records(
        self, tenant_id: str, viewers: Sequence[str]
    ) -> tuple[list[Prompt], list[Comment]]:
        wanted = sorted(set(viewers))
        p, c = feedback_prompts.c, feedback_comments.c
        prompts: list[Prompt] = []
        comments: list[Comment] = []
        for i in range(0, len(wanted), CHUNK):
            chunk = wanted[i : i + CHUNK]
            query = sa.select(feedback_prompts).where(p.tenant_id == tenant_id, p.viewer.in_(chunk))
            prompts += [_prompt(r) for r in await self._read(query.order_by(p.prompted_ms))]
            query = sa.select(feedback_comments).where(c.tenant_id == tenant_id, c.viewer.in_(chunk))
            comments += [_comment(r) for r in await self._read(query.order_by(c.ts_ms, c.id))]
        return prompts, comments

    async def erase(self, tenant_id: str, viewers: Sequence[str]) -> int:
        wanted = sorted(set(viewers))
        gone = 0
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                for table in (feedback_prompts, feedback_comments):
                    result = await conn.execute(
                        sa.delete(table).where(table.c.tenant_id == tenant_id, table.c.viewer.in_(wanted))
                    )
                    gone += result.rowcount or 0
        return gone

    async def expire(self, tenant_id: str, comments_before_ms: int, prompts_before_ms: int) -> dict[str, int]:
        p, c = feedback_prompts.c, feedback_comments.c
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                comments = await conn.execute(
                    sa.delete(feedback_comments).where(c.tenant_id == tenant_id, c.ts_ms < comments_before_ms)
                )
                prompts = await conn.execute(
                    sa.delete(feedback_prompts).where(
                        p.tenant_id == tenant_id, p.prompted_ms < prompts_before_ms
                    )
                )
        return {"feedback_comments": comments.rowcount or 0, "feedback_prompts": prompts.rowcount or 0}


def _prompt(r: Any) -> Prompt:
    return Prompt(r.id, r.tenant_id, r.viewer, r.party_id, Survey(r.survey), r.prompted_ms, r.answered_ms)


def _comment(r: Any) -> Comment:
    return Comment(
        r.id, r.tenant_id, r.party_id, r.viewer, Survey(r.survey), r.score, r.text, bool(r.held), r.ts_ms
    )
