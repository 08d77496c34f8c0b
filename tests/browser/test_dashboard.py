"""The analytics dashboard (/dashboard/) in Chromium against a real server with real data.

Two parties are driven over real Socket.IO clients (the Python SDK) on a server whose
clock the script sets, so that 50 minutes of watching take a few seconds: members join
(two by an invite link, opened three times), watch through a seek back and a pause, chat,
react, leave and come back. The analytics pipeline is flushed (as
tests/integration/test_analytics_ground_truth.py does), then a moderator opens the
dashboard with the moderation panel's sign-in (`#token=`). What it shows is checked
against numbers this file computes from its own script (sessions, viewers, peak viewers,
watch time per party, the invite funnel) and against the REST API's answers (the data
tables, the CSV downloads). Screenshots go to test-artifacts/dashboard-*.png; axe-core
finds nothing serious or critical, in English, French on a phone, and Arabic (RTL).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from browser_support import ARTIFACTS
from support import TEST_CONFIG, Server, free_port

from socialsync.app import ANALYTICS, DEFAULT_WEB_DIR, STORE, create_app, make_runner
from socialsync.config import Config
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient

pytestmark = pytest.mark.browser

AXE_JS = Path(__file__).resolve().parents[2] / "web_client" / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

T0 = 1_800_000_000_000  # the script's second 0 (server epoch ms)
END = 3_000  # the script's last second: everyone has left by then

NIGHT = {
    "url": "https://media.example/night-train.mp4",
    "kind": "vod",
    "title": "Night Train",
    "duration": 3600.0,
}
HARBOUR = {
    "url": "https://media.example/harbour-lights.mp4",
    "kind": "vod",
    "title": "Harbour Lights",
    "duration": 1200.0,
}


@dataclass
class PartyScript:
    """One party's script: wall seconds from the start, media seconds."""

    title: str
    media: dict[str, Any]
    host: str
    created_at: int
    playback: list[tuple[int, str, float | None]]  # (second, play|pause|seek, position)
    sessions: dict[str, list[tuple[int, int, str]]]  # who -> [(join, leave, by "party" or "invite")]
    reactions: list[tuple[int, str, int]] = field(default_factory=list)  # (second, who, how many)
    chats: list[tuple[int, str]] = field(default_factory=list)  # (second, who)
    party: str = ""

    def state(self, t: float, *, before: bool = False) -> tuple[bool, float]:
        """Playing?, and the media position at the instant t (after the script's
        actions at t, or ``before`` them)."""
        playing, position, since = False, 0.0, 0.0
        for at, action, where in self.playback:
            if at > t or (before and at == t):
                break
            if playing:
                position += at - since
            since = at
            if action == "play":
                playing = True
            elif action == "pause":
                playing = False
            elif action == "seek":
                position = float(where or 0)
        if playing:
            position += t - since
        return playing, position


FILM_CLUB = PartyScript(
    title="Film club",
    media=NIGHT,
    host="host",
    created_at=0,
    playback=[(0, "play", None), (720, "seek", 600.0), (1500, "pause", None), (1560, "play", None)],
    sessions={
        "host": [(0, END, "party")],
        "ana": [(0, 1800, "party")],
        "ben": [(60, END, "invite")],
        "cai": [(120, 240, "invite")],
        "dee": [(300, 1200, "party"), (1500, 2700, "party")],
        "eve": [(900, END, "party")],
    },
    reactions=[(360, "ana", 3), (360, "ben", 2), (360, "host", 2), (780, "ben", 2), (780, "dee", 1)],
    chats=[(400, "ana"), (790, "dee")],
)
LATE_SHOW = PartyScript(
    title="Late show",
    media=HARBOUR,
    host="gus",
    created_at=1800,
    playback=[(1800, "play", None)],
    sessions={"gus": [(1800, END, "party")], "hal": [(1860, END, "party")], "ivy": [(2100, 2700, "party")]},
    reactions=[(2000, "hal", 2)],
)
SCRIPTS = [FILM_CLUB, LATE_SHOW]
INVITES = 2  # made by Film club's host at its start; the first is opened three times
OPENS = 3


# ---------------------------------------------------------------------------- ground truth


@dataclass
class Truth:
    sessions: int
    viewers: int
    returning: int
    peak: int
    watch_s: dict[str, int]  # party title -> watched seconds (every member)


def truth() -> Truth:
    present: dict[int, int] = defaultdict(int)
    watch: dict[str, int] = defaultdict(int)
    sessions = 0
    people: dict[str, int] = defaultdict(int)
    for script in SCRIPTS:
        for who, spans in script.sessions.items():
            for join, leave, _ in spans:
                sessions += 1
                people[who] += 1
                for s in range(join, leave):
                    present[s] += 1
                    if script.state(s)[0]:
                        watch[script.title] += 1
    return Truth(
        sessions=sessions,
        viewers=len(people),
        returning=sum(1 for n in people.values() if n > 1),
        peak=max(present.values()),
        watch_s=dict(watch),
    )


# ---------------------------------------------------------------------------- the server and the script


class ManualClock:
    def __init__(self, now_ms: int) -> None:
        self.ms = now_ms

    def now_ms(self) -> int:
        return self.ms

    def at(self, second: int) -> None:
        self.ms = T0 + second * 1000


@contextlib.asynccontextmanager
async def scripted_server(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Server]:
    """A real server on the built web client, its clock the script's."""
    port = free_port()
    overrides = {
        "database_url": f"sqlite:///{tmp_path}/test.db",
        "port": port,
        **TEST_CONFIG,
        "lead_ms": 0,  # a play or seek takes effect at the second the script says
        "web_dir": str(DEFAULT_WEB_DIR),
        "retention_every_s": 0,
    }
    config = Config.load(overrides, env={})
    app = await create_app(config, clock=clock)
    runner = make_runner(app, shutdown_timeout=1)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield Server(f"http://127.0.0.1:{port}", app, config)
    finally:
        await runner.cleanup()


class Script:
    def __init__(self, server: Server, clock: ManualClock, http: aiohttp.ClientSession) -> None:
        self.server, self.clock, self.http = server, clock, http
        self.clients: dict[str, SocialSyncClient] = {}
        self.tokens: dict[str, str] = {}
        self.joined: dict[str, PartyScript] = {}
        self.invites: list[str] = []

    async def connect(self) -> None:
        tenant = await self.server.app[STORE].get_tenant("demo")
        assert tenant is not None
        now = int(time.time())
        people = [who for script in SCRIPTS for who in script.sessions]
        for who in people:
            self.tokens[who] = issue_token(tenant, f"user-{who}", who.title(), ["viewer"], 3600, now)
        self.tokens["moderator"] = issue_token(tenant, "mod-1", "Moe", ["moderator"], 3600, now)
        self.tokens["viewer"] = issue_token(tenant, "viewer-1", "Vic", ["viewer"], 3600, now)
        for who in people:
            client = SocialSyncClient(self.server.url, token=self.tokens[who])
            await client.connect(sync_clock=False)
            self.clients[who] = client

    async def rest(self, path: str, who: str = "moderator") -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        async with self.http.get(self.server.url + path, headers=headers) as r:
            assert r.status == 200, (path, r.status, await r.text())
            return await r.json() if r.content_type == "application/json" else await r.text()

    async def report(self, who: str, t: int, *, after: bool = False) -> None:
        script = self.joined[who]
        playing, position = script.state(t, before=not after)
        await self.clients[who].request(
            "playback.status",
            {
                "party": script.party,
                "position": position,
                "playing": playing,
                "buffering": False,
                "at": self.clock.ms,
            },
        )

    async def run(self) -> None:
        for t in range(0, END + 1, 10):
            self.clock.at(t)
            for who in sorted(self.joined):  # every player reports (every 10 s here)
                await self.report(who, t)
            for script in SCRIPTS:
                await self.step(script, t)

    async def step(self, script: PartyScript, t: int) -> None:
        for who, spans in script.sessions.items():  # leaves first: the second they leave is not watched
            if any(leave == t for _, leave, _ in spans) and who in self.joined:
                await self.clients[who].request("party.leave", {"party": script.party})
                del self.joined[who]
        if t == script.created_at:
            made = await self.clients[script.host].create_party(script.title, script.media)
            script.party = made["id"]
        for who, spans in script.sessions.items():
            for join, _, via in spans:
                if join != t:
                    continue
                if via == "invite":
                    await self.clients[who].request("party.join", {"invite": self.invites[0]})
                else:
                    await self.clients[who].request("party.join", {"party": script.party})
                self.joined[who] = script
                if who == script.host and script is FILM_CLUB:
                    await self.invite(script)
                if script.state(t)[0]:
                    await self.report(who, t, after=True)  # a player reports as soon as it has joined
        for at, action, where in script.playback:
            if at == t:
                payload: dict[str, Any] = {"party": script.party, "action": action}
                if where is not None:
                    payload["position"] = where
                await self.clients[script.host].request("playback.control", payload)
        for at, who in script.chats:
            if at == t:
                position = script.state(t)[1]
                await self.clients[who].send_chat(
                    script.party, "what a scene", media_time=float(int(position))
                )
        for at, who, n in script.reactions:
            if at == t:
                for _ in range(n):
                    await self.clients[who].react(script.party, "🔥")

    async def invite(self, script: PartyScript) -> None:
        headers = {"Authorization": f"Bearer {self.tokens[script.host]}"}
        for _ in range(INVITES):
            url = f"{self.server.url}/api/v1/parties/{script.party}/invites"
            async with self.http.post(url, json={}, headers=headers) as r:
                assert r.status == 201, await r.text()
                self.invites.append((await r.json())["code"])
        for _ in range(OPENS):  # the invite link opened (its page served)
            async with self.http.get(f"{self.server.url}/?invite={self.invites[0]}") as r:
                assert r.status == 200

    async def close(self) -> None:
        for client in self.clients.values():
            await client.close()


# ---------------------------------------------------------------------------- page helpers


async def axe_serious(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not AXE_JS.is_file():
        pytest.fail(f"axe-core is missing ({AXE_JS}): run npm ci in web_client")
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate("(source) => { (0, eval)(source); }", AXE_JS.read_text())
    found = await page.evaluate(
        """async (tags) => {
            const r = await axe.run(document,
                {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 6)}));
        }""",
        WCAG,
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


async def loaded(page, loads: int) -> None:
    """Every chart of the ``loads``-th load is drawn (or said why not)."""
    await page.wait_for_function(
        """(n) => document.body.dataset.state === 'ready' && Number(document.body.dataset.loads || 0) >= n
            && document.body.dataset.loading === 'false'
            && [...document.querySelectorAll('.db-card')].every(c => c.dataset.state !== 'loading')""",
        arg=loads,
        timeout=20_000,
    )


async def kpis(page) -> dict[str, float]:
    return await page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('[data-kpi]')]
            .map(d => [d.dataset.kpi, d.dataset.value === undefined ? null : Number(d.dataset.value)]))"""
    )


async def table(page, card: str) -> list[list[str | None]]:
    """A card's data table: each row's cells' raw values (``data-value``)."""
    return await page.evaluate(
        """(card) => [...document.querySelectorAll(`#card-${card} tbody tr`)]
            .map(tr => [...tr.children].map(c => c.dataset.value ?? null))""",
        card,
    )


async def text(page, selector: str) -> str:
    return (await page.locator(selector).inner_text()).strip()


async def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


async def no_horizontal_scroll(page) -> bool:
    return await page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


# ---------------------------------------------------------------------------- the tests


async def test_the_dashboard_shows_what_the_parties_did(tmp_path: Path, browser) -> None:
    expected = truth()
    clock = ManualClock(T0)
    async with scripted_server(tmp_path, clock) as server, aiohttp.ClientSession() as http:
        script = Script(server, clock, http)
        await script.connect()
        try:
            await script.run()
        finally:
            await script.close()
        await server.app[ANALYTICS].flush()  # what the pipeline holds, committed

        window = f"since={T0 + END * 1000 - 3_600_000}&until={T0 + END * 1000}"
        rest_summary = (await script.rest(f"/api/v1/analytics/summary?{window}"))["metrics"]
        assert rest_summary["sessions"] == expected.sessions == 10
        errors: list[str] = []

        # ------------------------------------------------------------ signed out: the sign-in
        context = await browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page = await context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        await page.goto(f"{server.url}/dashboard/")
        await page.wait_for_function("() => document.body.dataset.state === 'signin'")
        assert await axe_serious(page) == []
        await shot(page, "signin")

        # ------------------------------------------------------------ signed in: the tenant's last hour
        await page.fill("#token-input", script.tokens["moderator"])
        await page.click("#signin-button")
        await loaded(page, 1)  # the last 24 hours, at once
        # The panel's sign-in: the same key in this tab's sessionStorage, and never in the URL.
        stored = await page.evaluate("() => sessionStorage.getItem('socialsync.moderation.token')")
        assert stored == script.tokens["moderator"]
        await page.select_option("#range", "h1")
        await page.click("#apply")
        await loaded(page, 2)
        assert script.tokens["moderator"] not in page.url
        assert "range=h1" in page.url

        got = await kpis(page)
        assert got["sessions"] == expected.sessions
        assert got["unique_viewers"] == expected.viewers == 9
        assert got["returning_viewers"] == expected.returning == 1
        assert got["peak_viewers"] == expected.peak
        assert got["watch_time_s"] == pytest.approx(sum(expected.watch_s.values()), abs=1)
        assert got == pytest.approx({k: rest_summary[k] for k in got}, abs=1e-6)
        assert await text(page, "#who-name") == "Moe"

        # Top parties: the most watched first, each party's watch time from the script.
        rows = await table(page, "parties")
        parties = {FILM_CLUB.party: FILM_CLUB.title, LATE_SHOW.party: LATE_SHOW.title}
        assert [r[0] for r in rows] == [FILM_CLUB.party, LATE_SHOW.party]
        for row in rows:
            assert float(row[3] or 0) == pytest.approx(expected.watch_s[parties[str(row[0])]], abs=1)
        assert [r[0] for r in await table(page, "media")] == [
            (await script.rest(f"/api/v1/analytics/top?by=media&{window}"))["items"][i]["id"]
            for i in range(2)
        ]

        # The invite funnel: 2 made, 3 opened, 2 joined by it, 1 still there after 5 min.
        funnel = await table(page, "funnel")
        assert [(r[1], int(r[2] or 0)) for r in funnel if r[0] == "invite"] == [
            ("created", 2),
            ("opened", 3),
            ("joined", 2),
            ("watching_5min", 1),
        ]
        caption = await text(page, "#card-funnel figcaption")
        assert "Invites made 2 → Links opened 3 (150%) → Joined 2 (66.7%)" in caption

        # Viewers over time: the table's points are the API's (an hour of minutes, thinned to 48 rows).
        rest_points = (await script.rest(f"/api/v1/analytics/concurrency?{window}&step_s=60"))["points"]
        shown = {int(r[0] or 0): int(r[1] or 0) for r in await table(page, "concurrency")}
        assert shown and all(shown[t] == p["viewers"] for p in rest_points if (t := p["t"]) in shown)
        assert max(p["viewers"] for p in rest_points) == expected.peak

        # Retention and key moments default to the range's most watched media item: Night Train.
        night = (await script.rest(f"/api/v1/analytics/top?by=media&{window}"))["items"][0]
        assert night["about"]["title"] == "Night Train"
        retention = await script.rest(f"/api/v1/analytics/retention?{window}&media={night['id']}&unit=second")
        assert "Night Train" in await text(page, "#card-retention figcaption")
        intro = [r for r in await table(page, "retention") if r[0] == "30"]
        assert intro and float(intro[0][1] or 0) == retention["intro_retention"]
        moments = await script.rest(
            f"/api/v1/analytics/moments?{window}&media={night['id']}&bucket_s=30&top=5"
        )
        tops = [int(r[0] or 0) for r in await table(page, "moments") if r[-1] == "1"]
        assert tops == [m["start_s"] for m in moments["top"]] and 360 in tops  # the burst of reactions
        assert 600 in {m["start_s"] for m in moments["buckets"] if m["rewatches"]}  # the seek back

        # A chart's table, opened; its CSV, downloaded with the token (not in the link).
        toggle = page.locator("#card-funnel .db-toggle")
        await toggle.click()
        assert await toggle.get_attribute("aria-expanded") == "true"
        assert await page.locator("#card-funnel .db-table").is_visible()
        href = await page.locator("#card-funnel .db-csv").get_attribute("href")
        assert href and href.startswith("/api/v1/analytics/funnels?") and "format=csv" in href
        async with page.expect_download() as download_info:
            await page.click("#card-funnel .db-csv")
        download = await download_info.value
        assert download.suggested_filename == "funnel.csv"
        csv_text = (await download.path()).read_text()
        assert csv_text == await script.rest(href)
        assert await axe_serious(page) == []
        await shot(page, "overview")

        # ------------------------------------------------------------ one party: Late show
        await page.select_option("#party", LATE_SHOW.party)
        await page.click("#apply")
        await loaded(page, 3)
        got = await kpis(page)
        assert got["sessions"] == sum(len(s) for s in LATE_SHOW.sessions.values()) == 3
        assert got["watch_time_s"] == pytest.approx(expected.watch_s["Late show"], abs=1)
        assert "Harbour Lights" in await text(page, "#card-retention figcaption")
        assert f"party={LATE_SHOW.party}" in page.url
        assert "Late show" in await text(page, "#status")
        await page.locator("#card-moments .db-toggle").click()
        await shot(page, "party")

        # ------------------------------------------------------------ Arabic, right to left
        await page.goto(f"{server.url}/dashboard/?lang=ar&range=h1")
        await loaded(page, 1)
        assert await page.evaluate("() => document.documentElement.dir") == "rtl"
        assert await text(page, "h1") == "إحصاءات SocialSync"
        assert await text(page, "#card-funnel .db-card-title") == "مسار الدعوات"
        assert (await kpis(page))["sessions"] == expected.sessions
        assert await axe_serious(page) == []
        await shot(page, "ar")
        await context.close()
        assert errors == []

        # ------------------------------------------------------------ French, on a phone
        phone = await browser.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
        )
        page = await phone.new_page()
        await page.goto(f"{server.url}/dashboard/?lang=fr&range=h1#token={script.tokens['moderator']}")
        await loaded(page, 1)
        assert "token" not in page.url  # taken out of the address at once
        assert await text(page, "#card-concurrency .db-card-title") == "Spectateurs dans le temps"
        assert await no_horizontal_scroll(page)
        assert await axe_serious(page) == []
        await shot(page, "phone-fr")
        await phone.close()


async def test_the_dashboard_is_for_staff_only(browser, web_server) -> None:
    tenant = await web_server.app[STORE].get_tenant("demo")
    viewer = issue_token(tenant, "viewer-2", "Val", ["viewer"], 600, int(time.time()))
    context = await browser.new_context()
    page = await context.new_page()
    try:
        # A viewer's token: signed in, told the page is for moderators, no data asked for.
        await page.goto(f"{web_server.url}/dashboard/#token={viewer}")
        await page.wait_for_function("() => document.body.dataset.state === 'not_staff'")
        assert await page.locator("#role-notice").is_visible()
        assert not await page.locator("#workspace").is_visible()
        # A refused token: back to the sign-in, and forgotten.
        await page.evaluate("() => sessionStorage.clear()")
        await page.goto(f"{web_server.url}/dashboard/?lang=en#token=not-a-token")  # a new document
        await page.wait_for_function("() => document.body.dataset.state === 'signin'")
        assert "unauthorized" in (await page.locator("#signin-error").inner_text())
        assert await page.evaluate("() => sessionStorage.getItem('socialsync.moderation.token')") is None
        # A token in the query is refused (it reached the server's logs already).
        await page.goto(f"{web_server.url}/dashboard/?token=abc")
        await page.wait_for_function("() => document.body.dataset.state === 'signin'")
        assert "?token=" in await page.locator("#signin-error").inner_text()
        assert "token" not in page.url
        # The REST API itself refuses a viewer (the page is no gate).
        async with aiohttp.ClientSession() as http:
            async with http.get(
                f"{web_server.url}/api/v1/analytics/summary", headers={"Authorization": f"Bearer {viewer}"}
            ) as r:
                assert r.status == 403
                assert json.loads(await r.text())["error"]["code"] == "forbidden"
    finally:
        await context.close()
