"""The one-tag embed (/embed/socialsync.js) on a platform's page of another origin, under
a CSP without inline script: its attributes, guests, a refused token URL, and deep
links (`?invite=` and `?t=`: a party that has not started starts at that moment; one
that has is followed as it is)."""

from __future__ import annotations

import html
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web
from browser_support import ARTIFACTS, Member, create_party
from services import unavailable
from support import Server, free_port

from socialsync.app import DEFAULT_WEB_DIR, STORE
from socialsync.edge.auth import issue_token

pytestmark = pytest.mark.browser

STATE = "() => document.querySelector('.socialsync-embed')?.dataset.state"
JOINED = f"() => ({STATE})() === 'joined'"


def csp(server: str) -> str:
    sockets = server.replace("http", "ws", 1)
    return (
        f"default-src 'self'; script-src 'self' {server}; style-src 'self' {server}; "
        f"connect-src 'self' {server} {sockets}; img-src 'self' data: {server}; media-src 'self' {server}; "
        "object-src 'none'; base-uri 'none'"
    )


@asynccontextmanager
async def platform_page(server: Server, attrs: dict[str, str]) -> AsyncIterator[str]:
    """A platform's page on an origin of its own: a player and the script tag, nothing
    inline. `/token` refuses (nobody is signed in on this platform)."""
    tag_attrs = " ".join(f'{k}="{html.escape(v)}"' for k, v in attrs.items())
    text = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Film night</title></head>
<body><div id="stage">
<video id="video" src="{server.url}/media/clip.mp4" controls muted playsinline></video></div>
<script src="{server.url}/embed/socialsync.js" {tag_attrs} defer></script></body></html>"""

    async def watch(request: web.Request) -> web.Response:
        return web.Response(
            text=text, content_type="text/html", headers={"Content-Security-Policy": csp(server.url)}
        )

    async def token(request: web.Request) -> web.Response:
        return web.json_response({"error": "sign in"}, status=401)

    async def no_icon(request: web.Request) -> web.Response:
        return web.Response(status=204)

    app = web.Application()
    app.add_routes([web.get("/watch", watch), web.get("/token", token), web.get("/favicon.ico", no_icon)])
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/watch"
    finally:
        await runner.cleanup()


async def open_page(browser, name: str, url: str) -> Member:
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    member = Member(name, context, await context.new_page())
    await member.page.goto(url)
    return member


async def invite(server: Server, party: str, **body: object) -> str:
    tenant = await server.app[STORE].get_tenant("demo")
    token = issue_token(tenant, "staff", "Staff", ["admin"], 60, int(time.time()))
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{server.url}/api/v1/parties/{party}/invites",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        ) as r:
            assert r.status == 201, await r.text()
            return str((await r.json())["code"])


async def playback(member: Member) -> dict:
    return await member.page.evaluate(
        """async () => {
            const {party} = await SocialSyncEmbed.instances[0].ready;
            return {position: party.playback.position, seq: party.playback.seq, status: party.playback.status,
                    video: document.getElementById('video').currentTime};
        }"""
    )


async def test_embed_guests_deep_links_and_attributes_under_strict_csp(browser, web_server) -> None:
    if not (DEFAULT_WEB_DIR / "media" / "clip.mp4").is_file():
        unavailable("no sample clip (ffmpeg missing when the web client was built)")
    party = await create_party(web_server)
    code = await invite(web_server, party)
    attrs = {
        "data-player": "#video",
        "data-guest": "",
        "data-tenant": "demo",
        "data-locale": "fr",
        "data-tv": "",
    }
    members: list[Member] = []
    async with platform_page(web_server, attrs) as page_url:
        try:
            # A guest opens the invite link with a moment: asked a name, joins by the code,
            # and the party, not started yet, starts there (paused at 12.5 s).
            ana = await open_page(browser, "Ana", f"{page_url}?invite={code}&t=12.5")
            members.append(ana)
            await ana.page.wait_for_function(f"() => ({STATE})() === 'name'")
            assert await ana.page.inner_text(".socialsync-embed-button") == "Rejoindre la séance"
            await ana.page.fill(".socialsync-embed-input", "Ana")
            await ana.page.click(".socialsync-embed-button")
            await ana.page.wait_for_function(JOINED, timeout=15_000)
            state = await playback(ana)
            assert (state["position"], state["seq"], state["status"]) == (12.5, 1, "paused"), state
            await ana.page.wait_for_function(
                "() => Math.abs(document.getElementById('video').currentTime - 12.5) < 0.1", timeout=10_000
            )
            # The attributes reached the widget: French, TV mode, the page's link to invite with.
            widget = ana.page.locator(".ssw")
            assert await widget.get_attribute("lang") == "fr"
            assert "ssw-tv" in (await widget.get_attribute("class") or "")
            assert await ana.page.input_value(".ssw-invite-link") == f"{page_url}?invite={code}"
            await ana.page.screenshot(path=str(ARTIFACTS / "embed-deep-link.png"))

            # A second link with another moment, once the party has started: followed as it is.
            ben = await open_page(browser, "Ben", f"{page_url}?party={party}&t=40")
            members.append(ben)
            await ben.page.fill(".socialsync-embed-input", "Ben")
            await ben.page.click(".socialsync-embed-button")
            await ben.page.wait_for_function(JOINED, timeout=15_000)
            state = await playback(ben)
            assert (state["position"], state["seq"]) == (12.5, 1), state

            for member in members:
                assert member.console_errors == [], member.console_errors
        finally:
            for member in members:
                await member.context.close()

    # No party in the link and no backend to make one: the guest starts it over the socket
    # with the player's media, and the address bar becomes the party's link.
    async with platform_page(web_server, {"data-player": "#video", "data-guest": "Dee"}) as page_url:
        dee = await open_page(browser, "Dee", page_url)
        try:
            await dee.page.wait_for_function(f"() => ({STATE})() === 'start'")
            await dee.page.click(".socialsync-embed-button")
            await dee.page.wait_for_function(JOINED, timeout=15_000)
            info = await dee.page.evaluate(
                "async () => (await SocialSyncEmbed.instances[0].ready).party.info"
            )
            assert info["media"]["url"] == f"{web_server.url}/media/clip.mp4"
            assert (info["title"], info["media"]["duration"]) == ("Film night", 60)
            assert dee.page.url == f"{page_url}?party={info['id']}"
            # A link to a party that is no more: said in words, and a way to start another.
            await dee.page.goto(f"{page_url}?party=no-such-party&t=5")
            await dee.page.wait_for_function(f"() => ({STATE})() === 'error'", timeout=10_000)
            assert "does not exist" in await dee.page.inner_text(".socialsync-embed-message")
            assert await dee.page.get_attribute("a.socialsync-embed-button", "href") == page_url
            assert dee.console_errors == [], dee.console_errors
        finally:
            await dee.context.close()

    # A platform's token URL that refuses (nobody signed in): the embed says so, and
    # joins nothing.
    attrs = {"data-player": "#video", "data-token-url": "/token", "data-party": party}
    async with platform_page(web_server, attrs) as page_url:
        cy = await open_page(browser, "Cy", page_url)
        try:
            await cy.page.wait_for_function(f"() => ({STATE})() === 'signin'", timeout=10_000)
            assert "Sign in" in await cy.page.inner_text(".socialsync-embed-message")
            assert [e for e in cy.console_errors if "401" not in e] == []
        finally:
            await cy.context.close()
