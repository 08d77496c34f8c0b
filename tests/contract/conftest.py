"""Factories for the contract suites: each port's suite runs against every implementation.

Message store: SQLite in a file under tmp_path, and PostgreSQL in a scratch
database created for the one test and dropped after it. PostgreSQL defaults to
``postgresql://postgres@127.0.0.1:5432/test`` (override with
``SOCIALSYNC_TEST_POSTGRES_URL``); when it is unreachable the PostgreSQL cases
skip, except under CI (``CI=true``), where a silently skipped backend would hide
a broken setup, so they fail.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy as sa

from socialsync.adapters.store_sql import SqlStore, upgrade_database

POSTGRES_URL = os.environ.get("SOCIALSYNC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CONNECT_TIMEOUT_S = 5.0


def _admin_candidates(url: str) -> list[sa.URL]:
    """The configured URL, then the same as ``root`` (local installs often trust the OS user)."""
    parsed = sa.make_url(url)
    candidates = [parsed]
    if parsed.username == "postgres":
        candidates.append(parsed.set(username="root"))
    return candidates


def _dsn(url: sa.URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin_connection() -> tuple[asyncpg.Connection, sa.URL]:
    """A connection to the maintenance database, and the URL that worked."""
    failures: list[str] = []
    for url in _admin_candidates(POSTGRES_URL):
        try:
            conn = await asyncpg.connect(_dsn(url), timeout=CONNECT_TIMEOUT_S)
        except (OSError, asyncpg.PostgresError) as exc:
            failures.append(f"{url.username}: {exc}")
        else:
            return conn, url
    reason = f"PostgreSQL not reachable at {POSTGRES_URL} ({'; '.join(failures)})"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@asynccontextmanager
async def scratch_postgres_database() -> AsyncIterator[str]:
    """A fresh, empty database for one test; dropped (with its connections) after."""
    name = f"ss_{secrets.token_hex(6)}"
    admin, admin_url = await _admin_connection()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _dsn(admin_url.set(database=name))
    finally:
        admin, _ = await _admin_connection()
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


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
