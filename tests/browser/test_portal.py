"""The example IPTV portal (examples/portal/) end to end, as a platform would run it: a
real SocialSync server, a tenant and an API key made with the CLI, the portal's backend
(the Python platform SDK) in this process, and two people in Chromium.

A viewer signs in, starts a party on a film's page through the one-tag embed, a second
viewer (another browser context) opens the invite link, both players play in step, and
the portal receives verified `party.created` and `member.joined` webhooks. The pages
carry a CSP without inline script; a violation fails the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import io
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from browser_support import ARTIFACTS, Member
from services import unavailable
from support import Server, free_port

from socialsync import cli
from socialsync.app import DEFAULT_WEB_DIR

pytestmark = pytest.mark.browser

PORTAL = Path(__file__).resolve().parents[2] / "examples" / "portal" / "portal.py"
JOINED = "() => document.querySelector('.socialsync-embed')?.dataset.state === 'joined'"
PLAYING = "() => { const v = document.getElementById('player'); return !v.paused && v.currentTime > 0.5; }"


def load_portal() -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_portal", PORTAL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def run_cli(*argv: str) -> str:
    """`socialsync ...` as run.sh runs it (in a thread: the CLI runs its own event loop)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(list(argv)) == 0
    return out.getvalue()


def field(output: str, label: str) -> str:
    return next(line.split(":", 1)[1].strip() for line in output.splitlines() if line.startswith(label))


@contextlib.asynccontextmanager
async def running_portal(server: Server) -> AsyncIterator[tuple[str, object]]:
    """The portal on a free port, with a tenant and API key of its own (the CLI, as run.sh)."""
    database = ["--database-url", server.config.database_url]
    tenant = field(await asyncio.to_thread(run_cli, "tenant", "create", "Portal TV", *database), "tenant id")
    made = await asyncio.to_thread(
        run_cli, "apikey", "create", "--tenant", tenant, "--name", "Portal TV backend",
        "--scope", "parties:write", "--scope", "webhooks:admin", *database,
    )  # fmt: skip
    portal = load_portal()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = portal.make_app(
        portal.Settings(server.url, field(made, "api key"), url, DEFAULT_WEB_DIR / "media" / "clip.mp4")
    )
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield url, app[portal.STATE]
    finally:
        await runner.cleanup()


async def person(browser, name: str) -> Member:
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    return Member(name, context, await context.new_page())


async def sign_in_at(member: Member, url: str, screenshot: str | None = None) -> None:
    """Open a portal page that wants a signed-in user: the sign-in form, then back."""
    await member.page.goto(url)
    if screenshot:
        await member.page.screenshot(path=str(ARTIFACTS / screenshot))
    await member.page.fill("#name", member.name)
    await member.page.click("main button[type=submit]")
    await member.page.wait_for_url(lambda u: "/signin" not in u)


async def position_at(member: Member, at_ms: float) -> float:
    """The page's video position at wall-clock time `at_ms` (both contexts share this
    machine's clock): measured on the element, not asked of the SDK."""
    return await member.page.evaluate(
        """async (at) => {
            const now = () => performance.timeOrigin + performance.now();
            const wait = at - now();
            if (wait > 8) await new Promise(r => setTimeout(r, wait - 8));
            while (now() < at) {}
            const v = document.getElementById('player'), late = now() - at;
            return v.currentTime - (v.paused ? 0 : v.playbackRate * late / 1000);
        }""",
        at_ms,
    )


def csp_violations(member: Member) -> list[str]:
    return [e for e in member.console_errors if "Content Security Policy" in e or "Refused to" in e]


async def test_portal_party_by_invite_link_plays_in_sync_and_webhooks_arrive(browser, web_server) -> None:
    if not (DEFAULT_WEB_DIR / "media" / "clip.mp4").is_file():
        unavailable("no sample clip (ffmpeg missing when the web client was built)")
    if not (DEFAULT_WEB_DIR / "embed" / "socialsync.js").is_file():
        pytest.fail("the embed is not built (web_client/build.mjs)")
    ARTIFACTS.mkdir(exist_ok=True)
    async with running_portal(web_server) as (portal_url, state):
        ada, grace = await person(browser, "Ada"), await person(browser, "Grace")
        try:
            # Ada opens a film, signs in, and starts a watch party from the embed.
            await sign_in_at(ada, f"{portal_url}/watch/test-pattern", "portal-signin.png")
            await ada.page.wait_for_function(
                "() => document.querySelector('.socialsync-embed')?.dataset.state === 'start'"
            )
            await ada.page.screenshot(path=str(ARTIFACTS / "portal-vod-start.png"))
            await ada.page.click(".socialsync-embed-button")
            await ada.page.wait_for_function(JOINED, timeout=15_000)
            # Her address bar and the widget's Invite link are this page with the invite's code.
            invite_link = await ada.page.input_value(".ssw-invite-link")
            assert invite_link == ada.page.url
            assert urlsplit(invite_link).path == "/watch/test-pattern"
            code = parse_qs(urlsplit(invite_link).query)["invite"][0]

            # Grace opens the link, signs in, and is in the same party.
            await sign_in_at(grace, invite_link)
            await grace.page.wait_for_function(JOINED, timeout=15_000)
            assert parse_qs(urlsplit(grace.page.url).query)["invite"] == [code]
            party_id = await ada.page.evaluate(
                "async () => (await SocialSyncEmbed.instances[0].ready).party.id"
            )
            assert (
                await grace.page.evaluate("async () => (await SocialSyncEmbed.instances[0].ready).party.id")
                == party_id
            )
            await grace.page.wait_for_function(
                "() => [...document.querySelectorAll('.ssw-member')].length === 2", timeout=10_000
            )

            # Ada presses play on her own player: both play, in step.
            for member in (ada, grace):
                await member.page.wait_for_function("() => document.getElementById('player').readyState >= 3")
            await ada.page.evaluate("() => document.getElementById('player').play()")
            for member in (ada, grace):
                await member.page.wait_for_function(PLAYING, timeout=10_000)
            errors = []
            for _ in range(3):
                at = time.time() * 1000 + 400
                a, g = await asyncio.gather(position_at(ada, at), position_at(grace, at))
                errors.append(abs(a - g))
            (ARTIFACTS / "portal-sync.json").write_text(json.dumps({"apart_s": errors}))
            assert max(errors) < 0.5, f"players apart by {errors} s"

            # The portal's backend got the verified webhooks of this party.
            deadline = time.monotonic() + 15

            def of_party() -> list:
                return [w for w in state.webhooks if w.event["data"].get("party_id") == party_id]

            while time.monotonic() < deadline:
                joined = {w.event["data"]["user"]["name"] for w in of_party() if w.type == "member.joined"}
                if joined == {"Ada", "Grace"} and any(w.type == "party.created" for w in of_party()):
                    break
                await asyncio.sleep(0.2)
            types = sorted(w.type for w in of_party())
            assert "party.created" in types, types
            assert joined == {"Ada", "Grace"}, types
            assert len({w.webhook_id for w in state.webhooks}) == len(state.webhooks)

            await ada.page.screenshot(path=str(ARTIFACTS / "portal-vod-host.png"))
            await grace.page.screenshot(path=str(ARTIFACTS / "portal-vod-invited.png"))
            admin = await ada.context.new_page()
            await admin.goto(f"{portal_url}/admin")
            table = await admin.inner_text("table.log")
            assert "member.joined" in table and "party.created" in table and "user Grace" in table
            await admin.screenshot(path=str(ARTIFACTS / "portal-admin.png"), full_page=True)

            # A live channel: its commentary room, the player left to play on its own.
            await grace.page.goto(f"{portal_url}/channel/news")
            await grace.page.wait_for_function(JOINED, timeout=15_000)
            assert (
                await grace.page.evaluate("async () => (await SocialSyncEmbed.instances[0].ready).engine")
                is None
            )
            assert await grace.page.locator(".ssw-invite-toggle").count() == 0  # data-invite="off"
            await grace.page.screenshot(path=str(ARTIFACTS / "portal-channel.png"))
            home = await grace.context.new_page()
            await home.goto(portal_url)
            await home.screenshot(path=str(ARTIFACTS / "portal-home.png"))

            for member in (ada, grace):
                assert csp_violations(member) == [], member.console_errors
                assert member.console_errors == [], member.console_errors
        finally:
            await ada.context.close()
            await grace.context.close()
