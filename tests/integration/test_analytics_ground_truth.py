"""Analytics against ground truth (issue 15): a scripted party driven over real Socket.IO
clients and the REST API on a real server whose clock the script sets (a manual clock:
every report, join, leave, seek, pause, message and reaction happens at a second the
script chose). Members join by the party's id or by an invite link (opened on the
invite page), watch through a seek back, a pause and a resume, chat, react, leave and
come back. Every metric the REST API answers is checked against numbers this file
computes on its own from the script, second by second (it shares no code with
socialsync.domain.analytics): watch time per viewer and in total, retention at four
positions (party and media item), peak and per-step concurrency, sessions, returning
viewers, durations, party size, engagement, key moments and the invite funnel.

Runs on both backends: embedded (memory buffer, SQLite) and as a cluster node (Redis
buffer, PostgreSQL).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import itertools
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from support import TEST_CONFIG, Server, free_port

from socialsync.app import ANALYTICS, STORE, create_app, make_runner
from socialsync.config import Config
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient

T0 = 1_800_000_000_000  # the script's second 0, server epoch ms (a UTC midnight: one day of positions)
VIDEO = {"url": "https://media.example/film.mp4?sig=abc", "kind": "vod", "duration": 600.0}
END = 420  # the script's last second

# The shared playback: (second, action, position).
PLAYBACK = [(0, "play", None), (120, "seek", 60.0), (200, "pause", None), (230, "play", None)]
# Each member's sessions: (join, leave, how it came in). Host creates the party.
SESSIONS: dict[str, list[tuple[int, int, str]]] = {
    "host": [(0, 420, "party")],
    "ana": [(0, 300, "party")],
    "ben": [(30, 400, "invite")],
    "cai": [(60, 150, "invite")],
    "dee": [(100, 110, "party"), (250, 420, "party")],
}
CHATS = [(50, "ana")]  # (second, who): a message at the party's position
REACTIONS = [(290, "host", 3), (290, "ben", 3), (290, "dee", 3)]  # (second, who, how many)
INVITES = 2  # made by the host at second 0; the first is opened twice and used by ben and cai
OPENS = 2


# ---------------------------------------------------------------------------- ground truth


def playing_and_position(t: int) -> tuple[bool, int]:
    """The shared playback during wall second [t, t+1): playing?, media second."""
    playing, position, since = False, 0.0, 0
    for at, action, where in PLAYBACK:
        if at > t:
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
    return playing, int(position)


@dataclass
class Truth:
    watch: dict[tuple[str, int], int]  # session -> watched wall seconds
    covered: dict[tuple[str, int], Counter[int]]  # session -> media second -> times watched
    present: dict[int, int]  # wall second -> sessions present

    def views(self) -> list[tuple[str, int]]:
        return [s for s, seconds in self.covered.items() if seconds]

    def retention(self, second: int) -> float:
        views = self.views()
        return round(100 * sum(1 for s in views if self.covered[s][second]) / len(views), 2)

    def rewatches(self, second: int) -> int:
        return sum(max(0, c[second] - 1) for c in self.covered.values())


def truth() -> Truth:
    watch: dict[tuple[str, int], int] = defaultdict(int)
    covered: dict[tuple[str, int], Counter[int]] = defaultdict(Counter)
    present: dict[int, int] = defaultdict(int)
    for who, sessions in SESSIONS.items():
        for join, leave, _ in sessions:
            for t in range(join, leave):
                present[t] += 1
                playing, position = playing_and_position(t)
                if playing:
                    watch[(who, join)] += 1
                    covered[(who, join)][position] += 1
    return Truth(watch, covered, present)


def just_before(t: int) -> tuple[bool, int]:
    """The shared playback at the instant t, before what the script does at t."""
    if t == 0:
        return False, 0
    playing, position = playing_and_position(t - 1)
    return playing, position + 1 if playing else position


def media_time(t: int) -> float:
    return float(playing_and_position(t)[1])


# ---------------------------------------------------------------------------- the server


class ManualClock:
    def __init__(self, now_ms: int) -> None:
        self.ms = now_ms

    def now_ms(self) -> int:
        return self.ms

    def at(self, second: int) -> None:
        self.ms = T0 + second * 1000


@contextlib.asynccontextmanager
async def scripted_server(
    tmp_path: Path, clock: ManualClock, backend: dict[str, str]
) -> AsyncIterator[Server]:
    web = tmp_path / "web" / "demo"
    web.mkdir(parents=True)
    (web / "index.html").write_text(
        "<!doctype html>\n<html><head>\n<title>Demo</title>\n</head><body></body></html>\n"
    )
    port = free_port()
    overrides = {
        "database_url": f"sqlite:///{tmp_path}/test.db",
        "port": port,
        **TEST_CONFIG,
        "lead_ms": 0,  # a play or seek takes effect at the second the script says
        "web_dir": str(tmp_path / "web"),
        "retention_every_s": 0,
        **backend,
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
        self.joined: set[str] = set()
        self.party = ""
        self.invites: list[str] = []
        self.tokens: dict[str, str] = {}

    async def connect(self) -> None:
        tenant = await self.server.app[STORE].get_tenant("demo")
        assert tenant is not None
        now = int(time.time())
        for who in [*SESSIONS, "admin"]:
            roles = ["admin"] if who == "admin" else ["viewer"]
            self.tokens[who] = issue_token(tenant, f"user-{who}", who.title(), roles, 3600, now)
        for who in SESSIONS:
            client = SocialSyncClient(self.server.url, token=self.tokens[who])
            await client.connect(sync_clock=False)
            self.clients[who] = client

    async def rest(self, method: str, path: str, body: Any = None, who: str = "admin") -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        async with self.http.request(method, self.server.url + path, json=body, headers=headers) as r:
            assert r.status < 300, (path, r.status, await r.text())
            if r.content_type == "text/csv":
                return list(csv.DictReader(io.StringIO(await r.text())))
            return await r.json()

    async def report(self, who: str, t: int, *, after: bool = False) -> None:
        """The member's player: where it is at t, before (or ``after``) the script's actions at t."""
        playing, position = playing_and_position(t) if after else just_before(t)
        await self.clients[who].request(
            "playback.status",
            {
                "party": self.party,
                "position": float(position),
                "playing": playing,
                "buffering": False,
                "at": self.clock.ms,
            },
        )

    async def join(self, who: str, t: int, via: str) -> None:
        if via == "invite":
            await self.clients[who].request("party.join", {"invite": self.invites[0]})
        else:
            await self.clients[who].request("party.join", {"party": self.party})
        self.joined.add(who)
        if playing_and_position(t)[0]:
            await self.report(who, t, after=True)  # a player reports as soon as it has joined

    async def run(self) -> None:
        host = self.clients["host"]
        self.clock.at(0)
        created = await host.request("party.create", {"title": "Film club", "media": VIDEO})
        self.party = created["party"]["id"]
        controls = {at: (action, where) for at, action, where in PLAYBACK}
        for t in range(0, END + 1, 10):
            self.clock.at(t)
            for who in sorted(self.joined):  # every player reports (~ every 10 s here)
                await self.report(who, t)
            for who, sessions in SESSIONS.items():  # leaves first: the second they leave is not watched
                for _, leave, _ in sessions:
                    if leave == t:
                        await self.clients[who].request("party.leave", {"party": self.party})
                        self.joined.discard(who)
            for who, sessions in SESSIONS.items():
                for join, _, via in sessions:
                    if join == t:
                        await self.join(who, t, via)
                        if who == "host":  # the host (joined) makes the invites
                            await self._invite()
            if t in controls:
                action, where = controls[t]
                payload: dict[str, Any] = {"party": self.party, "action": action}
                if where is not None:
                    payload["position"] = where
                await host.request("playback.control", payload)
            for at, who in CHATS:
                if at == t:
                    await self.clients[who].send_chat(self.party, "what a scene", media_time=media_time(t))
            for at, who, n in REACTIONS:
                if at == t:
                    for _ in range(n):
                        await self.clients[who].react(self.party, "👍")

    async def _invite(self) -> None:
        for _ in range(INVITES):
            made = await self.rest("POST", f"/api/v1/parties/{self.party}/invites", {}, who="host")
            self.invites.append(made["code"])
        for _ in range(OPENS):  # the invite link opened (the invite page served)
            async with self.http.get(f"{self.server.url}/?invite={self.invites[0]}") as r:
                assert r.status == 200

    async def close(self) -> None:
        for client in self.clients.values():
            await client.close()


# ---------------------------------------------------------------------------- the test


async def test_every_metric_matches_the_scripts_ground_truth(tmp_path: Path, backend: dict[str, str]) -> None:
    clock = ManualClock(T0)
    truth_ = truth()
    async with scripted_server(tmp_path, clock, backend) as server, aiohttp.ClientSession() as http:
        script = Script(server, clock, http)
        await script.connect()
        try:
            await script.run()
            await server.app[ANALYTICS].flush()
            await _check(script, truth_)
        finally:
            await script.close()


async def _check(script: Script, t: Truth) -> None:
    party = script.party
    window = f"since={T0}&until={T0 + END * 1000}"
    media = hashlib.sha256(b"https://media.example/film.mp4").hexdigest()[:16]  # its URL without the query

    # Sessions, viewers, durations, watch time, concurrency, party size, engagement.
    got = (await script.rest("GET", f"/api/v1/analytics/summary?party={party}&{window}"))["metrics"]
    sessions = [(who, join, leave) for who, ss in SESSIONS.items() for join, leave, _ in ss]
    durations = [leave - join for _, join, leave in sessions]
    total_watch = sum(t.watch.values())
    chats, reactions = len(CHATS), sum(n for _, _, n in REACTIONS)
    assert got["sessions"] == len(sessions) == 6
    assert got["unique_viewers"] == len(SESSIONS) == 5
    assert got["returning_viewers"] == sum(1 for ss in SESSIONS.values() if len(ss) > 1) == 1
    assert got["parties"] == 1
    assert got["watch_time_s"] == pytest.approx(total_watch, abs=0.01)
    assert got["watch_time_per_viewer_s"] == pytest.approx(total_watch / len(SESSIONS), abs=0.01)
    assert got["session_duration_mean_s"] == pytest.approx(statistics.fmean(durations), abs=0.01)
    assert got["session_duration_median_s"] == pytest.approx(statistics.median(durations), abs=0.01)
    assert got["peak_viewers"] == max(t.present.values()) == 5
    assert got["average_viewers"] == pytest.approx(sum(t.present.values()) / END, abs=0.001)
    occupied = sum(1 for n in t.present.values() if n)
    assert got["average_party_size"] == pytest.approx(sum(t.present.values()) / occupied, abs=0.001)
    assert got["messages"] == chats and got["reactions"] == reactions
    assert got["engagement_per_minute"] == pytest.approx((chats + reactions) / (total_watch / 60), abs=0.001)
    tenant_wide = (await script.rest("GET", f"/api/v1/analytics/summary?{window}"))["metrics"]
    assert tenant_wide == got  # one party in the tenant

    # Watch time and engagement per viewer (pseudonymous: compared as a multiset).
    per_viewer = Counter()
    for who in SESSIONS:
        watched = sum(s for (w, _), s in t.watch.items() if w == who)
        posted = sum(1 for _, w in CHATS if w == who) + sum(n for _, w, n in REACTIONS if w == who)
        per_viewer[(round(watched, 1), posted)] += 1
    rows = (await script.rest("GET", f"/api/v1/analytics/viewers?party={party}&{window}"))["viewers"]
    assert Counter((round(r["watch_time_s"], 1), r["messages"] + r["reactions"]) for r in rows) == per_viewer
    assert all(not r["viewer"].startswith("user-") for r in rows)  # pseudonyms, never ids

    # Concurrency per 10 s step: the most sessions present in any second of it.
    series = await script.rest("GET", f"/api/v1/analytics/concurrency?party={party}&{window}&step_s=10")
    assert series["peak"] == 5 and series["peak_at"] == T0 + 100_000
    for point in series["points"]:
        first = (point["t"] - T0) // 1000
        assert point["viewers"] == max(t.present.get(s, 0) for s in range(first, first + 10)), first
        assert point["average"] == pytest.approx(
            sum(t.present.get(s, 0) for s in range(first, first + 10)) / 10
        )

    # Retention at three positions and at the intro (30 s), for the party (raw events) and
    # for the media item (the aggregates).
    for scope in (f"party={party}", f"media={media}"):
        got_r = await script.rest("GET", f"/api/v1/analytics/retention?{scope}&{window}")
        assert got_r["media"] == media and got_r["views"] == len(t.views()) == 6
        by_second = {p["second"]: p["retentionPercent"] for p in got_r["data"]}
        assert len(by_second) == 600
        for second in (10, 100, 200):
            assert by_second[second] == t.retention(second), (scope, second)
        assert got_r["intro_retention"] == t.retention(30) == 50.0
        assert [t.retention(s) for s in (10, 100, 200)] == [33.33, 83.33, 66.67]
        csv_rows = await script.rest("GET", f"/api/v1/analytics/retention?{scope}&{window}&format=csv")
        assert float(csv_rows[100]["retention_percent"]) == t.retention(100)

    # Key moments per 10 s of media: rewatches (the seek back), messages, reactions.
    for scope in (f"party={party}", f"media={media}"):
        moments = await script.rest("GET", f"/api/v1/analytics/moments?{scope}&{window}&bucket_s=10&top=3")
        buckets = {b["start_s"]: b for b in moments["buckets"]}
        for start, b in buckets.items():
            seconds = range(start, start + 10)
            assert b["rewatches"] == sum(t.rewatches(s) for s in seconds), (scope, start)
            assert b["messages"] == sum(1 for at, _ in CHATS if start <= media_time(at) < start + 10)
            assert b["reactions"] == sum(n for at, _, n in REACTIONS if start <= media_time(at) < start + 10)
        densest = max(buckets.values(), key=lambda b: (b["score"], -b["start_s"]))
        assert moments["top"][0]["start_s"] == densest["start_s"] == 60
        starts = [m["start_s"] for m in moments["top"]]
        assert starts == sorted(starts) and all(b - a > 10 for a, b in itertools.pairwise(starts))

    # The invite funnel: made → opened → joined → still watching 5 min after joining.
    funnel = {
        s["step"]: s for s in (await script.rest("GET", f"/api/v1/analytics/funnels?{window}"))["invite"]
    }
    by_invite = [
        (who, join, leave) for who, ss in SESSIONS.items() for join, leave, via in ss if via == "invite"
    ]
    stayed = [who for who, join, leave in by_invite if leave - join >= 300]
    assert (
        [funnel[s]["count"] for s in ("created", "opened", "joined", "watching_5min")]
        == [
            INVITES,
            OPENS,
            len(by_invite),
            len(stayed),
        ]
        == [2, 2, 2, 1]
    )
    assert funnel["watching_5min"]["conversion"] == pytest.approx(len(stayed) / len(by_invite))

    # Top lists name the party and the media item.
    top = await script.rest("GET", f"/api/v1/analytics/top?by=media&{window}")
    assert [i["id"] for i in top["items"]] == [media]
    assert top["items"][0]["watch_time_s"] == pytest.approx(total_watch, abs=0.01)
    assert top["items"][0]["about"]["url"] == "https://media.example/film.mp4"
