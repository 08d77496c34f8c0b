"""A node killed mid-chat, Redis restarted mid-party, a node stopped with SIGTERM:
members lose no message, see none twice, and the party keeps its playback state."""

from __future__ import annotations

import asyncio
import secrets
import signal
import time

import aiohttp
from support import VIDEO

from socialsync.sdk.client import SocialSyncClient, SocialSyncError

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def words(i: int) -> str:
    # Letters, not digits: the duplicate filter reads "1" and "11" as one text.
    return "".join(LETTERS[(i // 26**k) % 26] for k in range(3))


async def send_until_accepted(client: SocialSyncClient, party: str, text: str, deadline_s: float = 20) -> int:
    """What an app does with a message its user typed: keep it (same nonce) until a
    server takes it. Between a reconnect and the rejoin the server says forbidden."""
    nonce = secrets.token_hex(8)
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            return (await client.send_chat(party, text, nonce=nonce, attempts=1))["id"]
        except SocialSyncError as exc:
            if exc.code not in ("unavailable", "forbidden") or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def chatter(client: SocialSyncClient, party: str, tag: str, count: int) -> list[int]:
    ids = []
    for i in range(count):
        ids.append(await send_until_accepted(client, party, f"{tag} says {words(i)}"))
        await asyncio.sleep(0.05)
    return ids


async def settle(clients, party: str, condition, timeout_s: float = 10.0) -> None:
    await asyncio.gather(*(c.wait_until(lambda c=c: condition(c), timeout_s) for c in clients))


def ids_seen(client: SocialSyncClient, party: str) -> list[int]:
    return [m["id"] for m in client.messages[party]]


async def ready(url: str) -> bool:
    async with aiohttp.ClientSession() as http:
        try:
            async with http.get(f"{url}/readyz", timeout=aiohttp.ClientTimeout(total=3)) as answer:
                return answer.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False


async def test_a_killed_node_loses_no_message_and_no_playback_state(cluster):
    a, b = await cluster.node("node-a"), await cluster.node("node-b")
    host = await cluster.client("Host", a.url, b.url)
    m1 = await cluster.client("M1", a.url, b.url)
    m2 = await cluster.client("M2", b.url, a.url)
    m3 = await cluster.client("M3", b.url, a.url)
    # On the doomed node, and never coming back: the others must see it leave.
    ghost = await cluster.client("Ghost", a.url, reconnection=False)
    party = (await host.create_party("Failover", VIDEO))["id"]
    everyone = [host, m1, m2, m3]
    for c in [*everyone, ghost]:
        await c.join(party)
    await host.control(party, "play", position=30.0)
    seq = host.playback[party]["seq"]
    await settle(everyone, party, lambda c: c.playback[party]["seq"] == seq)
    before = dict(host.playback[party])
    left = asyncio.create_task(m2.wait_for("member.left", lambda d: d["user"] == ghost.user["id"], 15))

    chats = [asyncio.create_task(chatter(c, party, c.user["name"], 25)) for c in everyone]
    await asyncio.sleep(0.4)
    killed_at = time.monotonic()
    await a.stop()  # SIGKILL: no goodbye, no flush
    sent = sorted(i for ids in await asyncio.gather(*chats) for i in ids)

    assert len(sent) == 100 and len(set(sent)) == 100
    await settle(everyone, party, lambda c: len(c.messages[party]) >= len(sent), 15)
    stored = [m["id"] for m in await m2.history(party, after=0, limit=100)]
    for c in everyone:
        assert ids_seen(c, party) == stored == sent, f"{c.user['name']}: every message once, in order"
        assert c.playback[party] == before, "the playback state outlives the node"

    await left
    gone_after_s = time.monotonic() - killed_at
    assert gone_after_s < 3.0 * 1.25 + 3, f"the dead node's member left after {gone_after_s:.1f} s"
    # The members that reconnected are still members, connected through node b.
    check = await cluster.client("Check", b.url)
    members = {m["name"]: m for m in (await check.join(party))["members"]}
    assert {"Host", "M1", "M2", "M3", "Check"} <= set(members) and "Ghost" not in members
    assert all(members[n]["connected"] for n in ("Host", "M1", "M2", "M3"))


async def test_a_redis_restart_answers_unavailable_then_recovers_by_itself(cluster):
    a, b = await cluster.node("node-a"), await cluster.node("node-b")
    host = await cluster.client("Host", a.url)
    guest = await cluster.client("Guest", b.url)
    party = (await host.create_party("Outage", VIDEO))["id"]
    await host.join(party)
    await guest.join(party)
    await host.control(party, "play", position=10.0)
    await send_until_accepted(host, party, "before the outage")

    await cluster.redis.kill()
    for _, command in [
        (host, lambda: host.control(party, "pause")),
        (guest, lambda: guest.send_chat(party, "during the outage", attempts=1)),
    ]:
        started = time.monotonic()
        try:
            await command()
        except SocialSyncError as exc:
            assert exc.code == "unavailable", exc
        else:
            raise AssertionError("a command succeeded without Redis")
        assert time.monotonic() - started < 3.0, "an outage is answered, not hung"
    assert not await ready(a.url)

    await cluster.redis.start()  # empty: Redis kept nothing
    deadline = time.monotonic() + 15
    while not (await ready(a.url) and await ready(b.url)):
        assert time.monotonic() < deadline, "nodes did not recover on their own"
        await asyncio.sleep(0.2)
    # The party is whole again: commands work, and cross between the nodes.
    state = None
    while state is None:
        try:
            state = await guest.control(party, "pause", position=20.0)
        except SocialSyncError as exc:
            assert exc.code in ("unavailable", "forbidden") and time.monotonic() < deadline, exc
            await asyncio.sleep(0.2)
    await host.wait_until(lambda: host.playback[party]["seq"] >= state["seq"], 5)
    assert host.playback[party]["status"] == "paused" and host.playback[party]["position"] == 20.0
    sent = await send_until_accepted(host, party, "after the outage")
    await guest.wait_until(lambda: sent in ids_seen(guest, party), 5)
    assert [m["text"] for m in guest.messages[party]] == ["before the outage", "after the outage"]


async def test_sigterm_drains_the_node_and_its_members_move_without_leaving(cluster):
    a, b = await cluster.node("node-a"), await cluster.node("node-b")
    mover = await cluster.client("Mover", a.url, b.url)
    stayer = await cluster.client("Stayer", b.url)
    party = (await mover.create_party("Drain", VIDEO))["id"]
    await mover.join(party)
    await stayer.join(party)
    await mover.control(party, "play", position=5.0)
    await stayer.wait_until(lambda: stayer.playback[party]["status"] == "playing")
    before = dict(stayer.playback[party])
    left: list[dict] = []
    stayer.on("member.left", left.append)
    draining = asyncio.create_task(mover.wait_for("server.draining", timeout_s=10))
    reconnected = asyncio.create_task(mover.wait_for("reconnected", timeout_s=10))

    started = time.monotonic()
    assert await a.signal(signal.SIGTERM) == 0
    stopped_after_s = time.monotonic() - started
    assert (await draining)["reconnect"] is True
    await reconnected
    assert stopped_after_s < 5.0, f"a drained node stopped after {stopped_after_s:.1f} s"
    sent = await send_until_accepted(mover, party, "moved over")
    await stayer.wait_until(lambda: sent in ids_seen(stayer, party), 5)
    await asyncio.sleep(2.0)  # past the reconnect grace (1.5 s here)
    assert left == [], "a member that moved nodes never left"
    assert stayer.playback[party] == before and mover.playback[party] == before
