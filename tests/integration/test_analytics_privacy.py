"""Analytics and personal data on a running server (both backends): the event stream is
pseudonymous from the start (no user id, name, text or address in any analytics row);
a user's export carries their events; their erasure leaves no row under their
pseudonym (SQL and Redis searched) while the counts stay; the retention job drops raw
events after the tenant's `analytics_events_days` and keeps the aggregates."""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp
import redis.asyncio as aioredis
import sqlalchemy as sa
from support import VIDEO, Server

from socialsync.adapters.sql.engine import make_engine, metadata
from socialsync.app import ANALYTICS, PRIVACY, STORE
from socialsync.domain.privacy import DAY_MS
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient

SUBJECT, NAME, TEXT = "subject-5521", "Quentin Zorblatt", "meet me at the quay"


async def _http(server: Server, method: str, path: str, token: str, body: Any = None) -> Any:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, server.url + path, json=body, headers={"Authorization": f"Bearer {token}"}) as r,
    ):
        assert r.status < 300, await r.text()
        return await r.json(content_type=None)


async def _analytics_rows(url: str) -> str:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            rows = [
                [table.name, *map(str, row)]
                for table in metadata.sorted_tables
                if table.name.startswith("analytics_")
                for row in await conn.execute(sa.select(table))
            ]
    finally:
        await engine.dispose()
    return json.dumps(rows, ensure_ascii=False)


async def _redis_text(url: str, prefix: str) -> bytes:
    client = aioredis.Redis.from_url(url)
    found: list[bytes] = []
    try:
        async for key in client.scan_iter(match=f"{prefix}:analytics:*"):
            kind = (await client.type(key)).decode()
            if kind == "list":
                found += await client.lrange(key, 0, -1)
            elif kind == "hash":
                found += list((await client.hgetall(key)).values())
    finally:
        await client.aclose()
    return b"\n".join(found)


async def test_the_stream_is_pseudonymous_exported_erased_and_expired(server: Server) -> None:
    tenant = await server.app[STORE].get_tenant("demo")
    assert tenant is not None
    now = int(time.time())
    admin = issue_token(tenant, "admin-1", "Ada", ["admin"], 600, now)
    host = SocialSyncClient(server.url, token=issue_token(tenant, "host-1", "Hal", ["viewer"], 600, now))
    subject = SocialSyncClient(server.url, token=issue_token(tenant, SUBJECT, NAME, ["viewer"], 600, now))
    analytics = server.app[ANALYTICS]
    try:
        await host.connect(sync_clock=False)
        await subject.connect(sync_clock=False)
        party = (await host.create_party("Film club", VIDEO))["id"]
        await host.join(party)
        await subject.join(party)
        await host.control(party, "play")
        at = server.app[STORE]._clock.now_ms()
        await subject.request(
            "playback.status",
            {"party": party, "position": 0.5, "playing": True, "buffering": False, "at": at},
        )
        await subject.send_chat(party, TEXT)
        await subject.react(party, "👍")
        await subject.leave(party)
    finally:
        await host.close()
        await subject.close()
    await analytics.flush()
    pseudonym = analytics.pseudonyms.of("demo", SUBJECT)
    rows = await _analytics_rows(server.config.database_url)
    assert pseudonym in rows
    for secret in (SUBJECT, NAME, TEXT, "127.0.0.1"):
        assert secret not in rows, secret

    archive = await _http(server, "GET", f"/api/v1/users/{SUBJECT}/export", admin)
    kinds = {e["kind"] for e in archive["records"]["analytics_events"]}
    assert {"joined", "message", "reaction", "left"} <= kinds
    summary = (await _http(server, "GET", f"/api/v1/analytics/summary?party={party}", admin))["metrics"]
    assert (summary["sessions"], summary["messages"], summary["reactions"]) == (2, 1, 1)

    erased = await _http(server, "POST", f"/api/v1/users/{SUBJECT}/erase", admin)
    assert erased["counts"]["analytics_events"] > 0
    assert pseudonym not in await _analytics_rows(server.config.database_url)
    if server.config.redis_url:
        assert pseudonym.encode() not in await _redis_text(
            server.config.redis_url, server.config.redis_prefix
        )
    archive = await _http(server, "GET", f"/api/v1/users/{SUBJECT}/export", admin)
    assert archive["records"]["analytics_events"] == []
    after = (await _http(server, "GET", f"/api/v1/analytics/summary?party={party}", admin))["metrics"]
    assert (after["sessions"], after["unique_viewers"], after["messages"]) == (2, 2, 1)  # counts stay

    # Retention: raw events go after the tenant's days, the aggregates stay longer.
    policy = await _http(server, "PUT", "/api/v1/retention", admin, {"analytics_events_days": 1})
    assert policy["retention"]["analytics_events_days"] == 1
    assert policy["retention"]["analytics_aggregates_days"] == 730
    later = int(time.time() * 1000) + 2 * DAY_MS
    done = await server.app[PRIVACY].run_retention(now_ms=later)
    assert done["demo"]["analytics_events"] > 0 and done["demo"]["analytics_aggregates"] == 0
    assert '"analytics_events"' not in await _analytics_rows(server.config.database_url)
    kept = (await _http(server, "GET", f"/api/v1/analytics/summary?party={party}", admin))["metrics"]
    assert kept["sessions"] == 2 and kept["watch_time_s"] == after["watch_time_s"]
