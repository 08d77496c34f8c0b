"""The Python SDK comes back whatever fails under it: a blip while Redis is down
(its rejoin fails, then must succeed once Redis is back), a node that dies with a
request in flight (failed over at once, retried with the same nonce)."""

from __future__ import annotations

import asyncio
import itertools
import signal
import time

from support import VIDEO

from socialsync.sdk.reconnect import TRANSITIONS


def ids_seen(client, party: str) -> list[int]:
    return [m["id"] for m in client.messages[party]]


async def test_a_member_dropped_during_a_redis_outage_rejoins_once_redis_is_back(cluster):
    a, b = await cluster.node("node-a"), await cluster.node("node-b")
    host = await cluster.client("Host", a.url)
    member = await cluster.client("Member", b.url, a.url)
    party = (await host.create_party("Blip", VIDEO))["id"]
    await host.join(party)
    await member.join(party)
    first = await host.send_chat(party, "before")
    await member.wait_until(lambda: first["id"] in ids_seen(member, party), 5)

    await cluster.redis.kill()
    await member.sio.disconnect()  # a network blip: its rejoin now meets an outage
    await asyncio.sleep(1.5)  # the outage's length, not a wait for a condition
    await cluster.redis.start()

    sent = await host.send_chat(party, "after")  # retried until the party is back
    await member.wait_until(lambda: sent["id"] in ids_seen(member, party), 20)
    mine = await member.send_chat(party, "me too")
    await host.wait_until(lambda: mine["id"] in ids_seen(host, party), 10)
    assert ids_seen(member, party) == [first["id"], sent["id"], mine["id"]]
    states = getattr(member, "states", [])
    assert states[-1] == "joined" and {"connecting", "joining"} <= set(states), states
    assert all(after in TRANSITIONS[before] for before, after in itertools.pairwise(states))


async def test_a_request_in_flight_when_its_node_dies_fails_over_at_once(cluster):
    a, b = await cluster.node("node-a"), await cluster.node("node-b")
    host = await cluster.client("Host", b.url)
    mover = await cluster.client("Mover", a.url, b.url)
    mover.request_timeout_s = 10.0
    party = (await host.create_party("Kill", VIDEO))["id"]
    await host.join(party)
    await mover.join(party)
    assert a.process is not None
    a.process.send_signal(signal.SIGSTOP)  # frozen: the send below gets no answer
    try:
        sending = asyncio.create_task(mover.send_chat(party, "in flight", nonce="once"))
        await asyncio.sleep(0.3)  # let it leave (the node cannot answer anyway)
        assert not sending.done()
        killed_at = time.monotonic()
        await a.stop()  # SIGKILL: the socket closes under the request
    finally:
        if a.process.returncode is None:
            a.process.send_signal(signal.SIGCONT)
    message = await asyncio.wait_for(sending, 15)
    took_s = time.monotonic() - killed_at
    assert took_s < mover.request_timeout_s / 2, f"the send waited {took_s:.1f} s for a dead node"
    await host.wait_until(lambda: message["id"] in ids_seen(host, party), 5)
    stored = [m for m in await host.history(party, after=0, limit=100) if m["nonce"] == "once"]
    assert len(stored) == 1
