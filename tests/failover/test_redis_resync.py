"""Right after Redis comes back empty: the nodes put their parties back as they were.

In the window between Redis answering again and a node having resynchronised
(its pub/sub reconnected, its parties put back), a lookup of an existing party is
answered `unavailable`, never `not_found`, and nothing revives it paused.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import asyncpg
import pytest
import sqlalchemy as sa
from support import VIDEO

from socialsync.domain.tenant import Tenant
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient, SocialSyncError

TIMELINE = ("status", "position", "rate", "at", "media")


async def bearer(cluster) -> dict[str, str]:
    url = sa.make_url(cluster.env["SOCIALSYNC_DATABASE_URL"]).set(drivername="postgresql")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        row = await conn.fetchrow("SELECT * FROM tenants WHERE id = 'demo'")
    finally:
        await conn.close()
    tenant = Tenant(**dict(row))
    token = issue_token(tenant, "backend", "Backend", ["viewer"], 300, int(time.time()))
    return {"Authorization": f"Bearer {token}"}


def timeline(state: dict) -> dict:
    return {k: state[k] for k in TIMELINE}


async def restart_redis(cluster, outage_s: float) -> None:
    await cluster.redis.kill()
    await asyncio.sleep(outage_s)  # the fault's length, not a wait for a condition
    await cluster.redis.start()  # empty: Redis kept nothing


@pytest.mark.parametrize("cluster", ["none", "aof"], indirect=True)
async def test_lookups_right_after_redis_returns_are_unavailable_never_not_found_or_paused(cluster):
    a, b, c = await cluster.node("node-a"), await cluster.node("node-b"), await cluster.node("node-c")
    host = await cluster.client("Host", a.url)
    guest = await cluster.client("Guest", b.url)
    party = (await host.create_party("Window", VIDEO))["id"]
    await host.join(party)
    await guest.join(party)
    await host.control(party, "play", position=42.0)
    await guest.wait_until(lambda: guest.playback[party]["status"] == "playing", 5)
    before = timeline(host.playback[party])
    headers = await bearer(cluster)

    await restart_redis(cluster, 2.5)
    back = time.monotonic()
    statuses: list[int] = []
    errors: list[str] = []
    late: SocialSyncClient | None = None
    deadline = time.monotonic() + 15
    async with aiohttp.ClientSession() as http:
        # The REST lookup and a join on the node that has no member of the party,
        # and a chat send on a node that has: at once, then until each succeeds.
        got = None
        while got is None:
            async with http.get(f"{c.url}/api/v1/parties/{party}", headers=headers) as answer:
                statuses.append(answer.status)
                if answer.status == 200:
                    got = (await answer.json())["playback"]
            assert time.monotonic() < deadline, statuses
            if got is None:
                await asyncio.sleep(0.05)
    sent = None
    while sent is None:
        try:
            sent = await guest.send_chat(party, "right after", attempts=1)
        except SocialSyncError as exc:
            errors.append(exc.code)
            assert exc.code in ("unavailable", "forbidden") and time.monotonic() < deadline, errors
            await asyncio.sleep(0.05)
    for member in (host, guest):
        await member.wait_until(lambda m=member: sent["id"] in [x["id"] for x in m.messages[party]], 10)
    recovered_ms = (time.monotonic() - back) * 1000
    kind = "aof" if cluster.redis.aof_dir else "no persistence"
    print(f"\nrecovery ({kind}): {recovered_ms:.0f} ms")
    late = SocialSyncClient(c.url, guest="Late", request_timeout_s=3.0)
    cluster.clients.append(late)
    await late.connect()
    joined = None
    while joined is None:
        try:
            joined = await late.join(party)
        except SocialSyncError as exc:
            errors.append(exc.code)
            assert exc.code == "unavailable" and time.monotonic() < deadline, errors
            await asyncio.sleep(0.05)

    assert 404 not in statuses, f"an existing party answered not_found: {statuses}"
    assert set(statuses) <= {200, 503}, statuses
    assert "not_found" not in errors, errors
    assert timeline(got) == before, "the REST lookup revived it with another playback"
    assert timeline(joined["playback"]) == before, "the join revived it with another playback"
    for member in (host, guest):
        await member.wait_until(lambda m=member: timeline(m.playback[party]) == before, 5)
        assert member.playback[party]["status"] == "playing"
