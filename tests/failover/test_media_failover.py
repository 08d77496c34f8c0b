"""The node relaying a party's cameras is killed: its claim moves, the members are
told (`rtc.reset`), the cameras it relayed go off, and publishing again works on
a live node. Real node processes; aiortc peers on 127.0.0.1 stand in for browsers."""

from __future__ import annotations

import asyncio
import signal
import time

import redis.asyncio as aioredis
from integration.test_camera_signalling import frames, publish, subscribe
from support import VIDEO

from socialsync.media.forward import loopback_ice


async def test_killing_the_media_node_moves_the_cameras_to_a_live_node(cluster):
    cluster.env = cluster.env | {"SOCIALSYNC_RTC_LOOPBACK": "true"}
    a, b = await cluster.node("node-a"), await cluster.node("node-b")
    pcs = []
    with loopback_ice():
        try:
            await failover(cluster, a, b, pcs)
        finally:
            for pc in pcs:
                await pc.close()


async def failover(cluster, a, b, pcs) -> None:
    first = await cluster.client("First", a.url, reconnection=False)  # dies with node a
    pub = await cluster.client("Pub", b.url)
    sub = await cluster.client("Sub", b.url)
    party = (await first.create_party("Media failover", VIDEO))["id"]
    for c in (first, pub, sub):
        await c.join(party)
    pcs.append(await publish(first, party))  # node a claims the party's media
    pcs.append(await publish(pub, party))  # routed from node b to node a
    pc, tracks = await subscribe(sub, party, pub.user["id"])
    pcs.append(pc)
    await frames(tracks["video"], 3)
    claim = f"{cluster.env['SOCIALSYNC_REDIS_PREFIX']}:media:{party}"
    assert await claimed_by(cluster, claim) == "node-a"

    me = pub.user["id"]
    reset = asyncio.create_task(pub.wait_for("rtc.reset", timeout_s=15))
    seen_reset = asyncio.create_task(sub.wait_for("rtc.reset", timeout_s=15))
    own_off = asyncio.create_task(
        pub.wait_for("rtc.camera", lambda d: d["user"] == me and d["camera"] is None, 15)
    )
    killed_at = time.monotonic()
    await a.stop()  # SIGKILL
    told = await reset
    told_after_s = time.monotonic() - killed_at
    assert told["party"] == party and told["reason"] == "media_node_lost" and me in told["users"]
    assert (await seen_reset)["users"] == told["users"], "every member is told"
    await own_off  # the reset's "off" comes after it: then publish again
    # Presence TTL 3 s here: the reaper runs within 1.25 x that of the last heartbeat.
    assert told_after_s < 3.0 * 1.25 + 2, f"members were told after {told_after_s:.1f} s"

    on_again = asyncio.create_task(sub.wait_for("rtc.camera", lambda d: d["user"] == me and d["camera"]))
    pcs.append(await publish(pub, party))
    await on_again
    assert await claimed_by(cluster, claim) == "node-b"
    pc, tracks = await subscribe(sub, party, me)
    pcs.append(pc)
    await frames(tracks["video"], 3)
    back_after_s = time.monotonic() - killed_at
    print(f"media failover: told after {told_after_s:.2f} s, frames again after {back_after_s:.2f} s")
    members = {m["name"]: m for m in (await sub.request("party.join", {"party": party}))["members"]}
    assert members["Pub"]["camera"] is not None
    assert "First" not in members or members["First"]["camera"] is None, "no camera of the dead node is shown"


async def test_a_media_node_stopped_with_sigterm_hands_its_parties_on_at_once(cluster):
    cluster.env = cluster.env | {"SOCIALSYNC_RTC_LOOPBACK": "true"}
    a, b = await cluster.node("node-a"), await cluster.node("node-b")
    pcs = []
    with loopback_ice():
        try:
            host = await cluster.client("Host", a.url, reconnection=False)  # stops with node a
            pub = await cluster.client("Pub", b.url)
            party = (await host.create_party("Media drain", VIDEO))["id"]
            for c in (host, pub):
                await c.join(party)
            pcs.append(await publish(host, party))  # node a claims the party's media
            pcs.append(await publish(pub, party))  # routed to node a
            claim = f"{cluster.env['SOCIALSYNC_REDIS_PREFIX']}:media:{party}"
            assert await claimed_by(cluster, claim) == "node-a"
            me = pub.user["id"]
            reset = asyncio.create_task(pub.wait_for("rtc.reset", timeout_s=15))
            stopping_at = time.monotonic()
            assert await a.signal(signal.SIGTERM) == 0
            told = await reset
            told_after_s = time.monotonic() - stopping_at
            assert told["reason"] == "media_node_lost" and me in told["users"]
            # Released while stopping, so nothing waits for its claim to lapse.
            assert await claimed_by(cluster, claim) is None
            # Told while node a shut down: well before the presence TTL (3 s here) lapsed.
            assert told_after_s < 3.0, f"members were told after {told_after_s:.1f} s"
            on_again = asyncio.create_task(
                pub.wait_for("rtc.camera", lambda d: d["user"] == me and d["camera"], 15)
            )
            pcs.append(await publish(pub, party))
            await on_again
            assert await claimed_by(cluster, claim) == "node-b"
        finally:
            for pc in pcs:
                await pc.close()


async def claimed_by(cluster, key: str) -> str | None:
    redis = aioredis.Redis.from_url(cluster.redis.url)
    try:
        raw = await redis.get(key)
    finally:
        await redis.aclose()
    return raw.decode() if raw is not None else None
