"""Discovery (docs/engagement.md) on a real server over real Socket.IO clients, with a
manual clock: yesterday "me" watched a film with Ana; now a live room chats, a public
party has Ana in it, another public party plays that film, a private party and an ended
one must not show. The ranking over REST and the platform SDK, by activity alone and for
"me", against the documented formula computed here from the script; who may ask whose."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from support import TEST_CONFIG, Server, free_port

from socialsync.app import ANALYTICS, STORE, create_app, make_runner
from socialsync.config import Config
from socialsync.edge.auth import issue_token
from socialsync.platform import AsyncSocialSync, Forbidden
from socialsync.sdk.client import SocialSyncClient

T0 = 1_800_000_000_000
NOW = T0 + 86_400_000
FILM = {"url": "https://media.example/film.mp4?sig=1", "kind": "vod", "duration": 7200.0}
SERIES = {"url": "https://media.example/series.mp4", "kind": "vod", "duration": 1800.0}
LIVE = {"url": "https://media.example/channel.m3u8", "kind": "live"}
USERS = ("me", "ana", "bob", "cy", "dee", "eve", "hal", "ivy")
WATCHED_TOGETHER_MIN = 30  # me and ana, yesterday, the film
# Now: each party's members, its messages (in the last 5 minutes) and reactions.
PARTIES: dict[str, dict[str, Any]] = {
    "live": {"media": LIVE, "settings": {"type": "live_room"}, "who": ["cy", "dee", "eve"], "messages": 3},
    "public": {"media": SERIES, "settings": {"public": True}, "who": ["bob", "ana"], "messages": 0},
    "film": {"media": FILM, "settings": {"public": True}, "who": ["hal"], "messages": 0},
    "private": {"media": SERIES, "settings": {}, "who": ["ivy", "dee", "eve", "bob"], "messages": 20},
}
OLD_MESSAGES = 6  # in the live room ten minutes ago: outside the window


def documented_score(members: int, messages_per_min: float, friends: int, watched_min: float) -> float:
    """docs/engagement.md's formula, written again from the docs (no reactions here)."""
    activity = math.log2(1 + members) + math.log2(1 + messages_per_min)
    history = 2 * math.log2(1 + friends) + min(3.0, math.log2(1 + watched_min / 10))
    return activity + history


class ManualClock:
    def __init__(self, now_ms: int) -> None:
        self.ms = now_ms

    def now_ms(self) -> int:
        return self.ms


@contextlib.asynccontextmanager
async def server(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Server]:
    port = free_port()
    overrides = {
        "database_url": f"sqlite:///{tmp_path}/test.db",
        "port": port,
        **TEST_CONFIG,
        "retention_every_s": 0,
    }
    config = Config.load(overrides, env={})
    app = await create_app(config, clock=clock)
    runner = make_runner(app, shutdown_timeout=1)
    await runner.setup()
    await aiohttp.web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield Server(f"http://127.0.0.1:{port}", app, config)
    finally:
        await runner.cleanup()


async def rest(srv: Server, http: aiohttp.ClientSession, token: str, path: str, body: Any = None) -> Any:
    method = "GET" if body is None else "POST"
    headers = {"Authorization": f"Bearer {token}"}
    async with http.request(method, srv.url + path, json=body, headers=headers) as r:
        return r.status, await r.json()


async def test_live_rooms_and_public_parties_are_ranked_by_activity_and_history(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    async with server(tmp_path, clock) as srv, aiohttp.ClientSession() as http:
        tenant = await srv.app[STORE].get_tenant("demo")
        assert tenant is not None
        now_s = int(time.time())
        tokens = {u: issue_token(tenant, f"user-{u}", u.title(), ["viewer"], 3600, now_s) for u in USERS}
        tokens["admin"] = issue_token(tenant, "admin-1", "Ada", ["admin"], 3600, now_s)
        c = {u: SocialSyncClient(srv.url, token=tokens[u]) for u in USERS}
        try:
            for client in c.values():
                await client.connect(sync_clock=False)
            # Yesterday: me and ana watch the film together, then the party ends.
            before = (await c["me"].create_party("Yesterday", FILM))["id"]
            for u in ("me", "ana"):
                await c[u].join(before)
            await c["me"].control(before, "play")
            for minute in range(WATCHED_TOGETHER_MIN + 1):
                for u in ("me", "ana"):
                    payload = {
                        "party": before,
                        "position": minute * 60.0,
                        "playing": True,
                        "buffering": False,
                    }
                    await c[u].request("playback.status", payload | {"at": clock.ms})
                clock.ms += 60_000
            await c["me"].request("party.end", {"party": before})

            # Now.
            clock.ms = NOW - 600_000
            ids: dict[str, str] = {}
            for name, p in PARTIES.items():
                creator = c[p["who"][0]]
                ids[name] = (await creator.create_party(name, p["media"], p["settings"] or None))["id"]
                for u in p["who"]:
                    await c[u].join(ids[name])
            for i in range(OLD_MESSAGES):
                await c["cy"].send_chat(ids["live"], f"early {i}")
            clock.ms = NOW - 120_000
            for name, p in PARTIES.items():
                for i in range(p["messages"]):
                    await c[p["who"][-1]].send_chat(ids[name], f"now {i}")
            clock.ms = NOW
            await srv.app[ANALYTICS].flush()

            # By activity alone (an API key, no user).
            status, made = await rest(
                srv, http, tokens["admin"], "/api/v1/api-keys", {"name": "Home", "scopes": ["parties:write"]}
            )
            assert status == 201
            key = made["api_key"]
            status, found = await rest(srv, http, key, "/api/v1/discovery")
            assert status == 200 and found["user"] is None and found["window_s"] == 300
            listed = {ids[n]: n for n in ("live", "public", "film")}
            got = [listed.get(item["party"]["id"], item["party"]["id"]) for item in found["items"]]
            truth = {
                n: documented_score(len(PARTIES[n]["who"]), PARTIES[n]["messages"] / 5, 0, 0)
                for n in listed.values()
            }
            assert got == sorted(truth, key=lambda n: -truth[n]) == ["live", "public", "film"]
            for item in found["items"]:
                name = listed[item["party"]["id"]]
                assert item["score"] == pytest.approx(truth[name], abs=1e-3)
                assert item["activity"]["members"] == len(PARTIES[name]["who"])
                assert item["activity"]["messages_per_min"] == PARTIES[name]["messages"] / 5
                assert item["history"] is None
            assert found["items"][0]["reasons"] == ["members", "chat"]

            # For me: ana (watched with me) is in the public party; the other plays my film.
            status, mine = await rest(srv, http, key, "/api/v1/discovery?user=user-me")
            assert status == 200 and mine["user"] == "user-me"
            friends = {"live": 0, "public": 1, "film": 0}
            watched = {"live": 0.0, "public": 0.0, "film": float(WATCHED_TOGETHER_MIN)}
            truth = {
                n: documented_score(
                    len(PARTIES[n]["who"]), PARTIES[n]["messages"] / 5, friends[n], watched[n]
                )
                for n in listed.values()
            }
            got = [listed[item["party"]["id"]] for item in mine["items"]]
            assert got == sorted(truth, key=lambda n: -truth[n]) == ["public", "film", "live"]
            by_name = {listed[item["party"]["id"]]: item for item in mine["items"]}
            assert by_name["public"]["history"] == {"friends": 1, "watched_min": 0.0}
            assert by_name["public"]["reasons"][0] == "friends"
            assert by_name["film"]["history"]["watched_min"] == pytest.approx(WATCHED_TOGETHER_MIN, abs=0.5)
            assert "media" in by_name["film"]["reasons"]
            for name, item in by_name.items():
                assert item["score"] == pytest.approx(truth[name], abs=0.02)

            # A person's token: its own history by default; another's only for staff.
            status, own = await rest(srv, http, tokens["me"], "/api/v1/discovery?limit=2")
            assert status == 200 and own["user"] == "user-me"
            assert [listed[i["party"]["id"]] for i in own["items"]] == ["public", "film"]
            status, refused = await rest(srv, http, tokens["bob"], "/api/v1/discovery?user=user-me")
            assert status == 403 and refused["error"]["code"] == "forbidden"
            status, staff = await rest(srv, http, tokens["admin"], "/api/v1/discovery?user=user-me")
            assert status == 200 and [i["party"]["id"] for i in staff["items"]] == [
                i["party"]["id"] for i in mine["items"]
            ]

            # The platform SDK reads the same ranking.
            async with AsyncSocialSync(srv.url, api_key=key) as sdk:
                ranked = await sdk.discovery.parties(user="user-me")
                assert [listed[d.party.id] for d in ranked.items] == ["public", "film", "live"]
                assert ranked.items[0].history is not None and ranked.items[0].history.friends == 1
                assert ranked.items[2].party.settings.type == "live_room"
            async with AsyncSocialSync(srv.url, token=tokens["bob"]) as as_bob:
                with pytest.raises(Forbidden):
                    await as_bob.discovery.parties(user="user-me")
        finally:
            for client in c.values():
                await client.close()
