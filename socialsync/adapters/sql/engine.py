"""The SQL engine and schema metadata the store, the other SQL stores and the
migrations share (kept apart from store.py so that the migrations need not import
the store, which runs them)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# How long a SQLite connection waits for another process's write lock before
# giving up with "database is locked" (reported as unavailable).
SQLITE_BUSY_TIMEOUT_MS = 5_000

# Execution option marking transactions that will write: on SQLite they take the
# write lock up front (BEGIN IMMEDIATE). A deferred transaction that reads and
# then writes fails at once with SQLITE_BUSY when another connection wrote since
# its read began, without waiting out the busy timeout.
WRITE_OPTION = "socialsync_write"

_PLAIN_TO_ASYNC_DRIVER = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}

# Matches the names written out in migrations/versions, so metadata and the
# migrated schema agree (and autogenerate finds nothing to do).
metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


# --- engine -------------------------------------------------------------------


def async_url(url: str) -> sa.URL:
    """``sqlite:///x.db`` and ``postgresql://...`` with their async drivers; explicit drivers kept."""
    parsed = sa.make_url(url)
    driver = _PLAIN_TO_ASYNC_DRIVER.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


def make_engine(url: str) -> AsyncEngine:
    """An async engine for a SQLite or PostgreSQL URL, with SQLite's connections tuned."""
    engine = create_async_engine(async_url(url))
    if engine.dialect.name not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported database {engine.dialect.name!r}: use SQLite or PostgreSQL")
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        sa.event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module (which would not
    # BEGIN before a SELECT) and let _on_sqlite_begin emit BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # WAL mode is a lasting property of the file, set once by upgrade_database.
        # synchronous stays FULL: a message acknowledged to its sender survives a
        # power cut, so its id is never handed out twice.
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # SQLite checks foreign keys only when asked to, per connection.
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    writes = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
