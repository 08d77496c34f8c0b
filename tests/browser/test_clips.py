"""Reaction clips in the widget, end to end: page A turns its (fake) camera on, records
a reaction while watching the demo video, and page B of the same party finds it in its
list and sees it play picture-in-picture when B's own playback reaches that moment,
the overlay's clip time following the content (clip time = content - clip media time).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from browser_support import ARTIFACTS, create_party
from support import Server, running_server
from test_cameras import open_member, turn_camera_on, uid  # noqa: F401 - open_member: a fixture

pytestmark = pytest.mark.browser

# Content time and the overlay clip's time, read in one go.
SAMPLE = """
() => {
  const pip = document.querySelector('.ssw-clip-pip:not([hidden]) video');
  const content = window.socialsyncDemo.video;
  if (!pip) return null;
  return {content: content.currentTime, clip: pip.currentTime, paused: pip.paused,
          ready: pip.readyState, clipId: pip.closest('.ssw-clip-pip').dataset.clip};
}
"""


@pytest.fixture
async def clip_server(tmp_path) -> AsyncIterator[Server]:
    async with running_server(tmp_path, leave_grace_ms=1_000, clip_dir=str(tmp_path / "clips")) as server:
        yield server


async def control(member, action: str, position: float | None = None) -> None:
    await member.page.evaluate(
        "([a, p]) => window.socialsyncDemo.party.control(a, p === null ? {} : {position: p})",
        [action, position],
    )


async def test_a_clip_recorded_in_one_page_plays_in_another_at_its_media_time(
    clip_server,
    open_member,  # noqa: F811 - the fixture imported above
):
    party_id = await create_party(clip_server)
    ada = await open_member(clip_server, party_id, "Ada")
    bob = await open_member(clip_server, party_id, "Bob")
    record = ada.page.locator(".ssw-clip-record")
    assert await record.is_disabled(), "no camera, no recording"
    assert await ada.page.evaluate("window.gumCalls") == 0
    await control(ada, "play")
    await turn_camera_on(ada)
    await ada.page.wait_for_function("!document.querySelector('.ssw-clip-record').disabled")
    await ada.page.wait_for_function("window.socialsyncDemo.video.currentTime > 2", timeout=10_000)

    await record.click()
    await ada.page.wait_for_function(
        "document.querySelector('.ssw-clip-record').textContent.includes('s left')", timeout=5_000
    )
    assert await record.get_attribute("aria-pressed") == "true"
    await asyncio.sleep(3.0)
    await record.click()
    await ada.page.wait_for_function("window.socialsyncDemo.party.clips.clips.size === 1", timeout=10_000)
    clip = await ada.page.evaluate("[...window.socialsyncDemo.party.clips.clips.values()][0]")
    assert clip["user"]["id"] == uid(ada) and 2.0 <= clip["duration"] <= 4.5, clip
    assert clip["mime_type"] == "video/webm"

    # Bob's list has it; his playback reaching its moment puts it over his video.
    await bob.page.wait_for_selector(f".ssw-clip[data-clip='{clip['id']}']", timeout=5_000)
    await control(bob, "pause")
    await control(bob, "seek", max(0.0, clip["media_time"] - 1.5))
    await bob.page.wait_for_timeout(500)
    assert await bob.page.evaluate(SAMPLE) is None, "not before its moment"
    await control(bob, "play")
    await bob.page.wait_for_function(
        "(() => { const v = document.querySelector('.ssw-clip-pip:not([hidden]) video');"
        " return v && v.currentTime > 0.5; })()",
        timeout=10_000,
    )
    samples = []
    for _ in range(5):
        samples.append(await bob.page.evaluate(SAMPLE))
        await bob.page.wait_for_timeout(250)
    ARTIFACTS.mkdir(exist_ok=True)
    await bob.page.screenshot(path=str(ARTIFACTS / "clips-pip.png"))
    assert all(s and s["clipId"] == clip["id"] and not s["paused"] for s in samples), samples
    assert samples[-1]["clip"] > samples[0]["clip"] + 0.5, samples
    for s in samples:
        expected = s["content"] - clip["media_time"]
        assert abs(s["clip"] - expected) < 0.4, (s, clip["media_time"])

    # The content pauses: so does the clip. Past its end it goes.
    await control(bob, "pause")
    await bob.page.wait_for_function(
        "document.querySelector('.ssw-clip-pip:not([hidden]) video')?.paused === true", timeout=5_000
    )
    await control(bob, "seek", clip["media_time"] + clip["duration"] + 1.0)
    await bob.page.wait_for_function("document.querySelector('.ssw-clip-pip').hidden", timeout=5_000)
    assert ada.console_errors == [] and bob.console_errors == [], (ada.console_errors, bob.console_errors)
