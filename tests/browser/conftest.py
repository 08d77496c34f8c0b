"""Real headless Chromium (Debian's, driven by Playwright) against a real server.

Chromium missing: under CI=true the browser tests fail; elsewhere they are skipped
with the reason. The web client must be built (scripts/test.sh does it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from browser_support import Member
from support import Server, running_server

from socialsync.app import DEFAULT_WEB_DIR

CHROMIUM = os.environ.get("SOCIALSYNC_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    # Background tabs must keep their timers at full speed: every member is a tab.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _check_prerequisites() -> None:
    _require(Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None, f"no Chromium at {CHROMIUM}")
    built = (DEFAULT_WEB_DIR / "demo" / "index.html").is_file()
    _require(built, "web client not built (scripts/build_web.sh)")


@pytest.fixture
async def browser():
    _check_prerequisites()
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def web_server(tmp_path) -> AsyncIterator[Server]:
    async with running_server(tmp_path, leave_grace_ms=3_000, buffer_timeout_ms=8_000) as server:
        yield server


@pytest.fixture
async def join(browser, web_server):
    """join(party_id, name) -> a Member whose page has joined through the widget."""
    members: list[Member] = []

    async def make(party_id: str, name: str, viewport=(1280, 720)) -> Member:
        context = await browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        page = await context.new_page()
        member = Member(name, context, page)
        members.append(member)
        await page.goto(f"{web_server.url}/?party={party_id}&name={name}")
        await page.wait_for_function("() => document.body.dataset.state === 'joined'", timeout=15_000)
        return member

    yield make
    for member in members:
        await member.context.close()


CAMERA_ARGS = [
    # Fake camera (640x480, 20 fps) and microphone (a tone), no permission prompt,
    # and ICE candidates on 127.0.0.1 (the test server's relay listens there only).
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]


@pytest.fixture
async def camera_browser():
    """A Chromium with fake camera and microphone devices, for WebRTC on loopback."""
    _check_prerequisites()
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, args=LAUNCH_ARGS + CAMERA_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()
