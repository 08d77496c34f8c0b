"""What viewers see of the analytics, in Chromium against a real server (protocol 18):
the best moments of a VOD as chapter marks in the widget ("Jump to the best moments"),
which seek the party when chosen, as a timeline comment does; and "N watching".

The moments are real: an earlier party on the same media, driven over Socket.IO with the
Python SDK, reacted and wrote at two moments; the analytics pipeline is flushed; then
two people join a new party of that media on the demo page."""

from __future__ import annotations

import json
import time

import pytest
from browser_support import ARTIFACTS, Member, create_party

from socialsync.app import ANALYTICS, DEFAULT_WEB_DIR, STORE
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient

pytestmark = pytest.mark.browser

AXE_JS = DEFAULT_WEB_DIR.parents[0] / "node_modules" / "axe-core" / "axe.min.js"


async def seed_moments(server) -> None:
    """An earlier party of /media/clip.mp4: 4 reactions at 0:21, 2 reactions and a
    timeline comment at 0:42 (its 10 s moments: 0:20, score 4; 0:40, score 3)."""
    tenant = await server.app[STORE].get_tenant("demo")
    token = issue_token(tenant, "seed-1", "Sam", ["viewer"], 600, int(time.time()))
    clips = json.loads((DEFAULT_WEB_DIR / "media" / "clips.json").read_text())
    media = {"url": server.url + "/media/clip.mp4", "kind": "vod", "duration": clips["mp4"]["duration"]}
    client = SocialSyncClient(server.url, token=token)
    await client.connect()
    try:
        party = (await client.create_party("Earlier", media))["id"]
        await client.join(party)
        await client.control(party, "seek", position=21.0)  # paused there: reactions are at 21 s
        for _ in range(4):
            await client.react(party, "🔥")
        await client.control(party, "seek", position=42.0)
        for _ in range(2):
            await client.react(party, "😂")
        await client.send_chat(party, "look at this", media_time=43.0)
        await client.leave(party)
    finally:
        await client.close()
    await server.app[ANALYTICS].flush()  # committed, as the pipeline would within a second or two


async def serious(page) -> list[dict]:
    await page.evaluate("(source) => { (0, eval)(source); }", AXE_JS.read_text())
    found = await page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']}))
            .violations.map(v => ({id: v.id, impact: v.impact,
                nodes: v.nodes.map(n => n.target.join(' '))}))"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


async def position_is(member: Member, position: float) -> None:
    """The party's state and this page's video are both at ``position`` (paused)."""
    await member.page.wait_for_function(
        """(p) => { const d = window.socialsyncDemo;
            return Math.abs(d.party.playback.position - p) < 0.01
                && Math.abs(d.video.currentTime - p) < 0.05; }""",
        arg=position,
        timeout=10_000,
    )


async def test_the_best_moments_are_chapter_marks_that_seek_the_party(web_server, join, browser) -> None:
    await seed_moments(web_server)
    party_id = await create_party(web_server)
    ana = await join(party_id, "Ana")
    ben = await join(party_id, "Ben")

    # Both see the two moments, in media order, as buttons and as marks along the timeline.
    for m in (ana, ben):
        await m.page.locator(".ssw-moments:not([hidden]) .ssw-moment").nth(1).wait_for()
        starts = await m.page.eval_on_selector_all(
            ".ssw-moment", "els => els.map(e => Number(e.dataset.start))"
        )
        assert starts == [20, 40]
        assert await m.page.locator(".ssw-moment-mark").count() == 2
    first = ana.page.locator(".ssw-moment").first
    assert await first.get_attribute("aria-label") == "Play from 0:20"
    described = await first.get_attribute("aria-describedby")
    assert await ana.page.locator(f"#{described}").inner_text() == "4 reactions"
    assert await ana.page.locator(".ssw-moment-detail").nth(1).inner_text() == "2 reactions · 1 message"
    assert await ana.page.locator(".ssw-moments .ssw-heading").inner_text() == "Best moments"
    # Two people present, counted live from the member list.
    for m in (ana, ben):
        await m.page.wait_for_function(
            "() => document.querySelector('.ssw-watching')?.dataset.count === '2'", timeout=5_000
        )
    assert (await ana.page.locator(".ssw-watching").inner_text()).strip() == "2 watching"

    # Ben chooses the moment at 0:40: the party seeks there, for both of them.
    seq = await ana.page.evaluate("() => window.socialsyncDemo.party.playback.seq")
    await ben.page.locator(".ssw-moment[data-start='40']").click()
    for m in (ana, ben):
        await position_is(m, 40)
    assert await ana.page.evaluate("() => window.socialsyncDemo.party.playback.seq") > seq
    # Ana clicks the mark at 0:20 on the timeline (a pointer's way): the party seeks there.
    await ana.page.locator(".ssw-moment-mark[data-start='20']").click()
    for m in (ana, ben):
        await position_is(m, 20)
    ARTIFACTS.mkdir(exist_ok=True)
    await ana.page.screenshot(path=str(ARTIFACTS / "widget-moments.png"), full_page=True)
    assert await serious(ana.page) == []

    # Ben goes: Ana's count follows at once.
    await ben.context.close()
    await ana.page.wait_for_function(
        "() => document.querySelector('.ssw-watching')?.dataset.count === '1'", timeout=5_000
    )
    assert (await ana.page.locator(".ssw-watching").inner_text()).strip() == "1 watching"
    assert ana.console_errors == [], ana.console_errors


async def test_a_live_room_asks_how_many_are_watching(web_server, join, browser) -> None:
    await seed_moments(web_server)
    # Live media has no moments (positions are program times); the count is the members present.
    tenant = await web_server.app[STORE].get_tenant("demo")
    client = SocialSyncClient(
        web_server.url, token=issue_token(tenant, "live-1", "Liv", ["viewer"], 600, int(time.time()))
    )
    await client.connect()
    try:
        live = await client.create_party(
            "Channel", {"url": web_server.url + "/media/live.m3u8", "kind": "live"}
        )
        await client.join(live["id"])
        answer = await client.request("analytics.moments", {"party": live["id"]})
        assert answer == {"ok": True, "media": None, "views": 0, "bucket_s": 10, "moments": []}
        assert await client.request("analytics.watching", {"party": live["id"]}) == {
            "ok": True,
            "watching": 1,
        }
    finally:
        await client.close()
    party_id = await create_party(web_server, type="live_room")
    await join(party_id, "Cy")  # a live room sends no member events: the widget asks
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    try:
        await page.goto(f"{web_server.url}/?party={party_id}&name=Di&lang=ar")
        await page.wait_for_function("() => document.body.dataset.state === 'joined'", timeout=15_000)
        await page.wait_for_function(
            "() => document.querySelector('.ssw-watching')?.dataset.count === '2'", timeout=5_000
        )
        assert (await page.locator(".ssw-watching").inner_text()).strip() == "شخصان يشاهدان"
        await page.locator(".ssw-moments:not([hidden]) .ssw-moment").nth(1).wait_for()
        assert await page.locator(".ssw-moments .ssw-heading").inner_text() == "أفضل اللحظات"
        assert (
            await page.evaluate("() => getComputedStyle(document.querySelector('.ssw')).direction") == "rtl"
        )
        await page.screenshot(path=str(ARTIFACTS / "widget-moments-ar.png"), full_page=True)
        assert await serious(page) == []
    finally:
        await context.close()
