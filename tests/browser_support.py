"""Helpers of the browser tests (imported by name: every test folder has a conftest,
so ``from conftest import`` would find whichever was imported first)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import aiohttp
from support import Server

from socialsync.app import DEFAULT_WEB_DIR, STORE
from socialsync.edge.auth import issue_token

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


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
