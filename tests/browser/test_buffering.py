"""A member whose player really stalls makes the party wait; then everyone resumes together.

A real stall is one that lasts (the server's stall threshold, 1 s, after the SDK's
300 ms): the moment of buffering every seek costs makes nobody wait (see
test_sync_network.py, which counts the waiting states of eight commands: none)."""

from __future__ import annotations

import asyncio

import pytest
from browser_support import create_party

pytestmark = pytest.mark.browser

STALL_S = 3.0
# The segment of 40-42 s (where A seeks, and where the party then waits), asked for by
# B in this window after the seek, takes STALL_S to come. Only that one: the next ones
# come at once, so that B does not stall again after the resume.
SLOW_WINDOW_S = 2.5
SLOW_SEGMENT = "**/media/hls/seg020.ts"


async def test_a_stalled_member_makes_the_party_wait_and_all_resume_together(web_server, join):
    party_id = await create_party(web_server, "/media/hls/clip.m3u8", wait_for_buffering=True)
    a = await join(party_id, "Steady")
    b = await join(party_id, "Stalling")
    await asyncio.gather(
        *(
            m.page.wait_for_function("() => window.socialsyncDemo.video.readyState >= 2", timeout=10_000)
            for m in (a, b)
        )
    )
    await a.page.evaluate("window.socialsyncDemo.video.play()")
    await asyncio.sleep(2)

    loop = asyncio.get_running_loop()
    slow_until = loop.time() + SLOW_WINDOW_S

    async def slow_segments(route):
        # Asked for in the slow window: it takes STALL_S to come.
        if loop.time() < slow_until:
            await asyncio.sleep(STALL_S)
        await route.continue_()

    await b.context.route(SLOW_SEGMENT, slow_segments)
    await a.page.evaluate("window.socialsyncDemo.video.currentTime = 40")

    # The party waits for B...
    await a.page.wait_for_function(
        "() => window.socialsyncDemo.party.playback.status === 'waiting'", timeout=5_000
    )
    waiting_at = await a.server_now()
    waiting = await a.page.evaluate("window.socialsyncDemo.party.playback")
    # Where the party had got to when the stall had lasted: a little past 40.
    assert 40 <= waiting["position"] < 42, waiting
    await asyncio.sleep(1.0)
    held = await a.sample(await a.server_now() + 50)
    assert held["paused"], "the steady member must hold while the party waits"
    assert abs(held["pos"] - waiting["position"]) < 0.05, (held, waiting)

    # ...and resumes once B has its data: both play, together.
    await a.page.wait_for_function(
        "() => window.socialsyncDemo.party.playback.status === 'playing'", timeout=10_000
    )
    resumed = await a.page.evaluate("window.socialsyncDemo.party.playback")
    assert resumed["at"] - waiting_at >= (STALL_S - 1.5) * 1000, "resumed before the stalled member was ready"
    check_at = resumed["at"] + 2_000
    sa, sb = await asyncio.gather(a.sample(check_at), b.sample(check_at))
    assert not sa["paused"] and not sb["paused"], (sa, sb)
    assert abs(sa["pos"] - sb["pos"]) <= 0.080, (sa, sb)
    await b.context.unroute(SLOW_SEGMENT)
