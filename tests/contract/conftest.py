"""Factories for the contract suites: each port's suite runs against every implementation.

Message store (and the moderation and clip stores, plus their memory
implementations): SQLite in a file under tmp_path, and PostgreSQL in a scratch
database created for the one test and dropped after it. PostgreSQL defaults to
``postgresql://postgres@127.0.0.1:5432/test`` (override with
``SOCIALSYNC_TEST_POSTGRES_URL``); when it is unreachable the PostgreSQL cases
skip, except under CI (``CI=true``), where a silently skipped backend would hide
a broken setup, so they fail.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from services import scratch_postgres_database
from store_records import Records

from socialsync.adapters.memory.clip_store import MemoryClipStore
from socialsync.adapters.memory.message_store import MemoryMessageStore
from socialsync.adapters.memory.moderation_store import MemoryModerationStore
from socialsync.adapters.sql.clip_store import SqlClipStore
from socialsync.adapters.sql.moderation_store import SqlModerationStore
from socialsync.adapters.sql.store import SqlStore, upgrade_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sql_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database_url(sql_backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty, unmigrated database of the backend under test."""
    if sql_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    async with scratch_postgres_database() as url:
        yield url


@pytest.fixture
def unreachable_url(sql_backend: str, tmp_path: Path) -> str:
    """A URL of the backend under test that cannot be connected to."""
    if sql_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'store.db'}"
    # Port 1 (tcpmux) is reserved and refuses connections on any sane host.
    return "postgresql://postgres@127.0.0.1:1/test"


@pytest.fixture
async def message_store(database_url: str) -> AsyncIterator[SqlStore]:
    await upgrade_database(database_url)
    store = await SqlStore.open(database_url)
    try:
        yield store
    finally:
        await store.close()


# --- moderation and clip stores: memory, SQLite, PostgreSQL --------------------------


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def records(store_backend: str, tmp_path: Path) -> AsyncIterator[Records]:
    """A MessageStore with its ModerationStore and ClipStore on one backend, empty."""
    if store_backend == "memory":
        memory = MemoryMessageStore()
        yield Records(memory, MemoryModerationStore(memory), MemoryClipStore())
        return
    if store_backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        async with _sql_records(url) as made:
            yield made
        return
    async with scratch_postgres_database() as url, _sql_records(url) as made:
        yield made


@contextlib.asynccontextmanager
async def _sql_records(url: str) -> AsyncIterator[Records]:
    await upgrade_database(url)
    store = await SqlStore.open(url)
    try:
        yield Records(store, SqlModerationStore(store), SqlClipStore(store))
    finally:
        await store.close()
