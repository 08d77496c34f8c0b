"""The Broker contract, run against memory and Redis: what a subscribed node gets,
in which order, and what it never gets."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from services import drop_keys, redis_or_skip

from socialsync.adapters.memory.broker import MemoryBroker
from socialsync.adapters.redis.broker import RedisBroker
from socialsync.adapters.redis.support import Keys, connect
from socialsync.domain.moderation.sanctions import AuditEntry
from socialsync.domain.notices import Audited, MemberLeft
from socialsync.ports import Envelope

Inbox = list[Envelope]


async def _memory_node():
    inbox: Inbox = []

    async def handler(envelope: Envelope) -> None:
        inbox.append(envelope)

    return MemoryBroker(handler), inbox


@asynccontextmanager
async def redis_cluster() -> AsyncIterator[Callable]:
    """make() -> (broker, inbox): the brokers of one test share one cluster (key prefix)."""
    url = await redis_or_skip()
    keys = Keys(f"t{secrets.token_hex(4)}")
    made: list = []

    async def make():
        inbox: Inbox = []

        async def handler(envelope: Envelope) -> None:
            inbox.append(envelope)

        client = connect(url)
        broker = RedisBroker(url, client, keys, handler)
        await broker.start()
        made.append((broker, client))
        return broker, inbox

    try:
        yield make
    finally:
        for broker, client in made:
            await broker.close()
            await client.aclose()
        await drop_keys(url, keys.prefix)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def node_factory(request: pytest.FixtureRequest) -> AsyncIterator[Callable]:
    """make() -> (broker, inbox): a node's broker and what its handler received."""
    if request.param == "memory":
        yield _memory_node
        return
    async with redis_cluster() as make:
        yield make


@pytest.fixture
async def redis_nodes() -> AsyncIterator[Callable]:
    async with redis_cluster() as make:
        yield make


async def eventually(condition: Callable[[], bool], timeout_s: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


PAYLOAD = {"text": "héllo 👋", "n": 2**62, "x": 1.5, "none": None, "list": [1, "a", {"b": False}]}


def note(name: str, **payload: object) -> Audited:
    """A notice named ``name`` carrying ``payload`` as plain data (an audit entry's details)."""
    return Audited(AuditEntry("t1", "p1", "a1", "Ann", name, 1, details=dict(payload)))


def name(envelope: Envelope) -> str:
    assert isinstance(envelope.event, Audited)
    return envelope.event.entry.action


def payload(envelope: Envelope) -> dict:
    assert isinstance(envelope.event, Audited)
    return envelope.event.entry.details


async def test_envelopes_arrive_in_publish_order_with_payloads_intact(node_factory):
    broker, inbox = await node_factory()
    await broker.subscribe("p1")
    for i in range(200):
        await broker.publish(
            Envelope("p1", note("chat.message", i=i, **PAYLOAD), to_user="u1" if i % 7 else None)
        )
    await eventually(lambda: len(inbox) == 200)
    assert [payload(e)["i"] for e in inbox] == list(range(200))
    first = inbox[0]
    assert first.party_id == "p1" and name(first) == "chat.message" and first.to_user is None
    assert {k: v for k, v in payload(first).items() if k != "i"} == PAYLOAD
    assert first.event == note("chat.message", i=0, **PAYLOAD), "arrives equal to the one published"
    assert inbox[1].to_user == "u1" and inbox[1].audience == "members"


async def test_only_subscribed_parties_are_delivered(node_factory):
    broker, inbox = await node_factory()
    await broker.subscribe("p1")
    await broker.publish(Envelope("p2", note("x")))
    await broker.unsubscribe("p1")
    await broker.publish(Envelope("p1", note("y")))
    await broker.subscribe("p3")
    await broker.publish(Envelope("p3", note("for staff"), audience="moderators"))  # nobody watches
    await broker.subscribe("p3", "moderators")
    await broker.publish(Envelope("p3", note("z"), audience="moderators"))
    await broker.unsubscribe("p3", "moderators")
    await broker.publish(Envelope("p3", note("for staff again"), audience="moderators"))
    await broker.publish(Envelope("p3", note("w")))
    await eventually(lambda: len(inbox) == 2)
    await asyncio.sleep(0.1)
    assert [(name(e), e.audience) for e in inbox] == [("z", "moderators"), ("w", "members")]


@pytest.mark.redis
async def test_another_node_gets_what_one_node_publishes(redis_nodes):
    a, inbox_a = await redis_nodes()
    b, inbox_b = await redis_nodes()
    await b.subscribe("p1")
    for i in range(50):
        await a.publish(Envelope("p1", note("e", i=i)))
    await eventually(lambda: len(inbox_b) == 50)
    assert [payload(e)["i"] for e in inbox_b] == list(range(50))
    assert inbox_a == [], "a node gets nothing of parties it is not subscribed to"


@pytest.mark.redis
async def test_garbage_on_a_channel_is_dropped_and_delivery_goes_on(redis_nodes):
    broker, inbox = await redis_nodes()
    await broker.subscribe("p1")
    raw = connect(await redis_or_skip())
    try:
        channel = broker._keys.channel("p1")
        await raw.publish(channel, b"\xc1 not msgpack")
        await raw.publish(channel, b"\x93\x01\x02\x03")  # msgpack, wrong shape
    finally:
        await raw.aclose()
    await broker.publish(Envelope("p1", MemberLeft("p1", "u1")))
    await eventually(lambda: len(inbox) == 1)
    assert inbox[0].event == MemberLeft("p1", "u1")
