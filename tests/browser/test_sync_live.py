"""A live channel in Chromium: members at one shared delay behind program time.

An aiohttp origin serves a live sliding-window HLS playlist (2 s MPEG-TS segments made by
ffmpeg, each with its #EXT-X-PROGRAM-DATE-TIME; a segment is listed once it is complete,
a window of 20) on the wall clock. Three members watch it through the demo page (hls.js):
- Host: the origin's playlist;
- Deep: its playlist (its CDN edge) is 3 segments behind, so its live edge is ~6 s
  further back than the others': the party must not play ahead of what it can show;
- Late: the origin's playlist, joining while the others play.

Measured on the pages' shared wall clock, independently of the SDK: each page records
hls.js's program time at its playhead (``hls.playingDate``) every 20 ms. Reported: the
party's shared delay against the one the rule asks for (Deep's edge delay plus the
margin), each member's delay behind the wall clock, the pair errors of program time (who
sees the goal first, and by how much), and Late's join to in sync.
Report: test-artifacts/sync-live.json.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import subprocess
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from browser_support import ARTIFACTS
from services import unavailable
from test_sync_network import join_to_in_sync, position_at, summary

from socialsync.app import STORE
from socialsync.edge.auth import issue_token

pytestmark = pytest.mark.browser

SEGMENT_S = 2
WINDOW = 20  # segments listed
CONTENT_S = 150
DEEP_LAG = 3  # segments Deep's playlist is behind
LIVE_MARGIN_S = 4.0  # the server's default live_margin_s

# Program time at the playhead, as hls.js has it (the demo's adapter); NaN while unknown.
RECORDER = """
window.__tl = [];
addEventListener("DOMContentLoaded", () => {
  const v = document.querySelector("video");
  if (!v) return;
  const wall = () => performance.timeOrigin + performance.now();
  setInterval(() => {
    const e = window.socialsyncDemo?.engine;
    const p = e ? e.player.position() : NaN;
    if (Number.isFinite(p)) window.__tl.push([wall(), p, v.paused ? 1 : 0, v.playbackRate]);
  }, 20);
});
"""


def make_segments(directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "ffmpeg", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc=duration={CONTENT_S}:size=160x120:rate=25",
            "-f", "lavfi", "-i", f"sine=duration={CONTENT_S}",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-g", "50", "-keyint_min", "50", "-sc_threshold", "0", "-c:a", "aac",
            "-f", "hls", "-hls_time", str(SEGMENT_S), "-hls_playlist_type", "vod",
            "-hls_segment_filename", str(directory / "seg%03d.ts"), str(directory / "vod.m3u8"),
        ],
        check=True,
        timeout=120,
    )  # fmt: skip
    return len(list(directory.glob("seg*.ts")))


class LiveOrigin:
    """The sliding window on the wall clock: segment i covers program time
    [base + 2i, base + 2i + 2) and is listed once that has passed."""

    def __init__(self, directory: Path, count: int) -> None:
        self.directory = directory
        self.count = count
        self.base = time.time() - WINDOW * SEGMENT_S  # a full window at once

    def playlist(self, lag: int = 0) -> str:
        newest = min(self.count, int((time.time() - self.base) // SEGMENT_S)) - 1 - lag
        first = max(0, newest - WINDOW + 1)
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:3",
            f"#EXT-X-TARGETDURATION:{SEGMENT_S}",
            f"#EXT-X-MEDIA-SEQUENCE:{first}",
        ]
        for i in range(first, newest + 1):
            pdt = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.base + i * SEGMENT_S)) + ".000Z"
            lines += [f"#EXT-X-PROGRAM-DATE-TIME:{pdt}", f"#EXTINF:{SEGMENT_S:.3f},", f"seg{i:03d}.ts"]
        return "\n".join(lines) + "\n"

    def app(self) -> web.Application:
        async def playlist(request: web.Request) -> web.Response:
            lag = int(request.query.get("lag", "0"))
            return web.Response(text=self.playlist(lag), content_type="application/vnd.apple.mpegurl")

        app = web.Application()
        app.router.add_get("/live/stream.m3u8", playlist)
        app.router.add_static("/live/", self.directory)
        return app


async def create_live_party(server, url: str) -> str:
    tenant = await server.app[STORE].get_tenant("demo")
    token = issue_token(tenant, "platform", "Platform", ["viewer"], 60, int(time.time()))
    body = {"title": "Live channel", "media": {"url": url, "kind": "live", "title": "Channel"}}
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{server.url}/api/v1/parties", json=body, headers={"Authorization": f"Bearer {token}"}
        ) as r:
            assert r.status == 201, await r.text()
            return (await r.json())["party"]["id"]


async def open_live_member(browser, server_url: str, origin_url: str, party_id: str, name: str, lag: int):
    """A member whose requests for the channel go to the origin (its CDN edge), from the
    page's own origin as far as the page can tell (the page's CSP allows its own origin)."""
    context = await browser.new_context(viewport={"width": 900, "height": 600})
    await context.add_init_script(RECORDER)

    async def to_origin(route) -> None:
        path = route.request.url.split("/live/", 1)[1]
        query = f"?lag={lag}" if path.startswith("stream.m3u8") else ""
        response = await route.fetch(url=f"{origin_url}/live/{path.split('?')[0]}{query}")
        await route.fulfill(response=response)

    await context.route("**/live/**", to_origin)
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{server_url}/?party={party_id}&name={name}")
    await page.wait_for_function("() => document.body.dataset.state === 'joined'", timeout=20_000)
    connect = await page.evaluate(
        "() => { const m = performance.getEntriesByName('socialsync:connect')[0];"
        " return m ? performance.timeOrigin + m.startTime : performance.timeOrigin; }"
    )
    return {"name": name, "context": context, "page": page, "errors": errors, "connect": connect}


async def test_a_live_channel_plays_at_one_shared_delay(web_server, browser, tmp_path):
    if shutil.which("ffmpeg") is None:
        unavailable("ffmpeg is missing: the live channel's segments cannot be made")
    count = await asyncio.to_thread(make_segments, tmp_path / "live")
    origin = LiveOrigin(tmp_path / "live", count)
    runner = web.AppRunner(origin.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    origin_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        party_id = await create_live_party(web_server, f"{web_server.url}/live/stream.m3u8")
        host = await open_live_member(browser, web_server.url, origin_url, party_id, "Host", 0)
        await asyncio.sleep(6.0)
        deep = await open_live_member(browser, web_server.url, origin_url, party_id, "Deep", DEEP_LAG)
        await asyncio.sleep(8.0)
        late = await open_live_member(browser, web_server.url, origin_url, party_id, "Late", 0)
        await asyncio.sleep(8.0)
        members = [host, deep, late]
        data = {}
        for m in members:
            data[m["name"]] = await m["page"].evaluate(
                "() => { const d = window.socialsyncDemo;"
                " return {tl: window.__tl, playback: d.party.playback,"
                " stats: {...d.engine.stats}, now: d.client.serverNow(), wall: Date.now(),"
                " members: d.party.memberList().map(m => [m.name, m.sync])}; }"
            )
        for m in members:
            await m["context"].close()
    finally:
        await runner.cleanup()

    names = [m["name"] for m in members]
    tls = {n: data[n]["tl"] for n in names}
    end = min(tl[-1][0] for tl in tls.values())
    window = [end - 5_000 + k * 100 for k in range(50)]  # the last 5 s, all three playing
    pairs, delays = [], {n: [] for n in names}
    for t in window:
        at = {n: position_at(tls[n], t) for n in names}
        if any(p is None or p[1] for p in at.values()):
            continue
        pairs += [abs(a[0] - b[0]) * 1000 for a, b in itertools.combinations(at.values(), 2)]
        for n, p in at.items():
            assert p is not None
            delays[n].append(t / 1000 - p[0])
    playback = data["Host"]["playback"]
    now = data["Host"]["now"]
    party_delay = now / 1000 - (playback["position"] + max(0.0, now - playback["at"]) / 1000)
    edges = {n: data[n]["stats"]["edgeDelay"] for n in names}
    needed = max(e for e in edges.values() if e is not None) + LIVE_MARGIN_S
    late_join = join_to_in_sync(tls["Host"], tls["Late"], members[2]["connect"])
    report = {
        "segment_s": SEGMENT_S,
        "deep_playlist_lag_s": DEEP_LAG * SEGMENT_S,
        "edge_delay_reported_s": edges,
        "party_delay_s": round(party_delay, 2),
        "rule_delay_s (largest edge + margin)": round(needed, 2),
        "member_delay_behind_wall_clock_s": {
            n: {"median": round(sorted(d)[len(d) // 2], 3), "min": round(min(d), 3), "max": round(max(d), 3)}
            for n, d in delays.items()
            if d
        },
        "pair_error_program_time_last_5_s": summary(pairs) if pairs else None,
        "late_join_to_in_sync_ms": None if late_join is None else round(late_join),
        "member_list": data["Host"]["members"],
        "errors": {m["name"]: m["errors"] for m in members},
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "sync-live.json").write_text(json.dumps(report, indent=1))
    print("\nlive channel:", json.dumps(report, indent=1))

    assert pairs, report
    # One delay for all: nobody sees a goal before the others by more than a frame or two
    # (measured 13 ms p95 on a quiet machine; with a full test suite beside it on the same
    # 2 cores, 99 ms p95: hence the margin, as in test_sync_network; a member a segment or
    # a correction behind is 100s of ms to seconds off, and still fails)...
    assert summary(pairs)["p95_ms"] <= 60 + 80 and summary(pairs)["max_ms"] <= 120 + 130, report
    # ...and it is the smallest the deepest member can sustain (its edge plus the margin),
    # within the rule's slack and one segment of the edge's saw-tooth.
    assert edges["Deep"] is not None and edges["Host"] is not None and edges["Deep"] > edges["Host"] + 3, (
        report
    )
    assert abs(party_delay - needed) <= 0.5 + SEGMENT_S, report
    assert late_join is not None and late_join <= 4_000, report
