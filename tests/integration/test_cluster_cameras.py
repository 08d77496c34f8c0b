"""Cameras across two cluster nodes: the party's media node relays, signalling that
reaches the other node is routed to it, and a media node that does not answer is
refused `unavailable` within the route timeout."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from support import VIDEO, Server, cluster_backend, running_server
from test_camera_signalling import frames, publish, subscribe

from socialsync.app import SERVICE
from socialsync.sdk.client import SocialSyncClient, SocialSyncError

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

ROUTE_TIMEOUT_MS = 3_000


@pytest.fixture
async def nodes(tmp_path) -> AsyncIterator[list[Server]]:
    async with cluster_backend() as shared:
        options = shared | {"rtc_route_timeout_ms": ROUTE_TIMEOUT_MS}
        async with (
            running_server(tmp_path / "a", node_id="node-a", **options) as a,
            running_server(tmp_path / "b", node_id="node-b", **options) as b,
        ):
            yield [a, b]


@pytest.fixture
async def clients() -> AsyncIterator[list[SocialSyncClient]]:
    made: list[SocialSyncClient] = []
    yield made
    for client in made:
        await client.close()


async def member(clients: list, server: Server, name: str, party: str | None = None) -> SocialSyncClient:
    client = SocialSyncClient(server.url, guest=name)
    clients.append(client)
    await client.connect()
    if party is not None:
        await client.join(party)
    return client


async def test_a_subscriber_on_another_node_receives_the_camera(nodes, clients, closing):
    a, b = nodes
    host = await member(clients, a, "Host")
    party = (await host.create_party("Two nodes", VIDEO))["id"]
    await host.join(party)
    near = await member(clients, a, "Near", party)
    far = await member(clients, b, "Far", party)
    closing.append(await publish(host, party))  # node a claims the party's media

    pc, tracks = await subscribe(far, party, host.user["id"])
    closing.append(pc)
    video = await frames(tracks["video"], 5)
    assert video[-1].width == 640 and video[-1].pts > video[0].pts
    await frames(tracks["audio"], 5)
    relays = [s.app[SERVICE].relay for s in nodes]
    assert relays[0].stats()["subscriptions"] == 1 and relays[1].stats()["publications"] == 0

    # Signalling latency, local (near, on node a) against routed (far, on node b).
    timings: dict[str, list[float]] = {"local": [], "routed": []}
    for _ in range(3):
        for kind, viewer in (("local", near), ("routed", far)):
            started = time.perf_counter()
            offer = await viewer.request("rtc.subscribe", {"party": party, "publisher": host.user["id"]})
            timings[kind].append(time.perf_counter() - started)
            assert offer["sdp"].startswith("v=0")
            await viewer.request("rtc.unsubscribe", {"party": party, "publisher": host.user["id"]})
    local, routed = (statistics.median(timings[k]) * 1000 for k in ("local", "routed"))
    print(f"rtc.subscribe median: local {local:.1f} ms, routed {routed:.1f} ms")

    # The far subscriber's socket goes: its connection on node a goes with it.
    pc2, _ = await subscribe(far, party, host.user["id"])
    closing.append(pc2)
    assert relays[0].stats()["subscriptions"] == 1
    await far.close()
    deadline = time.monotonic() + 5
    while relays[0].stats()["subscriptions"]:
        assert time.monotonic() < deadline, "a disconnected subscriber's connection stays on the media node"
        await asyncio.sleep(0.05)


async def test_a_camera_published_on_the_other_node_is_relayed_by_the_media_node(nodes, clients, closing):
    a, b = nodes
    host = await member(clients, a, "Host")
    party = (await host.create_party("Claimed", VIDEO))["id"]
    await host.join(party)
    ada = await member(clients, b, "Ada", party)
    closing.append(await publish(host, party))
    closing.append(await publish(ada, party))  # routed to node a, which has the party
    pc, tracks = await subscribe(host, party, ada.user["id"])
    closing.append(pc)
    await frames(tracks["video"], 3)
    assert nodes[0].app[SERVICE].relay.stats()["publications"] == 2
    assert nodes[1].app[SERVICE].relay.stats()["publications"] == 0
    off = asyncio.create_task(host.wait_for("rtc.camera", lambda d: d["user"] == ada.user["id"]))
    await ada.request("rtc.unpublish", {"party": party})
    assert (await off)["camera"] is None
    deadline = time.monotonic() + 5
    while nodes[0].app[SERVICE].relay.stats()["publications"] != 1:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)


async def test_a_media_node_that_does_not_answer_is_refused_unavailable(nodes, clients, closing):
    a, _ = nodes
    host = await member(clients, a, "Host")
    party = (await host.create_party("Hung", VIDEO))["id"]
    await host.join(party)
    config = a.config
    # A node that heartbeats but never answers holds the party's media.
    redis = aioredis.Redis.from_url(config.redis_url)
    try:
        await redis.set(f"{config.redis_prefix}:node:hung:alive", 1, px=30_000)
        await redis.set(f"{config.redis_prefix}:media:{party}", "hung", px=30_000)
        started = time.monotonic()
        with pytest.raises(SocialSyncError) as refused:
            closing.append(await publish(host, party))
        waited_s = time.monotonic() - started
    finally:
        await redis.aclose()
    assert refused.value.code == "unavailable", refused.value
    assert "did not answer" in refused.value.message
    assert ROUTE_TIMEOUT_MS / 1000 <= waited_s < ROUTE_TIMEOUT_MS / 1000 + 2, waited_s
    members = (await host.request("party.join", {"party": party}))["members"]
    assert all(m.get("camera") is None for m in members), "a refused camera is not announced"


async def test_a_deployment_hands_out_turn_credentials_and_its_public_address(tmp_path, clients, closing):
    options = {
        "rtc_turn_url": "turn:turn.example:3478",
        "rtc_turn_secret": "k",
        "rtc_public_address": "203.0.113.7",
    }
    async with running_server(tmp_path, **options) as server:
        host = await member(clients, server, "Host")
        party = (await host.create_party("Deployed", VIDEO))["id"]
        await host.join(party)
        config = await host.request("rtc.config", {"party": party})
        (turn,) = config["ice_servers"]
        expiry, _, user = turn["username"].partition(":")
        assert turn["urls"] == ["turn:turn.example:3478"] and user == host.user["id"]
        assert int(expiry) > time.time() + 3600 and turn["credential"]
        pc = await publish(host, party)
        closing.append(pc)
        candidates = [
            line for line in pc.remoteDescription.sdp.splitlines() if line.startswith("a=candidate:")
        ]
        assert candidates and all(" 203.0.113.7 " in line for line in candidates if " typ host" in line)
