"""web_client/README.md, run as written: its code blocks are extracted and run in
Chromium against a real server. The embed example (```html) runs on a platform's page
of another origin with its placeholders filled (the server's URL, a viewer's token, a
party's id) and must end with the player attached and the widget up; the guest variant
too. The `PlayerAdapter` block (```ts) must name what `MediaElementPlayer` has. The table
of served URLs, and the globals and the ES module it and the API section name, are
checked as they say."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from browser_support import Member, create_party
from support import free_port

from socialsync.app import STORE
from socialsync.edge.auth import issue_token

pytestmark = pytest.mark.browser

README = Path(__file__).resolve().parents[2] / "web_client" / "README.md"
EXAMPLE_HOST = "https://sync.example.com"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.S)


@contextlib.asynccontextmanager
async def platform_site(tmp_path) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """The platform's own web server (another origin than SocialSync's): it serves
    ``pages[path]``, with no CSP of ours."""
    pages: dict[str, str] = {}

    async def page(request: web.Request) -> web.Response:
        body = pages.get(request.path)
        if body is None:
            return web.Response(status=204)  # its favicon
        return web.Response(text=f"<!doctype html><html><body>{body}</body></html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/{name}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}", pages
    finally:
        await runner.cleanup()


async def open_page(browser, url: str) -> Member:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    member = Member("platform", context, page)
    await page.goto(url)
    return member


async def test_the_embed_example_runs_as_written(browser, web_server, tmp_path):
    (example,) = blocks("html")
    party_id = await create_party(web_server)
    tenant = await web_server.app[STORE].get_tenant("demo")
    viewer = issue_token(tenant, "viewer-1", "Vera", ["viewer"], 600, int(time.time()))
    # The guest line of the README, in place of the token.
    guest = re.search(r"Guests \(on tenants that allow them\): `auth: (\{[^`]*\})`", README.read_text())
    assert guest is not None, "the README's guest variant"
    opened: list[Member] = []
    async with platform_site(tmp_path) as (site, pages):
        for n, auth in enumerate((f"{{ token: {json.dumps(viewer)} }}", guest.group(1))):
            body = example.replace(EXAMPLE_HOST, web_server.url).replace("PARTY_ID", json.dumps(party_id))
            body = body.replace("{ token: VIEWER_TOKEN }", auth)
            assert "VIEWER_TOKEN" not in body and EXAMPLE_HOST not in body
            pages[f"/watch{n}"] = body
            m = await open_page(browser, f"{site}/watch{n}")
            opened.append(m)
            page = m.page
            # The widget is up in #social, the player follows the party.
            await page.locator("#social .ssw .ssw-title", has_text="Browser party").wait_for(timeout=15_000)
            src = await page.evaluate("() => document.getElementById('video').currentSrc")
            assert src.endswith("/media/clip.mp4"), src
            await page.locator(".ssw-member").first.wait_for()
            # The player is attached: a play from the page's own player reaches the party.
            await page.evaluate("() => document.getElementById('video').play()")
            async with aiohttp.ClientSession() as http:
                for _ in range(50):
                    async with http.get(
                        f"{web_server.url}/api/v1/parties/{party_id}",
                        headers={"Authorization": f"Bearer {viewer}"},
                    ) as r:
                        status = (await r.json())["playback"]["status"]
                    if status != "paused":
                        break
                    await page.wait_for_timeout(100)
            assert status in ("playing", "waiting"), status
            await page.evaluate("() => document.getElementById('video').pause()")
            assert m.console_errors == [], m.console_errors
            await m.context.close()
            opened.remove(m)
    for m in opened:
        await m.context.close()


async def test_the_globals_urls_and_player_interface_are_as_documented(browser, web_server, tmp_path):
    text = README.read_text()
    (adapter,) = blocks("ts")
    # Every member of the README's PlayerAdapter, and each event it names.
    required = re.findall(r"^\s{2}(\w+)\(", adapter, re.M)
    optional = re.findall(r"^\s{2}(\w+)\?\(", adapter, re.M)
    events = re.findall(r'"(\w+)"', adapter.split("on(event:")[1].split(")")[0])
    assert {"position", "play", "seek", "on"} <= set(required) and "inAd" in optional, adapter
    assert {"play", "adstart", "adend"} <= set(events)

    # The URL table: each path is served.
    paths = re.findall(r"^\| `(/[^`]+)`(?:, `(/[^`]+)`)? \|", text, re.M)
    served = [p for pair in paths for p in pair if p]
    assert "/sdk/socialsync.js" in served and "/widget/socialsync-widget.css" in served, served
    async with aiohttp.ClientSession() as http:
        for path in served:
            async with http.get(web_server.url + path) as r:
                assert r.status == 200, path

    async with platform_site(tmp_path) as (site, pages):
        pages["/sdk"] = f'<script src="{web_server.url}/sdk/socialsync.js"></script><video id="v"></video>'
        m = await open_page(browser, f"{site}/sdk")
        await check_globals(m, web_server.url, required, optional, events)

    # The ES module, on a page of the server's own origin (the README: another site
    # bundles its own copy; browsers load a module from another origin only with CORS).
    m = await open_page(browser, f"{web_server.url}/")
    try:
        esm = await m.page.evaluate(
            "async () => { const sdk = await import('/sdk/socialsync.esm.js');"
            " return [typeof sdk.SocialSync.connect, typeof sdk.MediaElementPlayer]; }"
        )
        assert esm == ["function", "function"], esm
    finally:
        await m.context.close()


async def check_globals(
    m: Member, base: str, required: list[str], optional: list[str], events: list[str]
) -> None:
    try:
        page = m.page
        found = await page.evaluate(
            """async ([required, optional, events]) => {
                const player = new SocialSync.MediaElementPlayer(document.getElementById('v'));
                const unsubscribe = events.map((e) => typeof player.on(e, () => {}));
                return {
                    classic: typeof SocialSync.SocialSync.connect, globalConnect: typeof SocialSync.connect,
                    missing: required.filter((name) => typeof player[name] !== 'function'),
                    optional: optional.filter((name) => typeof player[name] === 'function'),
                    unsubscribe: [...new Set(unsubscribe)],
                };
            }""",
            [required, optional, events],
        )
        # "with the classic script `SocialSync.SocialSync.connect(...)`"; the namespace
        # itself has no connect.
        assert found["classic"] == "function", found
        assert found["globalConnect"] == "undefined", found
        assert found["missing"] == [], found
        assert {"seeking", "load", "currentUrl", "inAd", "liveEdge"} <= set(found["optional"]), found
        assert found["unsubscribe"] == ["function"], found
        # The widget bundle's global: the SDK's exports and the widget's.
        await page.add_script_tag(url=f"{base}/widget/socialsync-widget.js")
        kinds = await page.evaluate(
            "() => [typeof SocialSyncWidget.SocialSync.connect, typeof SocialSyncWidget.mountWidget,"
            " typeof SocialSyncWidget.MediaElementPlayer]"
        )
        assert kinds == ["function", "function", "function"], kinds
        assert m.console_errors == [], m.console_errors
    finally:
        await m.context.close()
