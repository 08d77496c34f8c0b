"""A member whose player stalls makes the party wait; then everyone resumes together."""

from __future__ import annotations

import asyncio

import pytest
from browser_support import create_party

pytestmark = pytest.mark.browser

STALL_S = 3.0


async def test_a_stalled_member_makes_the_party_wait_and_all_resume_together(web_server, join):
    party_id = await create_party(web_server, "/media/hls/clip.m3u8", wait_for_buffering=True)
    a = await join(party_id, "Steady")
    b = await join(party_id, "Stalling")
    await asyncio.gather(
        *(
            m.page.wait_for_function("window.socialsyncDemo.video.readyState >= 2", timeout=10_000)
            for m in (a, b)
        )
    )
    await a.page.evaluate("window.socialsyncDemo.video.play()")
    await asyncio.sleep(2)

    loop = asyncio.get_running_loop()
    slow_until = loop.time() + 1.0

    async def slow_segments(route):
        # The segments B asks for in the next second take STALL_S to come.
        if loop.time() < slow_until:
            await asyncio.sleep(STALL_S)
        await route.continue_()

    await b.context.route("**/media/hls/seg*.ts", slow_segments)
    await a.page.evaluate("window.socialsyncDemo.video.currentTime = 40")

    # The party waits for B...
    await a.page.wait_for_function("window.socialsyncDemo.party.playback.status === 'waiting'", timeout=5_000)
    waiting_at = await a.server_now()
    await asyncio.sleep(1.0)
    held = await a.sample(await a.server_now() + 50)
    assert held["paused"], "the steady member must hold while the party waits"
    assert abs(held["pos"] - 40) < 0.5, held

    # ...and resumes once B has its data: both play, together.
    await a.page.wait_for_function(
        "window.socialsyncDemo.party.playback.status === 'playing'", timeout=10_000
    )
    resumed = await a.page.evaluate("window.socialsyncDemo.party.playback")
    assert resumed["at"] - waiting_at >= (STALL_S - 1.5) * 1000, "resumed before the stalled member was ready"
    check_at = resumed["at"] + 2_000
    sa, sb = await asyncio.gather(a.sample(check_at), b.sample(check_at))
    assert not sa["paused"] and not sb["paused"], (sa, sb)
    assert abs(sa["pos"] - sb["pos"]) <= 0.080, (sa, sb)
    await b.context.unroute("**/media/hls/seg*.ts")
