"""The networked services the suites use: PostgreSQL scratch databases and Redis.

PostgreSQL defaults to ``postgresql://postgres@127.0.0.1:5432/test`` (override with
``SOCIALSYNC_TEST_POSTGRES_URL``), Redis to ``redis://127.0.0.1:6379/0``
(``SOCIALSYNC_TEST_REDIS_URL``; the test command starts a Redis of its own when
none is there). When one is unreachable its cases skip, except under CI
(``CI=true``), where a silently skipped backend would hide a broken setup, so
they fail.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa

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
    unavailable(f"PostgreSQL not reachable at {POSTGRES_URL} ({'; '.join(failures)})")
    raise AssertionError("unreachable")


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


REDIS_URL = os.environ.get("SOCIALSYNC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


async def redis_or_skip() -> str:
    """The test Redis URL, once it answers a PING."""
    client = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as exc:
        unavailable(f"Redis not reachable at {REDIS_URL} ({exc})")
    finally:
        await client.aclose()
    return REDIS_URL


async def drop_keys(url: str, prefix: str) -> None:
    """Remove what one test left under its key prefix (tests share one Redis)."""
    client = aioredis.Redis.from_url(url)
    try:
        async for key in client.scan_iter(match=f"{prefix}:*", count=500):
            await client.delete(key)
    finally:
        await client.aclose()
