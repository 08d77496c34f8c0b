"""A prediction across two nodes sharing Redis and PostgreSQL: members on either node vote
once (also the same user on both nodes at once), every member sees the counts add up,
its timer fires once for the cluster (taken over by the other node: its clock is moved
past the lock), and the resolution reaches everyone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from support import VIDEO, Server, cluster_backend
from test_polls_live import SkewClock, clocked_server

from socialsync.sdk.client import SocialSyncClient, SocialSyncError

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


@pytest.fixture
async def nodes(tmp_path) -> AsyncIterator[list[tuple[Server, SkewClock]]]:
    clocks = [SkewClock(), SkewClock()]
    async with cluster_backend() as shared:
        async with (
            clocked_server(tmp_path / "a", clocks[0], node_id="node-a", **shared) as a,
            clocked_server(tmp_path / "b", clocks[1], node_id="node-b", **shared) as b,
        ):
            yield [(a, clocks[0]), (b, clocks[1])]


async def test_a_prediction_across_two_nodes_counts_each_member_once_and_locks_once(nodes):
    (a, _), (b, clock_b) = nodes
    clients = [SocialSyncClient((a, b)[i % 2].url, guest=f"M{i}") for i in range(4)]
    events: dict[int, list[tuple[str, dict]]] = {i: [] for i in range(5)}
    try:
        for i, client in enumerate(clients):
            await client.connect(sync_clock=False)
            for name in ("poll.results", "poll.locked", "poll.ended"):
                client.on(name, lambda d, name=name, i=i: events[i].append((name, d)))
        party = (await clients[0].create_party("Across nodes", VIDEO))["id"]
        for client in clients:
            await client.join(party)
        opened = await clients[0].request(
            "poll.open",
            {
                "party": party,
                "kind": "prediction",
                "question": "Who?",
                "choices": ["Red", "Blue"],
                "duration": 15,
            },
        )
        vote = {"party": party, "id": opened["poll"]["id"]}
        # M1 on node b, and the same user again on node a, at once.
        twin = SocialSyncClient(a.url, token=clients[1]._token)
        clients.append(twin)
        await twin.connect(sync_clock=False)
        await twin.join(party)
        tries = await asyncio.gather(
            *(c.request("poll.vote", vote | {"choice": i % 2}) for i, c in enumerate(clients)),
            return_exceptions=True,
        )
        assert [type(t) for t in tries].count(SocialSyncError) == 1, tries
        for i, client in enumerate(clients[:4]):
            await client.wait_until(
                lambda i=i: any(n == "poll.results" and d["total"] == 4 for n, d in events[i])
            )
        clock_b.offset_ms += 17_000  # node b sees the lock overdue: its timer poller takes it over
        for i, client in enumerate(clients[:4]):
            await client.wait_until(lambda i=i: any(n == "poll.locked" for n, _ in events[i]), timeout_s=8)
        await asyncio.sleep(0.5)
        assert all([n for n, _ in events[i]].count("poll.locked") == 1 for i in range(4)), (
            "the timer fired once"
        )
        locked = next(d for n, d in events[0] if n == "poll.locked")["poll"]
        assert locked["total"] == 4 and locked["status"] == "locked"
        await clients[0].request("prediction.resolve", vote | {"outcome": 1})
        for i, client in enumerate(clients[:4]):
            await client.wait_until(
                lambda i=i: any(n == "poll.ended" and d["poll"]["outcome"] == 1 for n, d in events[i])
            )
    finally:
        for client in clients:
            await client.close()
