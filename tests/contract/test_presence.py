"""The Presence contract (ports/presence.py), run against Redis.

There is no memory implementation: one process has no other node to tell, and its
sessions and live party state die with it (see the port's docstring).

A node that "dies" here is one that beat once (``restore``) and never again: its
alive key runs out as a crashed process's would. TTLs are short (the guarantee is
eviction within ``ttl + ttl/4``); the waits poll with generous bounds so a busy
machine makes the tests slower, not red.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from services import drop_keys, redis_or_skip

from socialsync.adapters.redis.presence import RedisPresence
from socialsync.adapters.redis.support import Keys, connect

pytestmark = pytest.mark.redis

TTL_MS = 400


@dataclass
class Evicted:
    calls: list[tuple[str, frozenset[str]]] = field(default_factory=list)

    async def __call__(self, party_id: str, sessions: frozenset[str]) -> None:
        self.calls.append((party_id, sessions))

    def pairs(self) -> set[tuple[str, str]]:
        return {(party_id, s) for party_id, sessions in self.calls for s in sessions}


Node = Callable[[str, Evicted], RedisPresence]


@pytest.fixture
async def node() -> AsyncIterator[Node]:
    """node(node_id, evicted) -> a RedisPresence of one cluster (closed after the test)."""
    url = await redis_or_skip()
    keys = Keys(f"t{secrets.token_hex(4)}")
    made: list[RedisPresence] = []
    clients = []

    def make(node_id: str, evicted: Evicted) -> RedisPresence:
        client = connect(url)
        clients.append(client)
        made.append(RedisPresence(client, keys, node_id, evicted, ttl_ms=TTL_MS))
        return made[-1]

    yield make
    for presence in made:
        await presence.close()
    for client in clients:
        await client.aclose()
    await drop_keys(url, keys.prefix)


async def died(presence: RedisPresence, pairs: list[tuple[str, str]]) -> float:
    """Register ``pairs`` on a node that then stops beating; when it last beat (monotonic s)."""
    await presence.restore(pairs)
    return time.monotonic()


async def wait_until(check: Callable[[], bool], timeout_s: float) -> None:
    for _ in range(int(timeout_s / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)


async def test_a_dead_nodes_sessions_are_evicted_once_after_its_ttl(node: Node) -> None:
    survivors = [Evicted(), Evicted()]
    for i, evicted in enumerate(survivors):
        await node(f"survivor{i}", evicted).start()
    dying_evicted = Evicted()
    dying = node("dying", dying_evicted)
    last_beat = await died(dying, [])
    await dying.add("p1", "s1")
    await dying.add("p1", "s2")
    await dying.add("p2", "s3")
    await dying.remove("p1", "s2")

    await wait_until(lambda: any(e.calls for e in survivors), timeout_s=TTL_MS / 1000 * 10)
    gone_after_s = time.monotonic() - last_beat
    await asyncio.sleep(TTL_MS / 1000 * 2)  # another round of both survivors

    assert gone_after_s >= TTL_MS / 1000 * 0.9  # not while its key was alive
    everything = [call for e in survivors for call in e.calls]
    assert sorted(everything) == [("p1", frozenset({"s1"})), ("p2", frozenset({"s3"}))]
    assert dying_evicted.calls == []


async def test_restored_pairs_are_the_nodes_again(node: Node) -> None:
    survivor = Evicted()
    await node("survivor", survivor).start()
    await died(node("dying", Evicted()), [("p1", "s1"), ("p1", "s2"), ("p3", "s9")])
    await wait_until(lambda: len(survivor.pairs()) == 3, timeout_s=TTL_MS / 1000 * 10)
    assert survivor.pairs() == {("p1", "s1"), ("p1", "s2"), ("p3", "s9")}


async def test_live_nodes_sessions_stay(node: Node) -> None:
    a_evicted, b_evicted = Evicted(), Evicted()
    a, b = node("a", a_evicted), node("b", b_evicted)
    await a.start()
    await b.start()
    await a.add("p1", "s1")
    await b.add("p1", "s2")
    await asyncio.sleep(TTL_MS / 1000 * 4)
    assert a_evicted.calls == b_evicted.calls == []


async def test_a_clean_close_ends_its_own_sessions_and_no_one_elses(node: Node) -> None:
    closing_evicted, survivor = Evicted(), Evicted()
    await node("survivor", survivor).start()
    closing = node("closing", closing_evicted)
    await closing.start()
    await closing.add("p1", "s1")
    await closing.close()
    assert closing_evicted.calls == [("p1", frozenset({"s1"}))]
    await asyncio.sleep(TTL_MS / 1000 * 3)
    assert survivor.calls == []


async def test_a_node_restarted_under_its_id_ends_its_old_sessions_at_once(node: Node) -> None:
    await died(node("n1", Evicted()), [("p1", "old")])
    restarted_evicted = Evicted()
    await node("n1", restarted_evicted).start()
    assert restarted_evicted.calls == [("p1", frozenset({"old"}))]
