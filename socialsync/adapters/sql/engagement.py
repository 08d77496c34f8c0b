"""Tenants' engagement switches on the store's database (migration 0015)."""

from __future__ import annotations

import sqlalchemy as sa

from socialsync.adapters.sql.engine import metadata
from socialsync.adapters.sql.store import SqlStore, _dialect_insert, _translate_errors
from socialsync.domain.engagement import Engagement
from socialsync.domain.errors import not_found

tenant_engagement = sa.Table(
    "tenant_engagement",
    metadata,
    sa.Column("tenant_id", sa.String(), sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("badges", sa.Boolean(), nullable=False),
    sa.Column("feedback", sa.String(), nullable=False),
    sa.Column("updated_ms", sa.BigInteger(), nullable=False),
)


class SqlEngagement:
    def __init__(self, store: SqlStore) -> None:
        self._engine = store._engine
        self._writer = store._writer
        self._gate = store._write_gate

    async def engagement(self, tenant_id: str) -> Engagement | None:
        c = tenant_engagement.c
        with _translate_errors():
            async with self._engine.connect() as conn:
                row = (
                    await conn.execute(sa.select(c.badges, c.feedback).where(c.tenant_id == tenant_id))
                ).first()
        return None if row is None else Engagement(bool(row[0]), str(row[1]))

    async def set_engagement(self, tenant_id: str, engagement: Engagement, now_ms: int) -> None:
        values = {"badges": engagement.badges, "feedback": engagement.feedback, "updated_ms": now_ms}
        insert = _dialect_insert(self._engine)(tenant_engagement).values(tenant_id=tenant_id, **values)
        upsert = insert.on_conflict_do_update(index_elements=[tenant_engagement.c.tenant_id], set_=values)
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                try:
                    await conn.execute(upsert)
                except sa.exc.IntegrityError as exc:
                    raise not_found(f"tenant {tenant_id!r} not found") from exc
