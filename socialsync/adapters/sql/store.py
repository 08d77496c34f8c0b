"""The durable record (``MessageStore``) on SQLAlchemy's async engine.

SQLite (aiosqlite) is the embedded default, PostgreSQL (asyncpg) the cluster
store; the same statements run on both. Per-party message ids come from a
counter on the party row, bumped and used inside the transaction that inserts
the message: the row lock (PostgreSQL) or the write lock (SQLite) serialises
concurrent appends, even from several processes, and a rolled-back append
rolls its id back with it, so ids never skip.

Driver exceptions stop here: callers only ever see ``SyncError``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from socialsync.adapters.sql.engine import (
    WRITE_OPTION,
    make_engine,
    metadata,
)
from socialsync.adapters.sql.migrations import alembic_config
from socialsync.adapters.sql.secrets import SecretBox, private_file, sqlite_path
from socialsync.domain.chat.messages import Message, MessageDraft
from socialsync.domain.codec import party_from_data, playback_to_data, settings_to_data
from socialsync.domain.errors import Code, SyncError, not_found
from socialsync.domain.model import Party
from socialsync.domain.tenant import Tenant, TenantLimits
from socialsync.ports import Clock

# Key of the PostgreSQL advisory lock held while migrating, so nodes of a
# cluster that start together migrate one after the other. Any constant works;
# this is "sosy" in ASCII.
_MIGRATION_LOCK_KEY = 0x736F7379

# Pauses between attempts to switch a SQLite file to WAL while another connection holds it.
_WAL_RETRY_DELAYS_S = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)

tenants = sa.Table(
    "tenants",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("secret", sa.Text(), nullable=False),
    sa.Column("allow_guests", sa.Boolean(), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    # Added by 0007: rotation's second secret, the longest token accepted. Secrets are
    # stored sealed (adapters/sql/secrets.py) when the store has a key.
    sa.Column("previous_secret", sa.Text(), nullable=True),
    sa.Column("max_token_lifetime_s", sa.BigInteger(), nullable=True),
    # Added by 0008: who may frame the tenant's pages (space-separated; NULL: the
    # server's), the tenant's own abuse limits (JSON; missing or null: the server's).
    sa.Column("frame_ancestors", sa.Text(), nullable=True),
    sa.Column("limits", sa.JSON(), nullable=True),
)

parties = sa.Table(
    "parties",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("tenant_id", sa.String(), sa.ForeignKey("tenants.id"), nullable=False, index=True),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    sa.Column("created_by", sa.String(), nullable=False),
    sa.Column("settings", sa.JSON(), nullable=False),
    sa.Column("playback", sa.JSON(), nullable=False),
    sa.Column("ended", sa.String(), nullable=True),
    # The id of the party's newest message; ``append`` bumps it.
    sa.Column("last_message_id", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("party_id", sa.String(), sa.ForeignKey("parties.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("user_id", sa.String(), nullable=False),
    sa.Column("user_name", sa.Text(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("ts_ms", sa.BigInteger(), nullable=False),
    sa.Column("nonce", sa.String(), nullable=False),
    sa.Column("media_time_s", sa.Double(), nullable=True),
    sa.Column("reply_to", sa.Integer(), nullable=True),
    # Added by 0002: shadow-muted messages, and deletion by moderators (kept for audit).
    sa.Column("hidden", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("deleted_at_ms", sa.BigInteger(), nullable=True),
    sa.Column("deleted_by", sa.String(), nullable=True),
    sa.UniqueConstraint("party_id", "user_id", "nonce"),
)


@contextlib.contextmanager
def _translate_errors() -> Iterator[None]:
    """Turn driver and pool exceptions into SyncError at the boundary."""
    try:
        yield
    except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, OSError) as exc:
        # Refused or dropped connections, a missing database file, a lock not
        # granted within the busy timeout, an exhausted pool.
        raise SyncError(Code.UNAVAILABLE, "database unavailable") from exc
    except sa_exc.DBAPIError as exc:
        # No statement means it failed while connecting (unknown role, missing
        # database, server starting up): from here, the database is not there.
        if exc.connection_invalidated or exc.statement is None:
            raise SyncError(Code.UNAVAILABLE, "database unavailable") from exc
        if isinstance(exc, sa_exc.DataError) or _sqlstate(exc).startswith("22"):
            # A value the database cannot store (a NUL in PostgreSQL text: SQLSTATE
            # 22021): the caller's data, not the database; retrying cannot help.
            raise SyncError(Code.BAD_REQUEST, "the database refused a value") from exc
        raise SyncError(Code.INTERNAL, "database error") from exc


def _sqlstate(exc: sa_exc.DBAPIError) -> str:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code if isinstance(code, str) else ""


# --- migrations ---------------------------------------------------------------


async def upgrade_database(url: str) -> None:
    """Apply the Alembic migrations up to head. Safe to run again, and from several nodes at once."""
    engine = make_engine(url)
    try:
        with _translate_errors():
            if engine.dialect.name == "sqlite":
                # The file readable by this user only (it holds tenant secrets and
                # personal data); SQLite gives its -wal and -shm files the same mode.
                path = sqlite_path(url)
                if path is not None and path.parent.is_dir():
                    private_file(path)
                await _enable_wal(engine)
            async with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
                if conn.dialect.name == "postgresql":
                    # Held to the end of this transaction; SQLite's BEGIN IMMEDIATE does the same.
                    await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK_KEY)))
                await conn.run_sync(_upgrade_to_head)
    finally:
        await engine.dispose()


async def _enable_wal(engine: AsyncEngine) -> None:
    """Put a SQLite file in WAL mode: readers never block the writer, nor it them.

    Switching needs the file to itself for a moment, and SQLite refuses at once
    (no busy timeout) while another connection holds it: two processes creating
    the same database race here. The loser retries and finds WAL already on.
    """
    for delay_s in (*_WAL_RETRY_DELAYS_S, None):
        try:
            async with engine.connect() as conn:
                await conn.run_sync(_switch_to_wal)
            return
        except sqlite3.OperationalError as exc:
            if delay_s is None:
                raise SyncError(Code.UNAVAILABLE, "database unavailable") from exc
            await asyncio.sleep(delay_s)


def _switch_to_wal(connection: Connection) -> None:
    # On the DBAPI cursor: through SQLAlchemy the PRAGMA would run after our BEGIN,
    # and the journal mode cannot change inside a transaction.
    cursor = connection.connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        cursor.close()


def _upgrade_to_head(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


# --- the store ----------------------------------------------------------------


class _WallClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class SqlStore:
    """``MessageStore`` on SQLite or PostgreSQL.

    Build it with ``open`` after ``upgrade_database`` has migrated the schema.
    """

    def __init__(self, engine: AsyncEngine, clock: Clock | None = None, box: SecretBox | None = None) -> None:
        self._engine = engine
        self._box = box or SecretBox(None)
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        self._clock: Clock = clock or _WallClock()
        # SQLite has one writer at a time. Queueing this process's writers here
        # rather than in SQLite's busy handler (which polls with sleeps) keeps
        # latency low and pool connections free for readers. PostgreSQL locks rows.
        self._write_gate: AbstractAsyncContextManager[Any] = (
            asyncio.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )
        self._appends: list[_Append] = []
        self._committer: asyncio.Task[None] | None = None
        # The parties of the append group being committed, and its end: a history
        # read of those parties waits for it (see _select_messages).
        self._committing: tuple[frozenset[str], asyncio.Future[None]] | None = None

    @classmethod
    async def open(cls, url: str, *, clock: Clock | None = None, box: SecretBox | None = None) -> SqlStore:
        """Connect lazily to ``url``; the schema must already be migrated. ``box``
        seals tenant secrets at rest (none: stored as given)."""
        return cls(make_engine(url), clock, box)

    async def close(self) -> None:
        await self._engine.dispose()

    async def ping(self) -> None:
        with _translate_errors():
            async with self._engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))

    # --- messages ---------------------------------------------------------------

    async def append(self, draft: MessageDraft, on_stored: OnStored | None = None) -> tuple[Message, bool]:
        """Group commit: appends that arrive while a commit is under way wait for the
        next one and share it (one transaction, one fsync), in arrival order."""
        pending = _Append(draft, on_stored, asyncio.get_running_loop().create_future())
        self._appends.append(pending)
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_appends())
        return await pending.result

    async def _commit_appends(self) -> None:
        while self._appends:
            group, self._appends = self._appends[:MAX_GROUP], self._appends[MAX_GROUP:]
            # By party (stable): every node locks the parties' counters in one order,
            # so two nodes' groups cannot deadlock; each party keeps arrival order.
            group.sort(key=lambda a: a.draft.party_id)
            try:
                with _translate_errors(), self._committing_group(group):
                    async with self._write_gate, self._writer.begin() as conn:
                        results = await _append_group(conn, group)
            except Exception as exc:
                if len(group) == 1:
                    group[0].fail(exc)
                    continue
                # One of them spoiled the group (a nonce raced in from another node):
                # each again alone, so only that one fails.
                for item in group:
                    await self._append_alone(item)
            else:
                # Committed: now (never before) each new message may be published, in
                # id order per party. One committer at a time keeps this node's order.
                for item, result in zip(group, results, strict=True):
                    await item.stored(result)

    @contextlib.contextmanager
    def _committing_group(self, group: list[_Append]) -> Iterator[None]:
        """Marks the group's parties until its transaction has ended (one group at a
        time: the committer runs them in turn)."""
        ended = asyncio.get_running_loop().create_future()
        self._committing = (frozenset(a.draft.party_id for a in group), ended)
        try:
            yield
        finally:
            self._committing = None
            ended.set_result(None)

    async def _append_alone(self, item: _Append) -> None:
        try:
            with _translate_errors(), self._committing_group([item]):
                async with self._write_gate:
                    try:
                        async with self._writer.begin() as conn:
                            (result,) = await _append_group(conn, [item])
                    except sa_exc.IntegrityError:
                        # A concurrent append with the same nonce committed between our
                        # lookup and our insert. Our transaction, and the id it took,
                        # were rolled back; the winner's message is the answer.
                        existing = await self._find_by_nonce(item.draft)
                        if existing is None:
                            raise
                        result = (existing, False)
        except Exception as exc:
            item.fail(exc)
        else:
            await item.stored(result)

    async def _find_by_nonce(self, draft: MessageDraft) -> Message | None:
        async with self._engine.connect() as conn:
            return await _select_by_nonce(conn, draft)

    async def after(
        self, party_id: str, after_id: int, limit: int, viewer: str | None = None
    ) -> list[Message]:
        query = (
            sa.select(messages)
            .where(messages.c.party_id == party_id, messages.c.id > after_id, *_visible_to(viewer))
            .order_by(messages.c.id.asc())
        )
        return await self._select_messages(party_id, query, limit)

    async def before(
        self, party_id: str, before_id: int | None, limit: int, viewer: str | None = None
    ) -> list[Message]:
        query = (
            sa.select(messages)
            .where(messages.c.party_id == party_id, *_visible_to(viewer))
            .order_by(messages.c.id.desc())
        )
        if before_id is not None:
            query = query.where(messages.c.id < before_id)
        return await self._select_messages(party_id, query, limit)

    async def _select_messages(self, party_id: str, query: sa.Select[Any], limit: int) -> list[Message]:
        # A non-positive LIMIT means "no limit" to SQLite and an error to PostgreSQL.
        if limit <= 0:
            return []
        with _translate_errors():
            await self._after_commit_of(party_id)
            async with self._engine.connect() as conn:
                if self._engine.dialect.name != "sqlite":
                    # Other nodes' appends: the party's counter row stays locked until
                    # their commit, and a share lock on it waits for that.
                    row = sa.select(parties.c.id).where(parties.c.id == party_id)
                    await conn.execute(row.with_for_update(read=True))
                rows = await conn.execute(query.limit(limit))
                return [_message_from_row(row) for row in rows]

    async def _after_commit_of(self, party_id: str) -> None:
        """A read of a party waits for this node's append group in flight that has the
        party in it, so that it sees the newest ids (messages are published only
        after their commit, so a joining member also gets them live)."""
        committing = self._committing
        if committing is not None and party_id in committing[0]:
            await asyncio.shield(committing[1])

    # --- parties ----------------------------------------------------------------

    async def record_party(self, party: Party) -> None:
        row = _party_row(party, self._clock.now_ms())
        insert = _dialect_insert(self._engine)(parties).values(row)
        # The definition never changes after creation; last_message_id belongs to append.
        changing = ("title", "settings", "playback", "ended", "updated_at_ms")
        upsert = insert.on_conflict_do_update(
            index_elements=[parties.c.id], set_={name: insert.excluded[name] for name in changing}
        )
        with _translate_errors():
            async with self._write_gate:
                try:
                    async with self._writer.begin() as conn:
                        await conn.execute(upsert)
                except sa_exc.IntegrityError as exc:
                    # The only constraint a valid party can break: its tenant's foreign key.
                    raise not_found(f"tenant {party.tenant_id!r} not found") from exc

    async def load_party(self, party_id: str) -> Party | None:
        query = sa.select(parties).where(parties.c.id == party_id)
        with _translate_errors():
            async with self._engine.connect() as conn:
                row = (await conn.execute(query)).one_or_none()
        return None if row is None else _party_from_row(row)

    # --- tenants ----------------------------------------------------------------

    async def get_tenant(self, tenant_id: str) -> Tenant | None:
        query = sa.select(tenants).where(tenants.c.id == tenant_id)
        with _translate_errors():
            async with self._engine.connect() as conn:
                row = (await conn.execute(query)).one_or_none()
        if row is None:
            return None
        data = row._asdict()
        previous = data["previous_secret"]
        opened = {"secret": self._box.open(data["secret"])}
        opened["previous_secret"] = previous and self._box.open(previous)
        policy = _tenant_policy_from_row(data.pop("frame_ancestors"), data.pop("limits"))
        return Tenant(**data | opened | policy)

    async def add_tenant(self, tenant: Tenant) -> None:
        row = dataclasses.asdict(tenant) | {"secret": self._box.seal(tenant.secret)}
        row |= _tenant_policy_to_row(tenant.frame_ancestors, tenant.limits)
        if tenant.previous_secret is not None:
            row["previous_secret"] = self._box.seal(tenant.previous_secret)
        with _translate_errors():
            async with self._write_gate:
                try:
                    async with self._writer.begin() as conn:
                        await conn.execute(sa.insert(tenants).values(row))
                except sa_exc.IntegrityError as exc:
                    raise SyncError(Code.CONFLICT, f"tenant {tenant.id!r} already exists") from exc

    async def rotate_secret(self, tenant_id: str, new_secret: str) -> None:
        """The new secret signs from now on; the current one stays valid as the previous
        (the one before it is dropped)."""
        tenant = await self.get_tenant(tenant_id)
        if tenant is None:
            raise not_found(f"tenant {tenant_id!r} not found")
        values = {"secret": self._box.seal(new_secret), "previous_secret": self._box.seal(tenant.secret)}
        await self._update_tenant(tenant_id, values)

    async def set_token_lifetime(self, tenant_id: str, max_s: int | None) -> None:
        await self._update_tenant(tenant_id, {"max_token_lifetime_s": max_s})

    async def set_tenant_policy(
        self, tenant_id: str, frame_ancestors: tuple[str, ...] | None, limits: TenantLimits
    ) -> None:
        await self._update_tenant(tenant_id, _tenant_policy_to_row(frame_ancestors, limits))

    async def seal_secrets(self) -> int:
        """Seal every secret still stored in plain text (written before encryption, or
        by a node without a key): how many rows changed."""
        if not self._box.sealing:
            return 0
        with _translate_errors():
            async with self._engine.connect() as conn:
                query = sa.select(tenants.c.id, tenants.c.secret, tenants.c.previous_secret)
                rows = (await conn.execute(query)).all()
        changed = 0
        for row in rows:
            stored = {"secret": row.secret, "previous_secret": row.previous_secret}
            values = {k: self._box.seal(v) for k, v in stored.items() if v is not None}
            if any(values[k] != stored[k] for k in values):
                await self._update_tenant(row.id, values)
                changed += 1
        return changed

    async def _update_tenant(self, tenant_id: str, values: dict[str, Any]) -> None:
        with _translate_errors():
            async with self._write_gate, self._writer.begin() as conn:
                update = sa.update(tenants).where(tenants.c.id == tenant_id).values(**values)
                result = await conn.execute(update)
        if not result.rowcount:
            raise not_found(f"tenant {tenant_id!r} not found")


# --- statements and rows --------------------------------------------------------


def _tenant_policy_to_row(frame_ancestors: tuple[str, ...] | None, limits: TenantLimits) -> dict[str, Any]:
    data = {k: v for k, v in limits.to_data().items() if v is not None}
    return {
        "frame_ancestors": None if frame_ancestors is None else " ".join(frame_ancestors),
        "limits": data or None,
    }


def _tenant_policy_from_row(frame_ancestors: str | None, limits: Any) -> dict[str, Any]:
    return {
        "frame_ancestors": None if frame_ancestors is None else tuple(frame_ancestors.split()),
        "limits": TenantLimits.from_data(limits or {}),
    }


async def _select_by_nonce(conn: AsyncConnection, draft: MessageDraft) -> Message | None:
    query = sa.select(messages).where(
        messages.c.party_id == draft.party_id,
        messages.c.user_id == draft.user_id,
        messages.c.nonce == draft.nonce,
    )
    row = (await conn.execute(query)).one_or_none()
    return None if row is None else _message_from_row(row)


OnStored = Callable[[Message], Awaitable[None]]
# Appends committed together at most: a group's transaction stays short.
MAX_GROUP = 100


@dataclasses.dataclass
class _Append:
    draft: MessageDraft
    on_stored: OnStored | None
    result: asyncio.Future[tuple[Message, bool]]

    async def stored(self, result: tuple[Message, bool]) -> None:
        """After the commit: ``on_stored`` for a new message, then the answer. A failed
        ``on_stored`` fails the append, the message staying stored (a retry with its
        nonce returns it, ``created=False``)."""
        message, created = result
        if created and self.on_stored is not None:
            try:
                await self.on_stored(message)
            except Exception as exc:
                self.fail(exc)
                return
        self.succeed(result)

    def succeed(self, result: tuple[Message, bool]) -> None:
        if not self.result.done():  # its sender may have given up waiting
            self.result.set_result(result)

    def fail(self, exc: BaseException) -> None:
        if not self.result.done():
            self.result.set_exception(exc)


async def _append_group(conn: AsyncConnection, group: list[_Append]) -> list[tuple[Message, bool]]:
    """A group of appends in a few statements whatever its size: one look-up of
    the retries, one counter bump per party, one multi-row insert (results in
    group order: by party, ids ascending within it)."""
    keys = [(a.draft.party_id, a.draft.user_id, a.draft.nonce) for a in group]
    stored = await _select_by_nonces(conn, keys)
    first_of: dict[tuple[str, str, str], int] = {}  # the first append of each new key
    for i, key in enumerate(keys):
        if key not in stored:
            first_of.setdefault(key, i)
    counts = collections.Counter(group[i].draft.party_id for i in first_of.values())
    next_id = {party: await _take_ids(conn, party, n) for party, n in sorted(counts.items())}
    created: dict[int, Message] = {}
    for i in sorted(first_of.values()):  # group order: by party, arrival within it
        draft = group[i].draft
        created[i] = Message(id=next_id[draft.party_id], **dataclasses.asdict(draft))
        next_id[draft.party_id] += 1
    if created:
        await conn.execute(sa.insert(messages), [dataclasses.asdict(m) for m in created.values()])
    results: list[tuple[Message, bool]] = []
    for i, key in enumerate(keys):
        if i in created:
            results.append((created[i], True))
        else:  # stored before, or a second append of the same key in this group
            results.append((stored.get(key) or created[first_of[key]], False))
    return results


async def _select_by_nonces(
    conn: AsyncConnection, keys: list[tuple[str, str, str]]
) -> dict[tuple[str, str, str], Message]:
    query = sa.select(messages).where(
        messages.c.party_id.in_({k[0] for k in keys}), messages.c.nonce.in_({k[2] for k in keys})
    )
    wanted = set(keys)
    found = (_message_from_row(row) for row in await conn.execute(query))
    return {key: m for m in found if (key := (m.party_id, m.user_id, m.nonce)) in wanted}


async def _take_ids(conn: AsyncConnection, party_id: str, count: int) -> int:
    """Take ``count`` ids of the party; the first of them (the row stays locked until commit)."""
    bump = (
        sa.update(parties)
        .where(parties.c.id == party_id)
        .values(last_message_id=parties.c.last_message_id + count)
        .returning(parties.c.last_message_id)
    )
    last = (await conn.execute(bump)).scalar_one_or_none()
    if last is None:
        raise not_found(f"party {party_id!r} not found")
    return int(last) - count + 1


_MESSAGE_FIELDS = tuple(f.name for f in dataclasses.fields(Message))


def _message_from_row(row: sa.Row[Any]) -> Message:
    data = row._asdict()
    return Message(**{name: data[name] for name in _MESSAGE_FIELDS})


def _visible_to(viewer: str | None) -> tuple[sa.ColumnElement[bool], ...]:
    """Not deleted, and not shadow-muted unless the viewer wrote it (``"*"``: all)."""
    if viewer == "*":
        return (messages.c.deleted_at_ms.is_(None),)
    hidden_ok: sa.ColumnElement[bool] = messages.c.hidden.is_(False)
    if viewer is not None:
        hidden_ok = sa.or_(hidden_ok, messages.c.user_id == viewer)
    return (messages.c.deleted_at_ms.is_(None), hidden_ok)


def _counts(rows: list[sa.Row[Any]]) -> dict[str, int]:
    """(key, count) rows of a GROUP BY as a dict."""
    pairs: list[tuple[Any, ...]] = [tuple(row) for row in rows]
    return {str(key): int(n) for key, n in pairs}


def _dialect_insert(engine: AsyncEngine) -> Any:
    # Both dialects spell the upsert ON CONFLICT ... DO UPDATE, via their own insert().
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


def _party_row(party: Party, now_ms: int) -> dict[str, Any]:
    return {
        "id": party.id,
        "tenant_id": party.tenant_id,
        "title": party.title,
        "created_at_ms": party.created_at_ms,
        "created_by": party.created_by,
        "settings": settings_to_data(party.settings),
        "playback": playback_to_data(party.playback),
        "ended": party.ended,
        "updated_at_ms": now_ms,
    }


def _party_from_row(row: sa.Row[Any]) -> Party:
    return party_from_data(
        {
            "id": row.id,
            "tenant_id": row.tenant_id,
            "title": row.title,
            "created_at_ms": row.created_at_ms,
            "created_by": row.created_by,
            "settings": row.settings,
            "playback": row.playback,
            "ended": row.ended,
            # Live state (members, versions, waits) is the PartyStore's, not recorded
            # here: a loaded party starts a fresh history.
            "version": 0,
            "wait_epoch": 0,
            "empty_since_ms": None,
        }
    )
