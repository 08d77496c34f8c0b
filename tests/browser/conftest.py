"""Real headless Chromium (Debian's, driven by Playwright) against a real server.

Chromium missing: under CI=true the browser tests fail; elsewhere they are skipped
with the reason. The web client must be built (scripts/test.sh does it).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from support import Server, running_server

from socialsync.app import DEFAULT_WEB_DIR, STORE
from socialsync.auth import issue_token

CHROMIUM = os.environ.get("SOCIALSYNC_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
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


class Member:
    """One browser context (a person) on the demo page, with its console watched."""

    def __init__(self, name: str, context, page) -> None:
        self.name = name
        self.context = context
        self.page = page
        self.console_errors: list[str] = []
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))

    async def sample(self, at_ms: float) -> dict:
        """The video position at server time ``at_ms`` as this page sees it."""
        return await self.page.evaluate(
            """async (at) => {
                const d = window.socialsyncDemo;
                const wait = at - d.client.serverNow();
                if (wait > 8) await new Promise(r => setTimeout(r, wait - 8));
                while (d.client.serverNow() < at) {}
                const t = d.client.serverNow(), v = d.video;
                // A busy page may sample late: bring the position back to the instant asked for.
                const pos = v.currentTime - (v.paused ? 0 : v.playbackRate * (t - at) / 1000);
                return {t, late_ms: t - at, pos, paused: v.paused, rate: v.playbackRate,
                        seq: d.party.playback.seq};
            }""",
            at_ms,
        )

    async def server_now(self) -> float:
        return await self.page.evaluate("() => window.socialsyncDemo.client.serverNow()")


async def create_party(server: Server, media_path: str = "/media/clip.mp4", **settings) -> str:
    """A party made over REST by a backend, as a platform would; its first viewer hosts it."""
    tenant = await server.app[STORE].get_tenant("demo")
    token = issue_token(tenant, "platform", "Platform", ["viewer"], 60, int(time.time()))
    clips = json.loads((DEFAULT_WEB_DIR / "media" / "clips.json").read_text())
    duration = next(c["duration"] for c in clips.values() if c["url"] == media_path)
    body = {
        "title": "Browser party",
        "media": {"url": server.url + media_path, "kind": "vod", "duration": duration},
        "settings": settings,
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{server.url}/api/v1/parties", json=body, headers={"Authorization": f"Bearer {token}"}
        ) as r:
            assert r.status == 201, await r.text()
            return (await r.json())["party"]["id"]


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
        await page.wait_for_function("document.body.dataset.state === 'joined'", timeout=15_000)
        return member

    yield make
    for member in members:
        await member.context.close()
