"""Publish after commit, with two nodes in one process sharing one database and a
broker: a message is shown to members only once it is stored, every member gets
every stored message exactly once and in id order, across a commit that fails, a
node that dies between its commit and its publish, a publish that stalls and a
commit that stalls (docs/protocol.md 9.2, 14)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from services import scratch_postgres_database

from socialsync.adapters.sql import store as store_module
from socialsync.adapters.sql.store import SqlStore, upgrade_database
from socialsync.domain.chat.messages import Message, MessageDraft
from socialsync.domain.errors import Code, SyncError
from socialsync.domain.model import Media, Party, Playback, Settings, Status
from socialsync.domain.notices import ChatPosted
from socialsync.domain.tenant import Tenant
from socialsync.ports import Envelope, Handler
from socialsync.services.hub import Hub

PARTY = "p1"
WAIT_S = 10.0


class Bus:
    """The broker between the nodes: each publish reaches every subscribed node."""

    def __init__(self) -> None:
        self.nodes: list[BusBroker] = []


class BusBroker:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.handler: Handler | None = None
        self.subscribed: set[tuple[str, str]] = set()
        bus.nodes.append(self)

    async def publish(self, envelope: Envelope) -> None:
        for node in self.bus.nodes:
            if (envelope.party_id, envelope.audience) in node.subscribed and node.handler is not None:
                await node.handler(envelope)

    async def subscribe(self, party_id: str, audience: str = "members") -> None:
        self.subscribed.add((party_id, audience))

    async def unsubscribe(self, party_id: str, audience: str = "members") -> None:
        self.subscribed.discard((party_id, audience))

    async def close(self) -> None:
        self.subscribed.clear()


class Sockets:
    """A node's sockets: records the chat ids each delivery hands them, and checks
    at that moment that the message is in the database."""

    def __init__(self, checker: SqlStore, violations: list[str]) -> None:
        self.checker = checker
        self.violations = violations
        self.got: list[int] = []
        self.changed = asyncio.Event()

    async def attach(self, session: str, party_id: str, audience: str = "members") -> None:
        return None

    async def detach(self, session: str, party_id: str, audience: str = "members") -> None:
        return None

    async def deliver(self, envelope: Envelope) -> None:
        if isinstance(envelope.event, ChatPosted):
            message = envelope.event.message
            found = await self.checker.after(envelope.party_id, message.id - 1, 1)
            if not found or found[0] != message:
                self.violations.append(f"{message.id} shown but not stored")
            self.got.append(message.id)
            self.changed.set()


@dataclasses.dataclass
class Node:
    store: SqlStore
    broker: BusBroker
    sockets: Sockets
    hub: Hub
    # Faults of this node's publish, by nonce: "die" (never publishes), "fail"
    # (raises), or an event it waits for.
    faults: dict[str, str | asyncio.Event] = dataclasses.field(default_factory=dict)
    stalled: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)  # a publish waits

    async def publish(self, message: Message) -> None:
        fault = self.faults.get(message.nonce)
        if isinstance(fault, asyncio.Event):
            self.stalled.set()
            await fault.wait()
        elif fault == "die":
            return  # the process is gone: nothing after the commit runs, nobody is told
        elif fault == "fail":
            raise SyncError(Code.UNAVAILABLE, "broker down")
        await self.broker.publish(Envelope(message.party_id, ChatPosted(message)))

    async def send(self, nonce: str) -> Message:
        """As ChatService.send_chat: append (publish after commit); a retry publishes again."""
        draft = MessageDraft(PARTY, "u1", "Ada", f"text {nonce}", 1_700_000_000_000, nonce)
        message, created = await self.store.append(draft, self.publish)
        if not created:
            await self.publish(message)
        return message


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    async with scratch_postgres_database() as url:
        yield url


@pytest.fixture
async def cluster(database_url: str) -> AsyncIterator[tuple[list[Node], list[str], SqlStore]]:
    await upgrade_database(database_url)
    checker = await SqlStore.open(database_url)
    await checker.add_tenant(Tenant("t1", "T", "secret", True, 1))
    media = Media(url="https://cdn.example/a.m3u8", title="A", duration_s=60.0)
    playback = Playback(media=media, status=Status.PAUSED, position_s=0.0, at_ms=1, seq=1, by=None)
    await checker.record_party(Party(PARTY, "t1", "Party", 1, "u1", Settings(), playback))
    bus, violations, nodes = Bus(), [], []
    for i in range(2):
        store = await SqlStore.open(database_url)
        broker = BusBroker(bus)
        sockets = Sockets(checker, violations)
        hub = Hub(broker=broker, local=sockets, messages=store)
        broker.handler = hub.on_envelope
        await hub.attach(f"s{i}", PARTY)
        nodes.append(Node(store, broker, sockets, hub))
    try:
        yield nodes, violations, checker
    finally:
        for node in nodes:
            await node.hub.close()
            await node.store.close()
        await checker.close()


async def everyone_has(nodes: list[Node], count: int) -> None:
    async def one(node: Node) -> None:
        while len(node.sockets.got) < count:
            node.sockets.changed.clear()
            await node.sockets.changed.wait()

    await asyncio.wait_for(asyncio.gather(*(one(n) for n in nodes)), WAIT_S)


async def check_exactly_once_in_order(
    nodes: list[Node], violations: list[str], checker: SqlStore, count: int
) -> None:
    await everyone_has(nodes, count)
    stored = [m.id for m in await checker.after(PARTY, 0, 1000)]
    assert stored == list(range(1, count + 1))
    for node in nodes:
        assert node.sockets.got == stored
    assert violations == []


async def test_a_commit_that_fails_shows_nothing_and_its_id_goes_to_the_next(
    cluster: tuple[list[Node], list[str], SqlStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A kill just before COMMIT: the transaction rolls back. Before publish after
    # commit, the members were shown the message anyway, and its id went to another.
    nodes, violations, checker = cluster
    a, b = nodes
    real = store_module._append_group

    async def dies_before_commit(conn: Any, group: Any) -> Any:
        results = await real(conn, group)
        if any(item.draft.nonce == "doomed" for item in group):
            raise SyncError(Code.UNAVAILABLE, "connection lost before COMMIT")
        return results

    monkeypatch.setattr(store_module, "_append_group", dies_before_commit)
    await a.send("n1")
    with pytest.raises(SyncError):
        await a.send("doomed")
    await b.send("n2")
    await a.send("n3")
    await check_exactly_once_in_order(nodes, violations, checker, 3)


@pytest.mark.parametrize("fault", ["die", "fail"])
async def test_a_node_lost_between_commit_and_publish(
    cluster: tuple[list[Node], list[str], SqlStore], fault: str
) -> None:
    # Node a commits 3 and never publishes it (dies, or its broker fails). The next
    # message (from b) proves 3 is stored: the nodes hold 4, fill 3 from the store.
    # The sender's retry with the nonce publishes 3 again: dropped as delivered.
    nodes, violations, checker = cluster
    a, b = nodes
    a.faults["n3"] = fault
    await a.send("n1")
    await b.send("n2")
    if fault == "fail":
        with pytest.raises(SyncError):
            await a.send("n3")
    else:
        await a.send("n3")
    await everyone_has(nodes, 2)
    for i in range(4, 8):
        await (a if i % 2 else b).send(f"n{i}")
    await check_exactly_once_in_order(nodes, violations, checker, 7)
    retried = await b.send("n3")
    assert retried.id == 3
    await b.send("n8")
    await check_exactly_once_in_order(nodes, violations, checker, 8)


async def test_a_stalled_publish_is_overtaken_then_dropped(
    cluster: tuple[list[Node], list[str], SqlStore],
) -> None:
    # Node a committed 2 but its publish stalls; b's 3 and 4 go out first. The nodes
    # hold them, fill 2 from the store, and drop a's late publish of 2.
    nodes, violations, checker = cluster
    a, b = nodes
    release = asyncio.Event()
    a.faults["n2"] = release
    await a.send("n1")
    stalled = asyncio.create_task(a.send("n2"))
    await asyncio.wait_for(a.stalled.wait(), WAIT_S)  # 2 is committed, not published
    await b.send("n3")  # waits for 2's commit (the row lock), not for its publish
    await b.send("n4")
    await check_exactly_once_in_order(nodes, violations, checker, 4)
    release.set()
    assert (await stalled).id == 2
    await b.send("n5")
    await check_exactly_once_in_order(nodes, violations, checker, 5)


async def test_a_stalled_commit_holds_back_everything_after_it(
    cluster: tuple[list[Node], list[str], SqlStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Node a's transaction for 2 stalls before COMMIT, b's append waits behind it:
    # nobody is shown 2 (or anything after it) before it is stored.
    nodes, violations, checker = cluster
    a, b = nodes
    real = store_module._append_group
    inside, release = asyncio.Event(), asyncio.Event()

    async def stalls(conn: Any, group: Any) -> Any:
        results = await real(conn, group)
        if any(item.draft.nonce == "slow" for item in group):
            inside.set()
            await release.wait()
        return results

    monkeypatch.setattr(store_module, "_append_group", stalls)
    await a.send("n1")
    await everyone_has(nodes, 1)
    slow = asyncio.create_task(a.send("slow"))
    await asyncio.wait_for(inside.wait(), WAIT_S)
    behind = asyncio.create_task(b.send("n3"))
    await asyncio.sleep(0.2)  # let b's append reach the database (not an assertion of timing)
    assert not behind.done() and [n.sockets.got for n in nodes] == [[1], [1]]
    release.set()
    assert (await slow).id == 2 and (await behind).id == 3
    await check_exactly_once_in_order(nodes, violations, checker, 3)


async def test_a_node_joining_late_gets_the_stream_after_its_history(
    cluster: tuple[list[Node], list[str], SqlStore],
) -> None:
    nodes, violations, checker = cluster
    a, b = nodes
    for i in range(1, 4):
        await a.send(f"n{i}")
    await b.hub.detach("s1", PARTY)  # b has nobody left in the party
    await a.send("n4")
    await b.hub.attach("s1b", PARTY)  # starts after the newest stored id: 4
    await a.send("n5")
    await everyone_has([a], 5)
    await everyone_has([b], 4)
    assert b.sockets.got == [1, 2, 3, 5] and a.sockets.got == [1, 2, 3, 4, 5]
    assert violations == []
