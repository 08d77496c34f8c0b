"""The ChatHookStore contract (ports/chat_hook.py), run against the memory store, SQLite
and PostgreSQL: one hook per tenant with its secrets, replaced whole, kept apart by
tenant, deleted; secrets sealed at rest where the store can; a write holds for another
node's next read."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from services import scratch_postgres_database

from socialsync.adapters.memory.chat_hooks import MemoryChatHooks
from socialsync.adapters.sql.chat_hooks import SqlChatHooks
from socialsync.adapters.sql.secrets import SecretBox
from socialsync.adapters.sql.store import SqlStore, upgrade_database
from socialsync.domain.chat_hook import ChatHook, OnTimeout, StoredChatHook
from socialsync.domain.errors import Code, SyncError
from socialsync.domain.tenant import Tenant
from socialsync.ports.chat_hook import ChatHookStore

T0 = 1_800_000_000_000
SECRET = "whsec_" + "c2VjcmV0c2VjcmV0c2VjcmV0"
OLD = "whsec_" + "b2xkb2xkb2xkb2xkb2xkb2xk"


@dataclasses.dataclass
class Stores:
    store: ChatHookStore
    other: ChatHookStore  # another node's, on the same database
    sql: SqlStore | None = None


SQL = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=["memory", *SQL])
async def stores(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[Stores]:
    if request.param == "memory":
        memory = MemoryChatHooks()
        yield Stores(memory, memory)
        return
    async for made in _made(request.param, tmp_path):
        yield made


@pytest.fixture(params=SQL)
async def sql_stores(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[Stores]:
    """The SQL stores only: they keep tenants and seal secrets (memory does neither)."""
    async for made in _made(request.param, tmp_path):
        yield made


async def _made(kind: str, tmp_path) -> AsyncIterator[Stores]:
    if kind == "sqlite":
        async for made in _sql(f"sqlite:///{tmp_path / 'store.db'}"):
            yield made
        return
    async with scratch_postgres_database() as url:
        async for made in _sql(url):
            yield made


async def _sql(url: str) -> AsyncIterator[Stores]:
    await upgrade_database(url)
    box = SecretBox(Fernet.generate_key())
    one, two = await SqlStore.open(url, box=box), await SqlStore.open(url, box=box)
    try:
        for tenant in ("t1", "t2"):
            await one.add_tenant(Tenant(tenant, tenant, "s", False, T0))
        yield Stores(SqlChatHooks(one), SqlChatHooks(two), one)
    finally:
        await one.close()
        await two.close()


def hook(tenant: str = "t1", **changes: object) -> ChatHook:
    return dataclasses.replace(ChatHook(tenant, "https://tns.example/hook", 250, created_at_ms=T0), **changes)


async def test_a_hook_round_trips_is_replaced_whole_and_stays_in_its_tenant(stores: Stores) -> None:
    assert await stores.store.chat_hook("t1") is None
    first = StoredChatHook(hook(), SECRET)
    await stores.store.save_chat_hook(first)
    assert await stores.other.chat_hook("t1") == first
    assert await stores.other.chat_hook("t2") is None

    rotated = StoredChatHook(
        hook(on_timeout=OnTimeout.HOLD, enabled=False, rotated_until_ms=T0 + 5, updated_at_ms=T0 + 1),
        SECRET.replace("c2", "bm"),
        OLD,
    )
    await stores.store.save_chat_hook(rotated)
    await stores.store.save_chat_hook(StoredChatHook(hook("t2", url="https://b.example/"), OLD))
    assert await stores.other.chat_hook("t1") == rotated
    assert (await stores.other.chat_hook("t2")) == StoredChatHook(hook("t2", url="https://b.example/"), OLD)

    assert await stores.store.delete_chat_hook("t1")
    assert not await stores.store.delete_chat_hook("t1")
    assert await stores.other.chat_hook("t1") is None
    assert await stores.other.chat_hook("t2") is not None


async def test_sql_seals_secrets_at_rest_and_refuses_an_unknown_tenant(sql_stores: Stores) -> None:
    stores = sql_stores
    assert stores.sql is not None
    await stores.store.save_chat_hook(StoredChatHook(hook(), SECRET, OLD))
    async with stores.sql._engine.connect() as conn:
        row = (await conn.execute(sa.text("SELECT secret, previous_secret FROM chat_hooks"))).one()
    assert all(value.startswith("fernet:") and "c2VjcmV0" not in value for value in row)
    with pytest.raises(SyncError) as refused:
        await stores.store.save_chat_hook(StoredChatHook(hook("nobody"), SECRET))
    assert refused.value.code is Code.NOT_FOUND
