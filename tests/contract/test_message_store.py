"""The MessageStore contract, run against SQLite and PostgreSQL (fixtures in conftest.py)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from socialsync.adapters.sql import store as store_module
from socialsync.adapters.sql.store import SqlStore, upgrade_database
from socialsync.domain.chat.messages import Message, MessageDraft
from socialsync.domain.errors import Code, SyncError
from socialsync.domain.model import (
    ControlMode,
    Media,
    MediaKind,
    Member,
    Party,
    Playback,
    Role,
    RoomType,
    Settings,
    Status,
)
from socialsync.domain.tenant import Tenant

TENANT = Tenant(id="t1", name="Acme TV", secret="s3cret", allow_guests=True, created_at_ms=1_700_000_000_000)


def make_party(party_id: str = "p1", **changes: object) -> Party:
    party = Party(
        id=party_id,
        tenant_id=TENANT.id,
        title="Movie night",
        created_at_ms=1_700_000_000_500,
        created_by="u-host",
        settings=Settings(control=ControlMode.HOSTS, max_members=12),
        playback=Playback(
            media=Media(url="https://cdn.example/film.m3u8", title="Film", duration_s=5400.0),
            status=Status.PAUSED,
            position_s=12.5,
            at_ms=1_700_000_001_000,
            seq=3,
            by="u-host",
        ),
    )
    return dataclasses.replace(party, **changes)  # type: ignore[arg-type]


def make_draft(nonce: str, *, party_id: str = "p1", user_id: str = "u1", **changes: object) -> MessageDraft:
    draft = MessageDraft(
        party_id=party_id,
        user_id=user_id,
        user_name=f"name of {user_id}",
        text=f"hello {nonce}",
        ts_ms=1_700_000_002_000,
        nonce=nonce,
    )
    return dataclasses.replace(draft, **changes)  # type: ignore[arg-type]


@pytest.fixture
async def store(message_store: SqlStore) -> AsyncIterator[SqlStore]:
    """The store under test, holding TENANT and an empty party "p1"."""
    await message_store.add_tenant(TENANT)
    await message_store.record_party(make_party("p1"))
    yield message_store


async def append_all(store: SqlStore, drafts: list[MessageDraft]) -> list[Message]:
    return [message for message, _ in await asyncio.gather(*(store.append(d) for d in drafts))]


def ids(messages: list[Message]) -> list[int]:
    return [m.id for m in messages]


# --- health -----------------------------------------------------------------------


async def test_ping_succeeds(store: SqlStore) -> None:
    await store.ping()


async def test_ping_reports_an_unreachable_database_as_unavailable(unreachable_url: str) -> None:
    store = await SqlStore.open(unreachable_url)
    try:
        with pytest.raises(SyncError) as caught:
            await store.ping()
    finally:
        await store.close()
    assert caught.value.code is Code.UNAVAILABLE
    await settle_aiosqlite_threads()


async def settle_aiosqlite_threads(timeout_s: float = 5.0) -> None:
    """Wait for aiosqlite worker threads to end.

    aiosqlite (0.22) stops the worker thread of a connection that failed to open
    without awaiting it; if the event loop closes first, the thread's late reply
    raises in the thread and (with filterwarnings=error) fails whichever test runs next.
    """
    deadline = asyncio.get_running_loop().time() + timeout_s
    while any(t.name.endswith("(_connection_worker_thread)") for t in threading.enumerate()):
        assert asyncio.get_running_loop().time() < deadline, "aiosqlite worker thread did not stop"
        await asyncio.sleep(0.01)


# --- append -----------------------------------------------------------------------


async def test_append_stores_every_field_and_numbers_from_one(store: SqlStore) -> None:
    draft = make_draft("n1", text="héllo 👋 <b>", media_time_s=61.25, reply_to=None)
    message, created = await store.append(draft)

    assert created is True
    assert message == Message(id=1, **dataclasses.asdict(draft))
    reply, _ = await store.append(make_draft("n2", reply_to=1, media_time_s=None))
    assert reply.id == 2
    assert await store.after("p1", 0, 10) == [message, reply]


async def test_concurrent_appends_get_ids_one_to_n_without_gaps(store: SqlStore) -> None:
    drafts = [make_draft(f"n{i}", user_id=f"u{i % 7}") for i in range(50)]

    messages = await append_all(store, drafts)

    assert sorted(ids(messages)) == list(range(1, 51))
    stored = await store.after("p1", 0, 100)
    assert ids(stored) == list(range(1, 51))
    # Each draft got its own id, and the stored row is the one that was returned.
    assert {m.nonce: m for m in stored} == {m.nonce: m for m in messages}


async def test_appends_from_two_nodes_share_one_gapless_sequence(store: SqlStore, database_url: str) -> None:
    other_node = await SqlStore.open(database_url)
    try:
        drafts = [make_draft(f"n{i}") for i in range(40)]
        results = await asyncio.gather(
            *((store if i % 2 else other_node).append(d) for i, d in enumerate(drafts))
        )
    finally:
        await other_node.close()

    assert sorted(message.id for message, _ in results) == list(range(1, 41))


async def test_on_stored_sees_ids_in_order_on_each_node(store: SqlStore, database_url: str) -> None:
    # After the commit, so two nodes' calls may interleave out of id order (the
    # receiving nodes order them: services/chat_order.py); each node's own are in order.
    other_node = await SqlStore.open(database_url)
    seen: dict[int, list[int]] = {0: [], 1: []}

    def publisher(node: int) -> Callable[[Message], Awaitable[None]]:
        async def publish(message: Message) -> None:
            await asyncio.sleep(0)  # a real publish awaits: the order must hold anyway
            seen[node].append(message.id)

        return publish

    try:
        drafts = [make_draft(f"n{i}") for i in range(30)]
        await asyncio.gather(
            *((store if i % 2 else other_node).append(d, publisher(i % 2)) for i, d in enumerate(drafts))
        )
    finally:
        await other_node.close()
    assert seen[0] == sorted(seen[0]) and seen[1] == sorted(seen[1])
    assert sorted(seen[0] + seen[1]) == list(range(1, 31))


@pytest.mark.parametrize("read", ["after", "before"])
async def test_on_stored_runs_only_once_the_message_is_committed(
    store: SqlStore, database_url: str, read: str
) -> None:
    # Whatever on_stored publishes is already in the store, for any reader (SQLite
    # serves one node; PostgreSQL's reader is another node).
    reader = store if database_url.startswith("sqlite") else await SqlStore.open(database_url)
    seen: list[list[int]] = []

    async def publish(message: Message) -> None:
        history = reader.after("p1", 0, 10) if read == "after" else reader.before("p1", None, 10)
        seen.append(sorted(ids(await asyncio.wait_for(history, 5))))

    try:
        await store.append(make_draft("n1"), publish)
        await store.append(make_draft("n2"), publish)
    finally:
        if reader is not store:
            await reader.close()
    assert seen == [[1], [1, 2]]


async def test_a_commit_that_fails_publishes_nothing_and_its_id_is_taken_again(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A kill just before COMMIT, as the database sees it: the transaction rolls back.
    real = store_module._append_group
    published: list[int] = []

    async def dies_before_commit(conn: Any, group: Any) -> Any:
        await real(conn, group)
        raise SyncError(Code.UNAVAILABLE, "connection lost before COMMIT")

    async def publish(message: Message) -> None:
        published.append(message.id)

    monkeypatch.setattr(store_module, "_append_group", dies_before_commit)
    with pytest.raises(SyncError):
        await store.append(make_draft("n1"), publish)
    monkeypatch.setattr(store_module, "_append_group", real)
    assert published == [] and await store.after("p1", 0, 10) == []
    message, created = await store.append(make_draft("n2"), publish)
    assert created and message.id == 1 and published == [1]


async def test_a_read_does_not_wait_for_another_partys_append(store: SqlStore) -> None:
    await store.record_party(make_party("p2"))
    (first,) = await append_all(store, [make_draft("n1")])
    published, release = asyncio.Event(), asyncio.Event()

    async def publish_then_stall(message: Message) -> None:
        published.set()
        await release.wait()

    stalled = asyncio.create_task(store.append(make_draft("n2", party_id="p2"), publish_then_stall))
    await published.wait()
    try:
        assert ids(await asyncio.wait_for(store.after("p1", 0, 10), 5)) == [first.id]
    finally:
        release.set()
        await stalled


async def test_a_failed_on_stored_keeps_the_message_for_the_retry(store: SqlStore) -> None:
    # Committed, then the publish failed: the sender's retry (same nonce) gets the
    # stored message back and publishes it.
    async def broken(message: Message) -> None:
        raise SyncError(Code.UNAVAILABLE, "broker down")

    with pytest.raises(SyncError):
        await store.append(make_draft("n1"), broken)
    assert ids(await store.after("p1", 0, 10)) == [1]
    message, created = await store.append(make_draft("n1"))
    assert not created and message.id == 1
    second, created = await store.append(make_draft("n2"))
    assert created and second.id == 2


async def test_one_bad_append_among_concurrent_ones_fails_alone(store: SqlStore) -> None:
    drafts = [make_draft(f"n{i}", party_id="nope" if i == 7 else "p1") for i in range(20)]
    results = await asyncio.gather(*(store.append(d) for d in drafts), return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(failed) == 1 and isinstance(failed[0], SyncError) and failed[0].code is Code.NOT_FOUND
    assert results[7] is failed[0]
    assert ids(await store.after("p1", 0, 100)) == list(range(1, 20))


async def test_each_party_counts_its_own_ids(store: SqlStore) -> None:
    await store.record_party(make_party("p2"))

    await append_all(store, [make_draft(f"n{i}", party_id=f"p{1 + i % 2}") for i in range(10)])

    assert ids(await store.after("p1", 0, 100)) == [1, 2, 3, 4, 5]
    assert ids(await store.after("p2", 0, 100)) == [1, 2, 3, 4, 5]


async def test_append_to_unknown_party_is_not_found(store: SqlStore) -> None:
    with pytest.raises(SyncError) as caught:
        await store.append(make_draft("n1", party_id="nope"))

    assert caught.value.code is Code.NOT_FOUND


# --- idempotency ---------------------------------------------------------------------


async def test_retry_with_the_same_nonce_returns_the_stored_message(store: SqlStore) -> None:
    first, created = await store.append(make_draft("n1"))
    # A retry carries the same nonce; whatever else it says, the first one stands.
    again, created_again = await store.append(make_draft("n1", text="edited", ts_ms=9))

    assert (created, created_again) == (True, False)
    assert again == first
    nxt, _ = await store.append(make_draft("n2"))
    assert nxt.id == 2
    assert ids(await store.after("p1", 0, 10)) == [1, 2]


async def test_concurrent_duplicates_store_one_message(store: SqlStore) -> None:
    results = await asyncio.gather(*(store.append(make_draft("dup")) for _ in range(10)))

    assert [created for _, created in results].count(True) == 1
    assert {message for message, _ in results} == {results[0][0]}
    assert results[0][0].id == 1
    # The losers' ids were rolled back with them: the sequence goes on without a gap.
    nxt, _ = await store.append(make_draft("after"))
    assert nxt.id == 2
    assert ids(await store.after("p1", 0, 10)) == [1, 2]


async def test_a_nonce_is_scoped_to_its_user_and_party(store: SqlStore) -> None:
    await store.record_party(make_party("p2"))

    results = await asyncio.gather(
        store.append(make_draft("same", user_id="u1")),
        store.append(make_draft("same", user_id="u2")),
        store.append(make_draft("same", user_id="u1", party_id="p2")),
    )

    assert [created for _, created in results] == [True, True, True]
    assert len(await store.after("p1", 0, 10)) == 2
    assert len(await store.after("p2", 0, 10)) == 1


# --- history -----------------------------------------------------------------------


async def test_after_pages_forward_oldest_first(store: SqlStore) -> None:
    for i in range(7):
        await store.append(make_draft(f"n{i}"))

    assert ids(await store.after("p1", 0, 3)) == [1, 2, 3]
    assert ids(await store.after("p1", 3, 3)) == [4, 5, 6]
    assert ids(await store.after("p1", 6, 3)) == [7]
    assert await store.after("p1", 7, 3) == []
    assert await store.after("p1", 0, 0) == []
    assert await store.after("other", 0, 3) == []


async def test_before_pages_backward_newest_first(store: SqlStore) -> None:
    for i in range(7):
        await store.append(make_draft(f"n{i}"))

    assert ids(await store.before("p1", None, 3)) == [7, 6, 5]
    assert ids(await store.before("p1", 5, 3)) == [4, 3, 2]
    assert ids(await store.before("p1", 2, 3)) == [1]
    assert await store.before("p1", 1, 3) == []
    assert ids(await store.before("p1", None, 100)) == [7, 6, 5, 4, 3, 2, 1]
    assert await store.before("p1", None, 0) == []
    assert await store.before("other", None, 3) == []


async def test_history_stays_within_its_party(store: SqlStore) -> None:
    await store.record_party(make_party("p2"))
    await store.append(make_draft("a", party_id="p1"))
    await store.append(make_draft("b", party_id="p2"))

    assert [m.nonce for m in await store.after("p1", 0, 10)] == ["a"]
    assert [m.nonce for m in await store.before("p2", None, 10)] == ["b"]


# --- parties -----------------------------------------------------------------------


async def test_record_then_load_round_trips_the_party(store: SqlStore) -> None:
    party = make_party(
        "p2",
        settings=Settings(type=RoomType.LIVE_ROOM, control=ControlMode.EVERYONE, wait_for_buffering=False),
        playback=Playback(media=Media(url="https://cdn.example/live.m3u8", kind=MediaKind.LIVE)),
    )
    await store.record_party(party)

    assert await store.load_party("p2") == party


async def test_load_party_leaves_out_live_state(store: SqlStore) -> None:
    member = Member(user_id="u1", name="Ann", role=Role.HOST, joined_at_ms=1, sessions=frozenset({"s1"}))
    await store.record_party(make_party("p2", members={"u1": member}, version=9, wait_epoch=4))

    loaded = await store.load_party("p2")

    assert loaded == make_party("p2")
    assert loaded is not None and loaded.members == {} and loaded.version == 0


async def test_record_party_updates_playback_and_end(store: SqlStore) -> None:
    original = make_party("p1")
    playing = dataclasses.replace(
        original.playback, status=Status.PLAYING, position_s=99.0, rate=1.25, at_ms=1_700_000_009_000, seq=4
    )
    updated = dataclasses.replace(original, title="Late show", playback=playing, ended="host_ended")

    await store.record_party(updated)

    assert await store.load_party("p1") == updated


async def test_record_party_keeps_the_message_counter(store: SqlStore) -> None:
    await store.append(make_draft("n1"))
    await store.record_party(make_party("p1", title="Renamed"))

    message, _ = await store.append(make_draft("n2"))

    assert message.id == 2


async def test_load_unknown_party_is_none(store: SqlStore) -> None:
    assert await store.load_party("nope") is None


async def test_record_party_of_unknown_tenant_is_not_found(store: SqlStore) -> None:
    with pytest.raises(SyncError) as caught:
        await store.record_party(make_party("p2", tenant_id="nope"))

    assert caught.value.code is Code.NOT_FOUND


# --- tenants -----------------------------------------------------------------------


async def test_tenant_round_trips(store: SqlStore) -> None:
    closed = Tenant(id="t2", name="Closed TV", secret="x", allow_guests=False, created_at_ms=5)
    await store.add_tenant(closed)

    assert await store.get_tenant("t1") == TENANT
    assert await store.get_tenant("t2") == closed
    assert await store.get_tenant("nope") is None


async def test_adding_a_taken_tenant_id_is_a_conflict(store: SqlStore) -> None:
    with pytest.raises(SyncError) as caught:
        await store.add_tenant(dataclasses.replace(TENANT, name="Impostor"))

    assert caught.value.code is Code.CONFLICT
    assert await store.get_tenant("t1") == TENANT


# --- migrations --------------------------------------------------------------------


async def test_upgrading_again_changes_nothing(store: SqlStore, database_url: str) -> None:
    message, _ = await store.append(make_draft("n1"))

    await upgrade_database(database_url)
    await upgrade_database(database_url)

    assert await store.after("p1", 0, 10) == [message]
    assert await store.load_party("p1") == make_party("p1")


async def test_concurrent_upgrades_of_a_fresh_database_both_succeed(database_url: str) -> None:
    await asyncio.gather(upgrade_database(database_url), upgrade_database(database_url))

    store = await SqlStore.open(database_url)
    try:
        await store.add_tenant(TENANT)
        assert await store.get_tenant("t1") == TENANT
    finally:
        await store.close()


async def test_sqlite_files_are_migrated_into_wal_mode(tmp_path: Path) -> None:
    # Specific to SQLite: without WAL, one appending writer would stall every reader.
    path = tmp_path / "store.db"
    await upgrade_database(f"sqlite:///{path}")

    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
