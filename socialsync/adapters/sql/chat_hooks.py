"""Tenants' chat hooks on the store's database (migration 0016), their secrets sealed by
the tenant secrets' box."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from socialsync.adapters.sql.engine import metadata
from socialsync.adapters.sql.store import SqlStore, _dialect_insert, _translate_errors
from socialsync.domain.chat_hook import ChatHook, OnTimeout, StoredChatHook
from socialsync.domain.errors import not_found

chat_hooks = sa.Table(
    "chat_hooks",
    metadata,
    sa.Column("tenant_id", sa.String(), sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("url", sa.Text(), nullable=False),
    sa.Column("timeout_ms", sa.Integer(), nullable=False),
    sa.Column("on_timeout", sa.String(), nullable=False),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    sa.Column("secret", sa.Text(), nullable=False),
    sa.Column("previous_secret", sa.Text(), nullable=True),
    sa.Column("rotated_until_ms", sa.BigInteger(), nullable=True),
    sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
)


class SqlChatHooks:
    def __init__(self, store: SqlStore) -> None:
        self._engine = store._engine
        self._writer = store._writer
        self._gate = store._write_gate
        self._box = store._box

    async def chat_hook(self, tenant_id: str) -> StoredChatHook | None:
        with _translate_errors():
            async with self._engine.connect() as conn:
                query = sa.select(chat_hooks).where(chat_hooks.c.tenant_id == tenant_id)
                row = (await conn.execute(query)).first()
        return None if row is None else self._stored(row)

    async def save_chat_hook(self, stored: StoredChatHook) -> None:
        hook = stored.hook
        values: dict[str, Any] = {
            "url": hook.url,
            "timeout_ms": hook.timeout_ms,
            "on_timeout": hook.on_timeout.value,
            "enabled": hook.enabled,
            "secret": self._box.seal(stored.secret),
            "previous_secret": None
            if stored.previous_secret is None
            else self._box.seal(stored.previous_secret),
            "rotated_until_ms": hook.rotated_until_ms,
            "created_at_ms": hook.created_at_ms,
            "updated_at_ms": hook.updated_at_ms,
        }
        insert = _dialect_insert(self._engine)(chat_hooks).values(tenant_id=hook.tenant_id, **values)
        upsert = insert.on_conflict_do_update(index_elements=[chat_hooks.c.tenant_id], set_=values)
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                try:
                    await conn.execute(upsert)
                except sa.exc.IntegrityError as exc:
                    raise not_found(f"tenant {hook.tenant_id!r} not found") from exc

    async def delete_chat_hook(self, tenant_id: str) -> bool:
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                result = await conn.execute(sa.delete(chat_hooks).where(chat_hooks.c.tenant_id == tenant_id))
        return bool(result.rowcount)

    def _stored(self, row: Any) -> StoredChatHook:
        hook = ChatHook(
            row.tenant_id,
            row.url,
            int(row.timeout_ms),
            OnTimeout(row.on_timeout),
            bool(row.enabled),
            int(row.created_at_ms),
            int(row.updated_at_ms),
            None if row.rotated_until_ms is None else int(row.rotated_until_ms),
        )
        previous = row.previous_secret
        return StoredChatHook(
            hook, self._box.open(row.secret), None if previous is None else self._box.open(previous)
        )
