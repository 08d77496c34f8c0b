"""Party timers: the same timer set twice fires once; with Redis, once across nodes,
and a timer of a node that died is fired by another."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable

import pytest
from services import drop_keys, redis_or_skip

from socialsync.adapters.memory.timers import LoopTimers
from socialsync.adapters.redis.support import Keys, connect
from socialsync.adapters.redis.timers import TAKEOVER_MS, RedisTimers
from socialsync.adapters.system_clock import SystemClock

CLOCK = SystemClock()


class Fired:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    def on(self, node: str) -> Callable:
        async def fire(party_id: str, key: str) -> None:
            self.calls.append((node, party_id, key))

        return fire


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def timer_nodes(request: pytest.FixtureRequest) -> AsyncIterator[Callable]:
    """make(fire) -> a node's timers; Redis ones of one test share a cluster."""
    made: list = []
    if request.param == "memory":
        loop_timers = None

        def make_memory(fire):
            nonlocal loop_timers
            if loop_timers is None:  # one node only
                loop_timers = LoopTimers(CLOCK, fire)
            return loop_timers

        yield make_memory
        if loop_timers is not None:
            await loop_timers.close()
        return
    url = await redis_or_skip()
    keys = Keys(f"t{secrets.token_hex(4)}")

    def make_redis(fire):
        client = connect(url)
        timers = RedisTimers(client, keys, CLOCK, fire)
        timers.start()
        made.append((timers, client))
        return timers

    yield make_redis
    for timers, client in made:
        await timers.close()
        await client.aclose()
    await drop_keys(url, keys.prefix)


async def test_a_timer_set_twice_on_each_node_fires_once(timer_nodes):
    fired = Fired()
    a, b = timer_nodes(fired.on("a")), timer_nodes(fired.on("b"))
    due = CLOCK.now_ms() + 100
    for timers in (a, b, a, b):
        await timers.schedule("p1", "grace:u1:5", due)
    await timers.schedule("p1", "wait:3", due + 50)
    await asyncio.sleep(0.5)
    assert sorted(key for _, _, key in fired.calls) == ["grace:u1:5", "wait:3"]


async def test_timers_fire_when_due_not_before(timer_nodes):
    fired = Fired()
    timers = timer_nodes(fired.on("a"))
    due = CLOCK.now_ms() + 200
    await timers.schedule("p1", "k", due)
    await asyncio.sleep(0.1)
    assert fired.calls == []
    await asyncio.sleep(0.3)
    assert [key for _, _, key in fired.calls] == ["k"]


async def test_the_same_key_in_two_parties_is_two_timers(timer_nodes):
    fired = Fired()
    timers = timer_nodes(fired.on("a"))
    due = CLOCK.now_ms() + 50
    await timers.schedule("p1", "wait:1", due)
    await timers.schedule("p2", "wait:1", due)
    await asyncio.sleep(0.4)
    assert sorted((party_id, key) for _, party_id, key in fired.calls) == [("p1", "wait:1"), ("p2", "wait:1")]


async def test_a_timer_that_fails_does_not_stop_the_others(timer_nodes):
    fired = Fired()
    record = fired.on("a")

    async def fire(party_id, key):
        if key == "bad":
            raise RuntimeError("boom")
        await record(party_id, key)

    timers = timer_nodes(fire)
    now = CLOCK.now_ms()
    await timers.schedule("p1", "bad", now + 50)
    await timers.schedule("p1", "good", now + 100)
    await asyncio.sleep(0.4)
    assert [key for _, _, key in fired.calls] == ["good"]


@pytest.mark.redis
async def test_a_dead_nodes_timer_is_fired_by_another_node():
    url = await redis_or_skip()
    keys = Keys(f"t{secrets.token_hex(4)}")
    fired = Fired()
    clients = [connect(url), connect(url)]
    dying = RedisTimers(clients[0], keys, CLOCK, fired.on("dying"))
    survivor = RedisTimers(clients[1], keys, CLOCK, fired.on("survivor"))
    survivor.start()
    try:
        await dying.schedule("p1", "empty:1", CLOCK.now_ms() + 100)
        await dying.close()  # its call_later is gone, as if the process died
        await asyncio.sleep((100 + TAKEOVER_MS) / 1000 + 1.5)
        assert fired.calls == [("survivor", "p1", "empty:1")]
    finally:
        await survivor.close()
        for client in clients:
            await client.aclose()
        await drop_keys(url, keys.prefix)
