"""The Revocations port, on memory, SQLite, PostgreSQL and Redis: what is revoked (by
jti, by user up to a time), only within its tenant, for as long as asked (then pruned);
and every revocation reaches every follower (two followers on Redis or on one database
stand for two nodes)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from services import drop_keys, redis_or_skip, scratch_postgres_database

from socialsync.adapters.memory.revocations import MemoryRevocations
from socialsync.adapters.redis.revocations import RedisRevocations
from socialsync.adapters.redis.support import Keys, connect
from socialsync.adapters.sql.revocations import SqlRevocations, revocations
from socialsync.adapters.sql.store import SqlStore, upgrade_database
from socialsync.ports.revocations import Revocation, Revocations
from socialsync.tasks import stop

NOW = 1_700_000_000


class FakeTime:
    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now


@contextlib.asynccontextmanager
async def sql_pair(url: str, now_s: FakeTime) -> AsyncIterator[tuple[SqlRevocations, SqlRevocations]]:
    """Two SqlRevocations on one database, each over its own engine (two processes)."""
    await upgrade_database(url)
    a, b = await SqlStore.open(url), await SqlStore.open(url)
    try:
        yield SqlRevocations(a, now_s), SqlRevocations(b, now_s)
    finally:
        await a.close()
        await b.close()


@contextlib.asynccontextmanager
async def database(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    async with scratch_postgres_database() as url:
        yield url


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("redis", marks=pytest.mark.redis),
    ]
)
async def stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Revocations, Revocations]]:
    """Two handles on one store (two nodes of a cluster; one process when embedded)."""
    if request.param == "memory":
        store = MemoryRevocations(FakeTime())
        yield store, store
        return
    if request.param in ("sqlite", "postgresql"):
        async with database(request.param, tmp_path) as url, sql_pair(url, FakeTime()) as pair:
            yield pair
        return
    url = await redis_or_skip()
    keys = Keys(f"t{secrets.token_hex(4)}")
    a, b = connect(url), connect(url)
    try:
        yield RedisRevocations(a, keys), RedisRevocations(b, keys)
    finally:
        await a.aclose()
        await b.aclose()
        await drop_keys(url, keys.prefix)


async def test_a_jti_is_revoked_alone_and_only_in_its_tenant(stores):
    a, b = stores
    await a.revoke(Revocation("demo", NOW, jti="j1"), 600)
    assert await b.is_revoked("demo", "u1", "j1", NOW - 5)
    assert not await b.is_revoked("demo", "u1", "j2", NOW - 5)
    assert not await b.is_revoked("acme", "u1", "j1", NOW - 5)
    assert not await b.is_revoked("demo", "u1", None, NOW - 5)


async def test_a_user_is_revoked_up_to_the_revocation_time_in_its_tenant(stores):
    a, b = stores
    await a.revoke(Revocation("demo", NOW, user_id="u1"), 600)
    assert await b.is_revoked("demo", "u1", "j1", NOW - 100)
    assert await b.is_revoked("demo", "u1", "j1", NOW)
    assert await b.is_revoked("demo", "u1", None, None), "no iat: issued before"
    assert not await b.is_revoked("demo", "u1", "j1", NOW + 1), "issued after: a new sign-in"
    assert not await b.is_revoked("demo", "u2", "j1", NOW - 100)
    assert not await b.is_revoked("acme", "u1", "j1", NOW - 100)
    # An earlier revocation never moves the time back.
    await a.revoke(Revocation("demo", NOW - 50, user_id="u1"), 600)
    assert await b.is_revoked("demo", "u1", "j1", NOW - 10)


async def test_ids_with_colons_do_not_meet_across_tenants(stores):
    a, b = stores
    await a.revoke(Revocation("a", NOW, user_id="b:user:c"), 600)
    assert not await b.is_revoked("a:user:b", "c", None, NOW - 1)


async def test_every_follower_gets_every_revocation(stores):
    a, b = stores
    seen: dict[str, list[Revocation]] = {"a": [], "b": []}
    warmed: set[str] = set()
    ready = asyncio.Event()

    def follower(name: str):
        async def on_revoked(revocation: Revocation) -> None:
            if revocation.tenant_id == "warm":
                warmed.add(name)
                return
            seen[name].append(revocation)
            if all(len(v) == 2 for v in seen.values()):
                ready.set()

        return on_revoked

    tasks = [asyncio.create_task(a.follow(follower("a"))), asyncio.create_task(b.follow(follower("b")))]
    try:
        # Until both are reading (on Redis, the stream from its end): a warm-up each round.
        for i in range(100):
            await a.revoke(Revocation("warm", NOW, jti=f"w{i}"), 600)
            await asyncio.sleep(0.05)
            if warmed == {"a", "b"}:
                break
        assert warmed == {"a", "b"}, "followers never started"
        sent = [Revocation("demo", NOW, jti="j1"), Revocation("acme", NOW, user_id="u1")]
        for revocation in sent:
            await a.revoke(revocation, 600)
        await asyncio.wait_for(ready.wait(), 5)
        assert seen == {"a": sent, "b": sent}
    finally:
        for task in tasks:
            await stop(task)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def test_sql_revocations_expire_and_are_pruned(backend: str, tmp_path: Path):
    """Kept for keep_s only; expired rows are deleted (the next revocation prunes them),
    and a new handle on the same database (a restarted server) still refuses the rest."""
    clock = FakeTime()
    async with database(backend, tmp_path) as url:
        async with sql_pair(url, clock) as (a, _):
            await a.revoke(Revocation("demo", NOW, jti="short"), 10)
            await a.revoke(Revocation("demo", NOW, user_id="u1"), 10)
            await a.revoke(Revocation("demo", NOW, jti="long"), 600)
            clock.now += 11
            assert not await a.is_revoked("demo", "u1", "short", NOW - 5)
            await a.revoke(Revocation("demo", NOW + 11, jti="later"), 600)
            engine = a._engine
            async with engine.connect() as conn:
                rows = (await conn.execute(sa.select(revocations.c.jti).order_by(revocations.c.id))).all()
            assert [r.jti for r in rows] == ["long", "later"]
        async with sql_pair(url, clock) as (again, _):
            assert await again.is_revoked("demo", "u1", "long", NOW - 5)
            assert await again.is_revoked("demo", "u2", "later", NOW - 5)
            assert not await again.is_revoked("demo", "u1", "short", NOW - 5)
