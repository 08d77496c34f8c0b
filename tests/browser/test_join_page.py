"""A friend's join page, as it opens from an invite link (`/?invite=CODE`, `?party=ID`):
whose party, which show and its poster before joining, from what the server puts in the
page, and no more than the link's holder may know (never the party's id behind an
invite, nor the media's address); `?t=` starts a party that has not started there;
`?tenant=` is kept through the page's history (it selects the tenant's frame-ancestors)
and in the invite it shares; `?lang=ar` turns the page (and the widget) right to left.
axe-core finds nothing serious on the demo and join pages in English and in Arabic.
Screenshots: test-artifacts/demo-join-*.png."""

from __future__ import annotations

import html
import json
import re
import time

import aiohttp
import pytest
from browser_support import ARTIFACTS, Member
from test_a11y import axe, blocking

from socialsync.app import STORE
from socialsync.edge.auth import issue_token

pytestmark = pytest.mark.browser

SHOW = "Big Buck Bunny"
TITLE = "Friday <film> night"  # escaped into the page, shown as text
JOIN_META = re.compile(r'<meta name="socialsync:join" content="([^"]*)">')


async def token(server, user: str, name: str, role: str) -> str:
    tenant = await server.app[STORE].get_tenant("demo")
    return issue_token(tenant, user, name, [role], 600, int(time.time()))


async def rest(server, method: str, path: str, bearer: str, body: dict | None = None) -> dict:
    async with aiohttp.ClientSession() as http:
        async with http.request(
            method, server.url + path, json=body, headers={"Authorization": f"Bearer {bearer}"}
        ) as r:
            assert r.status in (200, 201), (r.status, await r.text())
            return await r.json()


async def page_html(server, query: str) -> str:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/?{query}") as r:
            assert r.status == 200
            return await r.text()


def join_meta(page: str) -> dict | None:
    found = JOIN_META.search(page)
    return json.loads(html.unescape(found.group(1))) if found else None


async def open_page(browser, url: str, viewport=(1280, 800)) -> Member:
    context = await browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = await context.new_page()
    member = Member(url, context, page)
    await page.goto(url)
    await page.wait_for_function("() => document.body.dataset.state !== 'loading'")
    return member


async def test_the_join_page_says_whose_party_and_which_show_before_joining(browser, web_server):
    server = web_server
    platform = await token(server, "platform", "Platform", "viewer")
    poster = f"{server.url}/og-image.png"
    media = {
        "url": f"{server.url}/media/clip.mp4",
        "kind": "vod",
        "title": SHOW,
        "poster": poster,
        "duration": 60,
    }
    party_id = (await rest(server, "POST", "/api/v1/parties", platform, {"title": TITLE, "media": media}))[
        "party"
    ]["id"]
    opened: list[Member] = []
    results: dict[str, list[dict]] = {}
    try:
        # Ana hosts (the first to join); a moderator makes an invite that starts at 0:30.
        ana = await open_page(browser, f"{server.url}/?party={party_id}&name=Ana")
        opened.append(ana)
        await ana.page.wait_for_function("() => document.body.dataset.state === 'joined'", timeout=15_000)
        moderator = await token(server, "mod-1", "Moe", "moderator")
        invite = await rest(server, "POST", f"/api/v1/parties/{party_id}/invites", moderator, {"t": 30})
        code = invite["code"]

        # What the server puts in the page: the title, the host's name, the show and its
        # poster; never the party's id behind an invite, nor the media's address.
        for query in (f"invite={code}", f"party={party_id}"):
            text = await page_html(server, query)
            assert join_meta(text) == {
                "title": TITLE,
                "type": "watch_party",
                "live": False,
                "host": "Ana",
                "show": SHOW,
                "poster": poster,
            }, query
            assert media["url"] not in text and "<film>" not in text
        assert party_id not in await page_html(server, f"invite={code}")
        assert join_meta(await page_html(server, "invite=unknown-code")) is None
        assert join_meta(await page_html(server, "")) is None

        # The friend's page, in English and in Arabic: the join card, before joining.
        for lang, invited in (("en", "Ana invites you to watch together"), ("ar", "يدعوك")):
            # The link as it was sent (it carries the invite's moment), opened on the tenant's page.
            assert invite["url"] == f"{server.url}/?invite={code}&t=30", invite
            friend = await open_page(browser, f"{invite['url']}&tenant=demo&lang={lang}")
            opened.append(friend)
            page = friend.page
            assert await page.evaluate(
                "() => [document.documentElement.lang, document.documentElement.dir]"
            ) == [
                lang,
                "rtl" if lang == "ar" else "ltr",
            ]
            assert invited in await page.inner_text("#join-invited")
            assert await page.inner_text("#join-title") == TITLE
            assert SHOW in await page.inner_text("#join-show")
            assert await page.is_visible("#join-from")  # "Starts at 0:30"
            await page.wait_for_function("() => document.getElementById('join-poster').naturalWidth > 0")
            assert await page.is_visible("#join-poster")
            assert not await page.is_visible("#media-choice")
            await page.screenshot(path=str(ARTIFACTS / f"demo-join-{lang}.png"))
            await axe(page, f"demo: join page ({lang})", results)
            # The start page too, in this language.
            start = await open_page(browser, f"{server.url}/?lang={lang}")
            opened.append(start)
            await start.page.wait_for_function(
                "() => document.getElementById('media-choice').dataset.samples"
            )
            await axe(start.page, f"demo: start page ({lang})", results)
            if lang == "ar":
                await start.page.screenshot(path=str(ARTIFACTS / "demo-start-ar.png"))

        # Ben joins by the invite: the party (not started yet) starts at the link's 0:30;
        # the address keeps the invite and the tenant, not the moment; the widget's one
        # invite shares the same code with the tenant.
        ben = opened[1]
        await ben.page.fill("#name", "Ben")
        await ben.page.click("#start")
        await ben.page.wait_for_function("() => document.body.dataset.state === 'joined'", timeout=15_000)
        playback = await ben.page.evaluate("() => window.socialsyncDemo.party.playback")
        assert playback["position"] == 30 and playback["seq"] == 1, playback
        query = await ben.page.evaluate("() => location.search")
        assert "invite=" + code in query and "tenant=demo" in query and not re.search(r"[?&]t=", query), query
        shared = await ben.page.input_value(".ssw-invite-link")
        assert shared.startswith(f"{server.url}/?invite={code}") and "tenant=demo" in shared, shared
        assert "lang=" not in shared
        assert await ben.page.locator(".ssw").get_attribute("lang") == "en"
        await ana.page.locator(".ssw-member", has_text="Ben").wait_for()
        # In Arabic, the page and the widget mirror.
        arabic = opened[3]
        await arabic.page.fill("#name", "Ben")
        await arabic.page.click("#start")
        await arabic.page.wait_for_function("() => document.body.dataset.state === 'joined'", timeout=15_000)
        assert await arabic.page.locator(".ssw").get_attribute("dir") == "rtl"
        await arabic.page.screenshot(path=str(ARTIFACTS / "demo-party-ar.png"))
        await axe(arabic.page, "demo: in a party (ar)", results)

        for m in opened:
            assert m.console_errors == [], (m.name, m.console_errors)
    finally:
        record = ARTIFACTS / "axe-results-demo.json"
        ARTIFACTS.mkdir(exist_ok=True)
        record.write_text(json.dumps(results, indent=1, ensure_ascii=False))
        for m in opened:
            await m.context.close()
    problems = {name: blocking(v) for name, v in results.items() if blocking(v)}
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


async def test_the_tenant_stays_in_the_address_and_a_used_up_invite_says_so(browser, web_server):
    server = web_server
    admin = await token(server, "admin-1", "Ada", "admin")
    await rest(server, "PUT", "/api/v1/tenant/settings", admin, {"frame_ancestors": ["https://tv.example"]})
    platform = await token(server, "platform", "Platform", "viewer")
    media = {"url": f"{server.url}/media/clip.mp4", "kind": "vod", "duration": 60}
    party_id = (await rest(server, "POST", "/api/v1/parties", platform, {"title": "Night", "media": media}))[
        "party"
    ]["id"]
    invite = await rest(server, "POST", f"/api/v1/parties/{party_id}/invites", admin, {"max_uses": 1})
    opened: list[Member] = []
    try:
        # Starting a party from the tenant's page: the address names it, with the tenant,
        # and a reload is served with the tenant's frame-ancestors.
        host = await open_page(browser, f"{server.url}/?tenant=demo&lang=fr")
        opened.append(host)
        await host.page.fill("#name", "Ana")
        await host.page.check("#media-url-choice")
        await host.page.fill("#media-url", f"{server.url}/media/clip.mp4")
        await host.page.click("#start")
        await host.page.wait_for_function("() => document.body.dataset.state === 'joined'", timeout=15_000)
        query = await host.page.evaluate("() => location.search")
        assert re.fullmatch(r"\?party=[\w-]+&tenant=demo&lang=fr", query), query
        response = await host.page.reload()
        assert response is not None
        assert "frame-ancestors https://tv.example" in response.headers["content-security-policy"]
        await host.page.wait_for_function("() => document.body.dataset.state === 'setup'")
        assert await host.page.inner_text("#start") == "Rejoindre la soirée"

        # An invite let one user in: the next one is told it is used up, in words.
        first = await open_page(browser, f"{server.url}/?invite={invite['code']}&name=Cy")
        opened.append(first)
        await first.page.wait_for_function("() => document.body.dataset.state === 'joined'", timeout=15_000)
        second = await open_page(browser, f"{server.url}/?invite={invite['code']}&name=Di")
        opened.append(second)
        await second.page.wait_for_function("() => document.body.dataset.state === 'error'", timeout=15_000)
        assert "used as many times" in await second.page.inner_text("#error")
        for m in opened:
            assert m.console_errors == [] or all("403" in e or "404" in e for e in m.console_errors), (
                m.console_errors
            )
    finally:
        for m in opened:
            await m.context.close()
