"""Two nodes sharing Redis and PostgreSQL serve one party: members on either node
see one playback state, every chat message once and in order, and reaction counts
that add up exactly."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from support import VIDEO, Server, cluster_backend, running_server

from socialsync.sdk.client import SocialSyncClient, SocialSyncError

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


@pytest.fixture
async def nodes(tmp_path) -> AsyncIterator[list[Server]]:
    async with cluster_backend() as shared:
        async with (
            running_server(tmp_path / "a", node_id="node-a", **shared) as a,
            running_server(tmp_path / "b", node_id="node-b", **shared) as b,
        ):
            yield [a, b]


@pytest.fixture
async def members(nodes: list[Server]) -> AsyncIterator[tuple[str, list[SocialSyncClient]]]:
    """Four members of one party, alternating between the two nodes."""
    clients = [SocialSyncClient(nodes[i % 2].url, guest=f"M{i}") for i in range(4)]
    for client in clients:
        await client.connect()
    created = await clients[0].create_party("Across nodes", VIDEO)
    for client in clients:
        await client.join(created["id"])
    yield created["id"], clients
    for client in clients:
        await client.close()


async def test_playback_from_either_node_reaches_every_member(members):
    party_id, clients = members
    for i, (action, fields) in enumerate(
        [("play", {}), ("seek", {"position": 61.0}), ("rate", {"rate": 1.25}), ("pause", {})]
    ):
        state = await clients[i % 4].control(party_id, action, **fields)
        for c in clients:
            await c.wait_until(lambda c=c, seq=state["seq"]: c.playback[party_id]["seq"] >= seq)
        assert all(c.playback[party_id] == state for c in clients)


async def test_concurrent_controls_on_two_nodes_have_one_winner(members):
    party_id, clients = members
    seq = clients[0].playback[party_id]["seq"]
    results = await asyncio.gather(
        *(c.control(party_id, "seek", position=10.0 * (i + 1), seq=seq) for i, c in enumerate(clients)),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, dict)]
    losers = [r for r in results if isinstance(r, SocialSyncError)]
    assert len(winners) == 1 and [e.code for e in losers] == ["conflict"] * 3
    for c in clients:
        await c.wait_until(lambda c=c: c.playback[party_id]["seq"] == winners[0]["seq"])


async def test_chat_from_both_nodes_arrives_once_each_in_id_order(members):
    party_id, clients = members
    letters = "abcdefghijklmnopqrstuvwxyz"
    sends = [
        clients[i % 4].send_chat(party_id, f"line {letters[i % 26]}{letters[i // 26]} from {i % 4}")
        for i in range(60)
    ]
    sent = await asyncio.gather(*sends)
    ids = sorted(m["id"] for m in sent)
    assert ids == list(range(ids[0], ids[0] + 60))
    for c in clients:
        await c.wait_until(lambda c=c: len(c.messages[party_id]) >= 60)
        got = [m["id"] for m in c.messages[party_id]]
        assert got == ids, "each message exactly once, in id order"


async def test_reaction_counts_from_two_nodes_add_up_exactly(members):
    party_id, clients = members
    bursts: list[dict[str, int]] = []
    clients[0].on("reaction.burst", lambda data: bursts.append(data["counts"]))
    sent: Counter[str] = Counter()
    for round_ in range(5):
        for i, c in enumerate(clients):
            emoji = ["😂", "❤️"][(round_ + i) % 2]
            await c.react(party_id, emoji)
            sent[emoji] += 1
    await clients[0].wait_until(lambda: sum(sum(b.values()) for b in bursts) >= sum(sent.values()))
    await asyncio.sleep(0.5)  # nothing more may come
    received: Counter[str] = Counter()
    for burst in bursts:
        received.update(burst)
    assert received == sent


async def test_members_joined_on_the_other_node_are_listed(members, nodes):
    party_id, clients = members
    late = SocialSyncClient(nodes[1].url, guest="Late")
    await late.connect()
    joined = asyncio.create_task(
        clients[0].wait_for("member.joined", lambda d: d["member"]["name"] == "Late")
    )
    try:
        answer = await late.join(party_id)
        assert {m["name"] for m in answer["members"]} == {"M0", "M1", "M2", "M3", "Late"}
        assert (await joined)["party"] == party_id
        left = asyncio.create_task(clients[0].wait_for("member.left", lambda d: d["party"] == party_id))
        await late.leave(party_id)
        assert (await left)["user"] == answer["you"]["id"]
    finally:
        await late.close()


async def test_a_buffering_member_on_one_node_holds_members_on_the_other(members):
    party_id, clients = members
    await clients[0].control(party_id, "play")
    await clients[1].report_status(party_id, position=0.0, playing=True, buffering=False)
    await clients[1].report_status(party_id, position=0.5, playing=False, buffering=True)
    for c in clients:
        await c.wait_until(lambda c=c: c.playback[party_id]["status"] == "waiting")
    await clients[1].report_status(party_id, position=0.5, playing=False, buffering=False)
    for c in clients:
        await c.wait_until(lambda c=c: c.playback[party_id]["status"] == "playing")
