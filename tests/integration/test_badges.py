"""Badges and streaks (docs/engagement.md) on a real server over real Socket.IO clients,
with a manual clock: two weeks of parties (an hour watched together, a party of one's
own, a live event with reactions), then the badges the members' info carries, against
what this file works out from its own script; the tenant's switch; two tenants whose
users share ids; the user's export and erasure."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from support import TEST_CONFIG, VIDEO, Server, free_port

from socialsync.app import ANALYTICS, BADGES, STORE, create_app, make_runner
from socialsync.config import Config
from socialsync.domain.tenant import Tenant
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient

MONDAY = 1_799_625_600_000  # 2027-01-11 00:00 UTC
T0 = MONDAY + 10 * 3_600_000
WEEK_MS = 7 * 86_400_000
LIVE = {"url": "https://media.example/channel.m3u8", "kind": "live"}
PEOPLE = ("hal", "ana", "ben", "cy")
WATCHED_MIN = 61  # minutes hal, ana and ben watch together in the first party
REACTIONS = {"ana": 6, "ben": 2, "cy": 1}  # in the live event


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
        "lead_ms": 0,
        "retention_every_s": 0,
        "reaction_burst": 100,
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


class People:
    def __init__(self, srv: Server, clock: ManualClock, http: aiohttp.ClientSession) -> None:
        self.srv, self.clock, self.http = srv, clock, http
        self.clients: dict[str, SocialSyncClient] = {}
        self.tokens: dict[str, str] = {}

    async def connect(self, tenant_id: str = "demo", who: tuple[str, ...] = PEOPLE) -> None:
        tenant = await self.srv.app[STORE].get_tenant(tenant_id)
        assert tenant is not None
        now = int(time.time())
        self.tokens[f"admin@{tenant_id}"] = issue_token(tenant, "admin-1", "Ada", ["admin"], 3600, now)
        for name in who:
            key = name if tenant_id == "demo" else f"{name}@{tenant_id}"
            self.tokens[key] = issue_token(tenant, f"user-{name}", name.title(), ["viewer"], 3600, now)
            self.clients[key] = SocialSyncClient(self.srv.url, token=self.tokens[key])
            await self.clients[key].connect(sync_clock=False)

    async def rest(self, method: str, path: str, body: Any = None, tenant: str = "demo") -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[f'admin@{tenant}']}"}
        async with self.http.request(method, self.srv.url + path, json=body, headers=headers) as r:
            assert r.status < 300, (path, r.status, await r.text())
            return await r.json()

    async def close(self) -> None:
        for client in self.clients.values():
            await client.close()

    async def watch(self, party: str, who: list[str], minutes: int) -> None:
        """Everyone reports playing, once a minute (the watch sections' cadence)."""
        for minute in range(minutes + 1):
            position = float(minute * 60)
            for name in who:
                payload = {"party": party, "position": position, "playing": True, "buffering": False}
                await self.clients[name].request("playback.status", payload | {"at": self.clock.ms})
            self.clock.ms += 60_000
        self.clock.ms -= 60_000

    async def settle(self) -> None:
        """What was done is committed, and the badges it earns worked out."""
        await self.srv.app[ANALYTICS].flush()
        await self.srv.app[BADGES].settle()


def expected(name: str) -> list[dict[str, Any]]:
    """What the script earns each person, worked out from the script itself."""
    together_h = WATCHED_MIN // 60 if name in ("hal", "ana", "ben") else 0
    hosted = {"hal": 2, "ana": 1}.get(name, 0)  # hal: the first party and the live event; ana: her own
    weeks = {"hal": 2, "ana": 2, "ben": 2, "cy": 1}[name]  # cy came only in the second week
    top = max(REACTIONS, key=lambda who: REACTIONS[who])
    out: list[dict[str, Any]] = [{"kind": "first_party", "n": 1}]
    if together_h >= 1:
        out.append({"kind": "watched_together", "n": 1})
    if hosted:
        out.append({"kind": "hosted", "n": 1})  # the first step (1); 5 is the next
    if name == top:
        out.append({"kind": "top_reactor", "n": 1})
    if weeks >= 2:
        out.append({"kind": "streak", "n": weeks})
    return out


async def script(p: People) -> None:
    c = p.clients
    # Week 1: hal's party, an hour watched together with ana and ben.
    p.clock.ms = T0
    party = (await c["hal"].create_party("Film club", VIDEO))["id"]
    for name in ("hal", "ana", "ben"):
        await c[name].join(party)
        p.clock.ms += 1_000  # a second between joins: the first in is the host
    await c["hal"].control(party, "play")
    await p.watch(party, ["hal", "ana", "ben"], WATCHED_MIN)
    await c["hal"].request("party.end", {"party": party})
    # Week 2: ana's own party (hal comes too), then hal's live event with reactions.
    p.clock.ms = T0 + WEEK_MS
    own = (await c["ana"].create_party("Ana's", VIDEO))["id"]
    await c["ana"].join(own)
    p.clock.ms += 1_000
    await c["hal"].join(own)
    p.clock.ms += 600_000
    await c["ana"].request("party.end", {"party": own})
    p.clock.ms += 600_000
    live = (await c["hal"].create_party("Final", LIVE, {"type": "live_room"}))["id"]
    for name in PEOPLE:
        await c[name].join(live)
        p.clock.ms += 1_000
    for name, n in REACTIONS.items():
        for _ in range(n):
            await c[name].react(live, "🔥")
    p.clock.ms += 600_000
    await c["hal"].request("party.end", {"party": live})


async def test_badges_are_earned_from_the_event_stream_and_shown_beside_names(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    async with server(tmp_path, clock) as srv, aiohttp.ClientSession() as http:
        p = People(srv, clock, http)
        await p.connect()
        try:
            settings = await p.rest("PUT", "/api/v1/tenant/settings", {"engagement": {"badges": True}})
            assert settings["settings"]["engagement"] == {"badges": True, "feedback": "off"}
            await script(p)
            await p.settle()

            # Next week everyone meets in a party: each one's badges beside its name.
            clock.ms = T0 + 2 * WEEK_MS
            later = (await p.clients["cy"].create_party("Later", VIDEO))["id"]
            seen: dict[str, Any] = {}
            for name in PEOPLE:
                joined = await p.clients[name].join(later)
                assert joined["you"]["badges"] == expected(name), name
                clock.ms += 1_000
                seen = {m["id"]: m["badges"] for m in joined["members"]}
            assert seen == {f"user-{name}": expected(name) for name in PEOPLE}
            rest = await p.rest("GET", f"/api/v1/parties/{later}/members")
            assert {m["id"]: m["badges"] for m in rest["items"]} == seen

            # Another tenant whose users share the ids: nothing of demo's.
            await srv.app[STORE].add_tenant(Tenant("acme", "Acme", "a" * 40, True, clock.ms))
            await p.connect("acme", ("ana",))
            await p.rest("PUT", "/api/v1/tenant/settings", {"engagement": {"badges": True}}, tenant="acme")
            elsewhere = (await p.clients["ana@acme"].create_party("Acme", VIDEO))["id"]
            assert (await p.clients["ana@acme"].join(elsewhere))["you"]["badges"] == []

            # The user's export has them; an erasure takes them.
            archive = await p.rest("GET", "/api/v1/users/user-ana/export")
            kinds = sorted((b["kind"], b["n"]) for b in archive["records"]["badges"])
            assert kinds == sorted((b["kind"], b["n"]) for b in expected("ana"))
            assert [b["party"] for b in archive["records"]["badges"] if b["kind"] == "top_reactor"] != [None]
            erased = await p.rest("POST", "/api/v1/users/user-ana/erase")
            assert erased["counts"]["badges"] == len(expected("ana"))
            assert (await p.rest("GET", "/api/v1/users/user-ana/export"))["records"]["badges"] == []

            # The switch off: nobody shows any.
            await p.rest("PUT", "/api/v1/tenant/settings", {"engagement": {"badges": False}})
            clock.ms += 60_000
            again = (await p.clients["hal"].create_party("Off", VIDEO))["id"]
            assert (await p.clients["hal"].join(again))["you"]["badges"] == []
        finally:
            await p.close()
