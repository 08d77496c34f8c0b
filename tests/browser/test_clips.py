"""Reaction clips in the widget, end to end: page A turns its (fake) camera on, records
a reaction while watching the demo video, and page B of the same party finds it in its
list and sees it play picture-in-picture when B's own playback reaches that moment,
the overlay's clip time following the content (clip time = content - clip media time).
And a clip reported from the widget reaches the moderation panel.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from browser_support import ARTIFACTS, Member, create_party
from playwright.async_api import expect
from support import Server, running_server
from test_cameras import open_member, turn_camera_on, uid  # noqa: F401 - open_member: a fixture
from test_moderation_panel import token_for, watch

from socialsync.sdk.client import SocialSyncClient
from socialsync.services.moderation import REPORTS_TO_HOLD

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
    await ada.page.wait_for_function("() => !document.querySelector('.ssw-clip-record').disabled")
    await ada.page.wait_for_function("() => window.socialsyncDemo.video.currentTime > 2", timeout=10_000)

    await record.click()
    await ada.page.wait_for_function(
        "() => document.querySelector('.ssw-clip-record').textContent.includes('s left')", timeout=5_000
    )
    assert await record.get_attribute("aria-pressed") == "true"
    await asyncio.sleep(3.0)
    await record.click()
    await ada.page.wait_for_function(
        "() => window.socialsyncDemo.party.clips.clips.size === 1", timeout=10_000
    )
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
        "() => { const v = document.querySelector('.ssw-clip-pip:not([hidden]) video');"
        " return v && v.currentTime > 0.5; }",
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
        "() => document.querySelector('.ssw-clip-pip:not([hidden]) video')?.paused === true", timeout=5_000
    )
    await control(bob, "seek", clip["media_time"] + clip["duration"] + 1.0)
    await bob.page.wait_for_function("() => document.querySelector('.ssw-clip-pip').hidden", timeout=5_000)
    assert ada.console_errors == [] and bob.console_errors == [], (ada.console_errors, bob.console_errors)


async def test_a_clip_reported_in_the_widget_reaches_the_panel_and_enough_reports_hold_it(
    clip_server,
    open_member,  # noqa: F811 - the fixture imported above
    camera_browser,
):
    party_id = await create_party(clip_server)
    ada = await open_member(clip_server, party_id, "Ada")
    bob = await open_member(clip_server, party_id, "Bob")
    await turn_camera_on(ada)
    await ada.page.wait_for_function("() => !document.querySelector('.ssw-clip-record').disabled")
    clip_id = await ada.page.evaluate(
        "async () => { const c = window.socialsyncDemo.party.clips; await c.start();"
        " await new Promise(r => setTimeout(r, 1500)); return (await c.stop()).id; }"
    )
    context = await camera_browser.new_context(viewport={"width": 1280, "height": 900})
    mod = Member("moderator", context, await context.new_page())
    token = await token_for(clip_server, "mod-1", "Moe", ["moderator"])
    await mod.page.goto(f"{clip_server.url}/moderation/index.html#token={token}")
    await watch(mod, party_id)
    await mod.page.get_by_role("tab", name="Reaction clips").click()
    in_panel = mod.page.locator(f"#clips-list .mp-clip[data-clip='{clip_id}']")
    await in_panel.wait_for()

    # Bob reports it as a person does: Report, a reason, Enter.
    in_widget = bob.page.locator(f".ssw-clip[data-clip='{clip_id}']")
    assert await ada.page.locator(f".ssw-clip[data-clip='{clip_id}'] .ssw-clip-report").count() == 0
    await in_widget.get_by_role("button", name="Report Ada's reaction").click()
    reason = in_widget.get_by_label("Why report this reaction from Ada?")
    await reason.fill("mocking the show's cast")
    await reason.press("Enter")
    await in_widget.locator(".ssw-hint", has_text="Reported").wait_for()
    await expect(in_panel.locator(".mp-badge-report")).to_have_text("1 report")
    await expect(in_panel.locator(".mp-report-list")).to_contain_text("Bob: mocking the show's cast")
    # The room list counts the room's clips beside its messages (mod.rooms, on a refresh).
    room = mod.page.locator(f".mp-room-button[data-party='{party_id}']")
    await mod.page.locator("#rooms-refresh").click()
    await expect(room.locator("[data-count=clip_reports]")).to_have_text("1 clip report")
    # Counts of zero are not shown (issue 16: no "0 …" chips).
    await expect(room.locator("[data-count=held_clips]")).to_be_hidden()
    await expect(room.locator("[data-count=reports]")).to_be_hidden()

    others = [SocialSyncClient(clip_server.url, guest=f"Viewer {i}") for i in range(REPORTS_TO_HOLD - 1)]
    try:
        for viewer in others:
            await viewer.connect()
            await viewer.join(party_id)
            await viewer.request("clip.report", {"party": party_id, "id": clip_id, "reason": "rude"})
    finally:
        for viewer in others:
            await viewer.close()
    # Held: gone from Bob's list, its author's says so, the panel has it first in line.
    await in_widget.wait_for(state="detached", timeout=5_000)
    badge = ada.page.locator(f".ssw-clip[data-clip='{clip_id}'] .ssw-clip-badge")
    await expect(badge).to_have_text("waiting for review")
    await expect(in_panel.locator(".mp-badge-held")).to_have_text("held after reports")
    await expect(in_panel.locator(".mp-badge-report")).to_have_text(f"{REPORTS_TO_HOLD} reports")
    await expect(mod.page.locator("#clips-count")).to_have_text("1")
    # The watched room's held clips reach its row at once, as its held messages do.
    await expect(room.locator("[data-count=held_clips]")).to_have_text("1 held clip")
    await mod.page.locator("#rooms-refresh").click()
    await expect(room.locator("[data-count=clip_reports]")).to_be_hidden()
    await expect(room.locator("[data-count=held_clips]")).to_have_text("1 held clip")
    ARTIFACTS.mkdir(exist_ok=True)
    await mod.page.screenshot(path=str(ARTIFACTS / "moderation-clip-reports.png"), full_page=True)

    await in_panel.get_by_role("button", name="Approve").click()
    await in_widget.wait_for(timeout=5_000)
    await expect(mod.page.locator("#clips-count")).to_have_text("0")
    await expect(room.locator("[data-count=held_clips]")).to_be_hidden()
    await expect(room.locator(".mp-room-calm")).to_have_text("Nothing to review")
    for m in (ada, bob, mod):
        assert m.console_errors == [], (m.name, m.console_errors)
    await context.close()
