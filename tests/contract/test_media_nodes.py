"""Media nodes (ports.media.MediaNodes): which node relays each party's media, and
calls to it. The same tests run against the embedded default (one node, which holds
every party) and Redis (claims with a TTL, per-node channels, a reaper).

With one node, "another node" is that same node: a test about two nodes then checks
that the one node holds everything; what cannot happen with one node (a node dying
alone, a call to another node) is skipped for it.

Timing: TTLs are short, and every wait is for a condition under a bounded deadline
(never a fixed sleep asserted on), so a busy 2-core machine is slower, not red.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from services import drop_keys, redis_or_skip

from socialsync.adapters.memory.media_nodes import LocalMediaNodes
from socialsync.adapters.redis.media_nodes import RedisMediaNodes
from socialsync.adapters.redis.support import Keys, connect
from socialsync.domain.errors import Code, SyncError
from socialsync.ports.media import MediaNodes
from socialsync.tasks import stop

# A node's presence (and so its claims' liveness) lapses this long after its last beat.
TTL_MS = 1_000
ROUTE_TIMEOUT_MS = 3_000
DEADLINE_S = 15.0


async def until(condition: Callable[[], Awaitable[bool]], what: str, deadline_s: float = DEADLINE_S) -> None:
    """Wait until ``condition()`` holds, polling; fail after ``deadline_s``."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while not await condition():
        if loop.time() > end:
            pytest.fail(f"not within {deadline_s} s: {what}")
        await asyncio.sleep(0.02)


@dataclass
class FakeHost:
    """A relay host (RoutedRelay's side): records the calls it serves."""

    node: MediaNodes
    busy_parties: set[str] = field(default_factory=set)
    served: list[tuple[str, str, list[Any]]] = field(default_factory=list)
    lost_parties: list[str] = field(default_factory=list)
    gone_nodes: list[str] = field(default_factory=list)
    release_serving: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.release_serving.set()

    async def serve(self, origin: str, method: str, args: list[Any]) -> object:
        self.served.append((origin, method, args))
        if method == "fail":
            raise SyncError(Code.CONFLICT, "refused here")
        if method == "hang":
            await asyncio.Event().wait()
        await self.node.hold(args[0])
        return {"on": self.node.node_id, "args": args}

    def busy(self, party_id: str) -> bool:
        return party_id in self.busy_parties

    async def lost(self, party_id: str) -> None:
        self.lost_parties.append(party_id)

    async def gone(self, node_id: str) -> None:
        self.gone_nodes.append(node_id)


@dataclass
class Node:
    nodes: MediaNodes
    host: FakeHost
    lost: list[str]
    crash: Callable[[], Awaitable[None]]
    close: Callable[[], Awaitable[None]]


class Cluster:
    """Makes nodes of one backend; ``single`` when every node is the same one."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.single = backend == "local"
        self.made: list[Node] = []
        self._cleanups: list[Callable[[], Awaitable[None]]] = []
        self.url = ""
        self.keys = Keys(f"mn{secrets.token_hex(4)}")

    async def node(self) -> Node:
        if self.single and self.made:
            return self.made[0]
        lost: list[str] = []

        async def on_lost(party_id: str) -> None:
            lost.append(party_id)

        if self.single:
            nodes: MediaNodes = LocalMediaNodes()
            crash, close = _no_crash, nodes.close
        else:
            nodes, crash, close = await self._redis_node()
        nodes.on_lost = on_lost
        host = FakeHost(nodes)
        nodes.serve(host)
        await nodes.start()
        node = Node(nodes, host, lost, crash, close)
        self.made.append(node)
        return node

    async def _redis_node(
        self,
    ) -> tuple[MediaNodes, Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]:
        client = connect(self.url)
        node_id = f"n{len(self.made)}-{secrets.token_hex(2)}"
        nodes = RedisMediaNodes(
            self.url, client, self.keys, node_id, ttl_ms=TTL_MS, timeout_ms=ROUTE_TIMEOUT_MS
        )
        alive = self.keys.node_alive(node_id)

        async def beat() -> None:  # what the node's presence does: keep its alive key
            while True:
                await client.set(alive, "1", px=TTL_MS)
                await asyncio.sleep(TTL_MS / 4 / 1000)

        await client.set(alive, "1", px=TTL_MS)
        heartbeat = asyncio.create_task(beat())
        closed = False

        async def crash() -> None:
            """The process dies: no more beats, rounds or answers, and no clean close."""
            nonlocal closed
            closed = True
            await stop(heartbeat)
            await stop(nodes._task)
            await nodes._rpc.close()

        async def close() -> None:
            """A clean stop."""
            nonlocal closed
            if not closed:
                closed = True
                await nodes.close()
            await stop(heartbeat)

        async def cleanup() -> None:
            await close()
            await client.aclose()

        self._cleanups.append(cleanup)
        return nodes, crash, close

    async def close(self) -> None:
        if self.single:
            for node in self.made:
                await node.nodes.close()
        for cleanup in reversed(self._cleanups):
            await cleanup()
        if self.url:
            await drop_keys(self.url, self.keys.prefix)


async def _no_crash() -> None:
    raise AssertionError("the local backend is one node: none dies alone (use @separate_nodes)")


@pytest.fixture(params=["local", pytest.param("redis", marks=pytest.mark.redis)])
async def cluster(request: pytest.FixtureRequest) -> AsyncIterator[Cluster]:
    made = Cluster(str(request.param))
    if request.param == "redis":
        made.url = await redis_or_skip()
    try:
        yield made
    finally:
        await made.close()


# For the guarantees between separate nodes (crashes, hand-overs, routed calls): the
# local backend is one node, so these run on the backends whose nodes are apart.
separate_nodes = pytest.mark.parametrize(
    "cluster", [pytest.param("redis", marks=pytest.mark.redis)], indirect=True
)


def party() -> str:
    return f"p{secrets.token_hex(4)}"


# ----------------------------------------------------------------------- claims


async def test_the_first_node_to_claim_a_party_holds_it(cluster: Cluster) -> None:
    a = await cluster.node()
    p = party()
    assert await a.nodes.owner(p, claim=True) == a.nodes.node_id
    assert await a.nodes.owner(p, claim=False) == a.nodes.node_id
    await a.nodes.hold(p)  # still this node's


async def test_every_node_sees_who_holds_a_party(cluster: Cluster) -> None:
    a, b = await cluster.node(), await cluster.node()
    p = party()
    a.host.busy_parties.add(p)
    assert await a.nodes.owner(p, claim=True) == a.nodes.node_id
    # Another node neither takes it nor holds it: it routes to the holder.
    assert await b.nodes.owner(p, claim=True) == a.nodes.node_id
    assert await b.nodes.owner(p, claim=False) == a.nodes.node_id
    if not cluster.single:
        with pytest.raises(SyncError) as refused:
            await b.nodes.hold(p)
        assert refused.value.code is Code.UNAVAILABLE


async def test_looking_without_claiming_claims_nothing(cluster: Cluster) -> None:
    a, b = await cluster.node(), await cluster.node()
    p = party()
    seen = await a.nodes.owner(p, claim=False)
    assert seen in (None, a.nodes.node_id)  # nobody's yet (one node: its own)
    assert await b.nodes.owner(p, claim=True) == b.nodes.node_id


async def test_a_claim_is_kept_while_busy_and_released_when_idle(cluster: Cluster) -> None:
    a, b = await cluster.node(), await cluster.node()
    p = party()
    a.host.busy_parties.add(p)
    assert await a.nodes.owner(p, claim=True) == a.nodes.node_id
    if not cluster.single:
        # Busy: renewed past its TTL (twice the presence TTL).
        await asyncio.sleep(3 * TTL_MS / 1000)
        assert await b.nodes.owner(p, claim=False) == a.nodes.node_id
    a.host.busy_parties.discard(p)

    async def released() -> bool:
        return await b.nodes.owner(p, claim=False) in (None, b.nodes.node_id)

    await until(released, "an idle party's claim given up")
    assert await b.nodes.owner(p, claim=True) == b.nodes.node_id
    assert a.lost == []  # given up, not lost


# ----------------------------------------------------------------------- a node dies


@separate_nodes
async def test_a_dead_nodes_parties_are_lost_once_then_claimed_again(cluster: Cluster) -> None:
    a, b, c = await cluster.node(), await cluster.node(), await cluster.node()
    p, q = party(), party()
    a.host.busy_parties |= {p, q}
    for each in (p, q):
        assert await a.nodes.owner(each, claim=True) == a.nodes.node_id
    await a.crash()
    # Until the reaper has told the party, nobody claims it: it stays the dead node's.
    owner = await b.nodes.owner(p, claim=False)
    assert owner in (a.nodes.node_id, None)

    async def both_lost() -> bool:
        return sorted(b.lost + c.lost) == sorted([p, q])

    loop = asyncio.get_running_loop()
    crashed_at = loop.time()
    await until(both_lost, "the dead node's parties handed to on_lost")
    # Within the presence bound (its TTL, then a reaper round), with slack for a busy machine.
    assert loop.time() - crashed_at < DEADLINE_S
    await asyncio.sleep(TTL_MS / 1000)  # a few more reaper rounds: still once each
    assert sorted(b.lost + c.lost) == sorted([p, q])
    assert await b.nodes.owner(p, claim=True) == b.nodes.node_id
    assert await c.nodes.owner(p, claim=True) == b.nodes.node_id


@separate_nodes
async def test_a_node_that_died_is_unavailable_not_hung(cluster: Cluster) -> None:
    a, b = await cluster.node(), await cluster.node()
    p = party()
    a.host.busy_parties.add(p)
    assert await a.nodes.owner(p, claim=True) == a.nodes.node_id
    await a.crash()

    async def refused() -> bool:
        try:
            await b.nodes.owner(p, claim=True)
        except SyncError as exc:
            assert exc.code is Code.UNAVAILABLE
            return True
        return b.lost == [p]  # or already reaped

    await until(refused, "a claim of a dead node refused as unavailable")


@separate_nodes
async def test_a_clean_close_hands_its_parties_over_at_once(cluster: Cluster) -> None:
    a, b = await cluster.node(), await cluster.node()
    p = party()
    a.host.busy_parties.add(p)
    assert await a.nodes.owner(p, claim=True) == a.nodes.node_id
    await a.close()
    assert a.lost == [p]  # told now, on the closing node
    assert await b.nodes.owner(p, claim=True) == b.nodes.node_id


# ----------------------------------------------------------------------- calls


@separate_nodes
async def test_a_call_runs_on_the_holding_node(cluster: Cluster) -> None:
    a, b = await cluster.node(), await cluster.node()
    p = party()
    assert await a.nodes.owner(p, claim=True) == a.nodes.node_id
    result = await b.nodes.call(a.nodes.node_id, "publish", [p, "u1"])
    assert result == {"on": a.nodes.node_id, "args": [p, "u1"]}
    assert a.host.served == [(b.nodes.node_id, "publish", [p, "u1"])]
    assert b.host.served == []


@separate_nodes
async def test_a_calls_error_comes_back_with_its_code(cluster: Cluster) -> None:
    a, b = await cluster.node(), await cluster.node()
    with pytest.raises(SyncError) as failed:
        await b.nodes.call(a.nodes.node_id, "fail", [party()])
    assert failed.value.code is Code.CONFLICT
    assert failed.value.message == "refused here"


@separate_nodes
async def test_sent_calls_arrive_in_order_without_waiting(cluster: Cluster) -> None:
    a, b = await cluster.node(), await cluster.node()
    p = party()
    assert await a.nodes.owner(p, claim=True) == a.nodes.node_id
    for n in range(5):
        await b.nodes.send(a.nodes.node_id, "unsubscribe", [p, f"s{n}"])

    async def all_served() -> bool:
        return len(a.host.served) == 5

    await until(all_served, "five sent calls served")
    assert [args[1] for _, _, args in a.host.served] == [f"s{n}" for n in range(5)]


@separate_nodes
async def test_a_call_to_a_dead_node_is_unavailable_within_the_route_timeout(cluster: Cluster) -> None:
    a, b = await cluster.node(), await cluster.node()
    await a.crash()
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(SyncError) as failed:
        await b.nodes.call(a.nodes.node_id, "publish", [party(), "u1"])
    assert failed.value.code is Code.UNAVAILABLE
    assert loop.time() - started < ROUTE_TIMEOUT_MS / 1000 + DEADLINE_S


@separate_nodes
async def test_sessions_routed_from_a_dead_node_go(cluster: Cluster) -> None:
    a, b = await cluster.node(), await cluster.node()
    p = party()
    assert await a.nodes.owner(p, claim=True) == a.nodes.node_id
    a.host.busy_parties.add(p)
    await b.nodes.call(a.nodes.node_id, "publish", [p, "u1"])
    await b.crash()

    async def told() -> bool:
        return a.host.gone_nodes == [b.nodes.node_id]

    await until(told, "the relay told the routing node is gone")
    with contextlib.suppress(SyncError):
        assert await a.nodes.owner(p, claim=False) == a.nodes.node_id
