"""The widget's badges and feedback prompt (docs/engagement.md) in Chromium, through the
one-tag embed of a platform whose backend signs its viewer in (French): the badges
beside the viewer's name (their meaning as a tooltip and as text for screen readers);
when the party ends, the CSAT question, answered with the keyboard alone (arrow keys
on the scale, a comment, Send), thanked politely; axe-core finds nothing serious in it;
the answer reaches the report. Screenshots in test-artifacts/."""

from __future__ import annotations

import html
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from browser_support import ARTIFACTS, Member, create_party
from support import Server, free_port

from socialsync.app import BADGES, STORE
from socialsync.domain.badges import Award, BadgeKind
from socialsync.edge.auth import issue_token

pytestmark = pytest.mark.browser

AXE_JS = Path(__file__).resolve().parents[2] / "web_client" / "node_modules" / "axe-core" / "axe.min.js"
STATE = "() => document.querySelector('.socialsync-embed')?.dataset.state"


@asynccontextmanager
async def platform_page(server: Server, party: str, token: str) -> AsyncIterator[str]:
    """A platform's page of its own origin: its player, the embed tag, and its backend's
    token URL that signs its viewer in."""
    attrs = {"data-party": party, "data-token-url": "/token", "data-player": "#video", "data-locale": "fr"}
    tag = " ".join(f'{k}="{html.escape(v)}"' for k, v in attrs.items())
    text = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Soirée</title></head>
<body><main><video id="video" src="{server.url}/media/clip.mp4" controls muted playsinline></video></main>
<script src="{server.url}/embed/socialsync.js" {tag} defer></script></body></html>"""

    async def watch(request: web.Request) -> web.Response:
        return web.Response(text=text, content_type="text/html")

    async def signed_in(request: web.Request) -> web.Response:
        return web.json_response({"token": token})

    app = web.Application()
    app.add_routes([web.get("/watch", watch), web.get("/token", signed_in)])
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/watch"
    finally:
        await runner.cleanup()


async def test_badges_and_the_feedback_prompt_in_the_widget(browser, web_server) -> None:
    server = web_server
    tenant = await server.app[STORE].get_tenant("demo")
    assert tenant is not None
    now = int(time.time())
    admin = {"Authorization": f"Bearer {issue_token(tenant, 'admin-1', 'Ada', ['admin'], 600, now)}"}
    viewer = issue_token(tenant, "user-ana", "Ana", ["viewer"], 600, now)
    async with aiohttp.ClientSession() as http:
        engagement = {"engagement": {"badges": True, "feedback": "csat"}}
        async with http.put(f"{server.url}/api/v1/tenant/settings", json=engagement, headers=admin) as r:
            assert r.status == 200, await r.text()
        # What the aggregates earned Ana (tests/integration/test_badges.py earns them for real).
        badges = server.app[BADGES]
        ana = badges.pseudonyms.of("demo", "user-ana")
        await badges.store.award(
            [
                Award("demo", ana, BadgeKind.FIRST_PARTY, "", 1, now * 1000),
                Award("demo", ana, BadgeKind.HOSTED, "", 5, now * 1000),
                Award("demo", ana, BadgeKind.STREAK, "", 3, now * 1000),
            ]
        )
        party = await create_party(server)
        async with platform_page(server, party, viewer) as url:
            context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
            member = Member("ana", context, await context.new_page())
            page = member.page
            try:
                await page.goto(url)
                await page.wait_for_function(f"() => ({STATE})() === 'joined'", timeout=15_000)

                # Beside her name: three marks, their meaning as tooltips and as text.
                row = page.locator(".ssw-member[data-user='user-ana']")
                marks = row.locator(".ssw-award")
                await marks.first.wait_for()
                assert await marks.count() == 3
                assert await marks.nth(1).get_attribute("title") == "A animé 5 soirées"
                assert await marks.nth(1).get_attribute("aria-hidden") == "true"
                spoken = await row.locator(".ssw-awards .ssw-visually-hidden").inner_text()
                assert (
                    spoken
                    == "Badges : Première soirée de visionnage, A animé 5 soirées, 3 semaines d’affilée"
                )
                await page.screenshot(path=str(ARTIFACTS / "badges-widget.png"))

                # The party ends: the question comes, in French.
                async with http.post(f"{server.url}/api/v1/parties/{party}/end", headers=admin) as r:
                    assert r.status == 200, await r.text()
                section = page.locator(".ssw-feedback")
                await section.locator("legend").wait_for()
                assert await section.locator("legend").inner_text() == (
                    "Êtes-vous satisfait de cette soirée de visionnage ?"
                )
                radios = section.locator("input[type=radio]")
                assert await radios.count() == 5
                assert await radios.nth(0).get_attribute("aria-label") == "1, très insatisfait"

                # Nothing serious for axe-core in the prompt.
                if not AXE_JS.is_file():
                    pytest.fail(f"axe-core is missing ({AXE_JS}): run npm ci in web_client")
                await page.evaluate("(source) => { (0, eval)(source); }", AXE_JS.read_text())
                violations = await page.evaluate(
                    """async () => (await axe.run('.ssw-feedback', {runOnly: {type: 'tag',
                        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations
                        .filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)"""
                )
                assert violations == []
                await page.screenshot(path=str(ARTIFACTS / "feedback-prompt.png"))

                # Sending without a score says so; then the keyboard alone.
                await section.get_by_role("button", name="Envoyer").click()
                assert await section.locator("[role=alert]").inner_text() == "Choisissez d’abord une note."
                await radios.nth(0).focus()
                await page.keyboard.press("Space")
                for _ in range(3):
                    await page.keyboard.press("ArrowRight")
                assert await radios.nth(3).is_checked()
                await page.keyboard.press("Tab")
                await page.keyboard.type("Super soirée")
                await page.keyboard.press("Tab")
                await page.keyboard.press("Enter")
                await section.get_by_text("Merci pour votre avis !").wait_for()
                assert await section.locator("form").count() == 0
            finally:
                await context.close()

        async with http.get(f"{server.url}/api/v1/analytics/feedback?party={party}", headers=admin) as r:
            report = await r.json()
        # The score is an analytics event (committed within about a second); the comment is ours.
        assert [(c["score"], c["comment"]) for c in report["comments"]] == [(4, "Super soirée")]
