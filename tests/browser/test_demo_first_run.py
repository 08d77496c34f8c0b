"""The demo page offers the sample clips only when the build has them.

A first run where ffmpeg could not be installed builds no clips: the page must then
offer none (a pre-selected sample fails with "media error 4") and ask for a video
URL; with clips, it offers exactly those its manifest (/media/clips.json, written by
scripts/build_web.sh) lists, and pre-selects the first.
"""

from __future__ import annotations

import json

import pytest
from browser_support import ARTIFACTS
from support import running_server

from socialsync.app import DEFAULT_WEB_DIR

pytestmark = pytest.mark.browser


def web_dir(tmp_path, clips: dict | None):
    """A copy of the built web client (links to it), with the given clips manifest, or no media at all."""
    web = tmp_path / "web"
    web.mkdir()
    for section in ("sdk", "widget", "demo", "moderation"):
        if (DEFAULT_WEB_DIR / section).is_dir():
            (web / section).symlink_to(DEFAULT_WEB_DIR / section)
    if clips is not None:
        (web / "media").mkdir()
        (web / "media" / "clips.json").write_text(json.dumps(clips))
        for clip in clips.values():
            (web / clip["url"].lstrip("/")).write_bytes(b"\0")
    return web


async def open_setup(browser, url: str):
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(url)
    # Until the manifest is read, the chooser has no data-samples.
    await page.wait_for_function("() => document.getElementById('media-choice').dataset.samples")
    return context, page, errors


async def test_without_sample_clips_the_page_offers_none_and_asks_for_a_url(browser, tmp_path):
    async with running_server(tmp_path, web_dir=str(web_dir(tmp_path, None))) as server:
        context, page, errors = await open_setup(browser, f"{server.url}/")
        try:
            assert await page.get_attribute("#media-choice", "data-samples") == "none"
            assert not await page.is_visible("#media-mp4")
            assert not await page.is_visible("#media-hls")
            assert await page.is_checked("#media-url-choice")
            assert await page.is_visible("#media-url")
            assert "no sample clips" in await page.inner_text("#media-note")
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "demo-no-samples.png"))

            # Starting without a URL asks for one instead of making a party that cannot play.
            await page.fill("#name", "Ada")
            await page.click("#start")
            await page.wait_for_function("() => document.getElementById('error').textContent !== ''")
            assert "http" in await page.inner_text("#error")
            assert await page.evaluate("() => document.body.dataset.state") == "setup"
            assert errors == []
        finally:
            await context.close()


async def test_with_sample_clips_the_page_offers_exactly_those(browser, tmp_path):
    clips = {"mp4": {"url": "/media/clip.mp4", "duration": 60}}  # the HLS one failed to build
    async with running_server(tmp_path, web_dir=str(web_dir(tmp_path, clips))) as server:
        context, page, errors = await open_setup(browser, f"{server.url}/")
        try:
            assert await page.get_attribute("#media-choice", "data-samples") == "mp4"
            assert await page.is_visible("#media-mp4")
            assert await page.is_checked("#media-mp4")
            assert not await page.is_visible("#media-hls")
            assert not await page.is_visible("#media-url")  # shown once "Paste a URL" is chosen
            assert not await page.is_visible("#media-note")
            await page.check("#media-url-choice")
            assert await page.is_visible("#media-url")
            assert errors == []
        finally:
            await context.close()
