"""Accessibility, checked in Chromium: axe-core (WCAG 2.1 A and AA) over the demo page,
the invite (join) page, the widget in a party and every tab of the moderation panel;
keyboard and TV-remote navigation of the widget; polite, throttled announcements;
reduced motion; the review queue's keys.

axe-core comes from web_client/node_modules (a dev dependency) and is evaluated in the
page over DevTools, which the pages' Content-Security-Policy does not stop. The results,
by page and impact, go to test-artifacts/axe-results.json."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from browser_support import ARTIFACTS, Member, create_party
from playwright.async_api import expect

from socialsync.app import STORE
from socialsync.edge.auth import issue_token

pytestmark = pytest.mark.browser

AXE_JS = Path(__file__).resolve().parents[2] / "web_client" / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


async def axe(page, name: str, results: dict) -> list[dict]:
    """Run axe-core on the page as it is now; record and return its violations."""
    if not AXE_JS.is_file():
        pytest.fail(f"axe-core is missing ({AXE_JS}): run npm ci in web_client")
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate("(source) => { (0, eval)(source); }", AXE_JS.read_text())
    violations = await page.evaluate(
        """async (tags) => {
            const r = await axe.run(document,
                {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 8)}));
        }""",
        WCAG,
    )
    results[name] = violations
    return violations


def blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in BLOCKING]


async def open_page(browser, url: str, viewport=(1280, 860), **options) -> Member:
    context = await browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, **options)
    page = await context.new_page()
    member = Member(url, context, page)
    await page.goto(url)
    return member


async def joined(browser, url: str, name: str, **options) -> Member:
    member = await open_page(browser, f"{url}&name={name}", **options)
    member.name = name
    await member.page.wait_for_function("() => document.body.dataset.state === 'joined'", timeout=15_000)
    return member


async def send(member: Member, text: str):
    return await member.page.evaluate("(t) => window.socialsyncDemo.party.sendChat(t)", text)


async def moderator_token(server) -> str:
    tenant = await server.app[STORE].get_tenant("demo")
    return issue_token(tenant, "mod-1", "Moe", ["moderator"], 600, int(time.time()))


async def test_axe_finds_nothing_serious_on_the_pages_people_use(browser, web_server):
    results: dict[str, list[dict]] = {}
    opened: list[Member] = []
    try:
        # The demo page and a friend's invite (join) page, before joining.
        demo = await open_page(browser, f"{web_server.url}/")
        opened.append(demo)
        await demo.page.wait_for_function("() => document.body.dataset.state === 'setup'")
        await axe(demo.page, "demo: start a party", results)

        party_id = await create_party(web_server, type="live_room")
        invite = f"{web_server.url}/?party={party_id}"
        await demo.page.goto(invite)
        await demo.page.wait_for_function("() => document.body.dataset.state === 'setup'")
        await axe(demo.page, "demo: join page", results)

        # The widget in a party, with chat, a reaction and another member.
        ana = await joined(browser, invite, "Ana")
        ben = await joined(browser, invite, "Ben")
        opened += [ana, ben]
        await send(ana, "Hello Ben, the film starts now")
        await ana.page.evaluate("() => window.socialsyncDemo.party.sendChat('look at this', {mediaTime: 12})")
        await send(ben, "what the shit")  # masked by the filter
        await ben.page.locator(".ssw-message").nth(2).wait_for()
        await ana.page.click(".ssw-reaction[data-emoji='🔥']")
        await ben.page.locator(".ssw-float").first.wait_for()
        await axe(ben.page, "widget: in a party", results)
        # Its menus and dialogs, open: the invite panel, the sync details, a report form,
        # the camera consent dialog.
        await ben.page.click(".ssw-invite-toggle")
        await ben.page.locator(".ssw-sync-summary").click()
        await ben.page.locator(".ssw-message", has_text="Hello Ben").locator(".ssw-report-button").click()
        await axe(ben.page, "widget: invite, sync details and report form open", results)
        await ben.page.keyboard.press("Escape")
        # (In a live room the host may turn a camera on.)
        await ana.page.click(".ssw-camera-toggle[data-kind='audio']")
        await ana.page.locator(".ssw-consent[open]").wait_for()
        await axe(ana.page, "widget: camera consent dialog (host)", results)
        await ana.page.locator(".ssw-consent-cancel").click()

        # The moderation panel: signed out, then every tab of a room with something in each.
        held = await send(ben, "more at https://unknown-site.example/watch")
        assert held.get("held") is True, held
        msg_id = await ana.page.evaluate(
            "() => window.socialsyncDemo.party.messages.find(m => m.text.startsWith('Hello Ben')).id"
        )
        await ben.page.evaluate(
            "([p, id]) => window.socialsyncDemo.client.request("
            "'chat.report', {party: p, id, reason: 'spoiler'})",
            [party_id, msg_id],
        )
        panel = await open_page(browser, f"{web_server.url}/moderation/index.html")
        opened.append(panel)
        page = panel.page
        await page.locator("body[data-state=signin]").wait_for(state="attached")
        await axe(page, "panel: sign in", results)
        await page.goto("about:blank")
        await page.goto(f"{web_server.url}/moderation/index.html#token={await moderator_token(web_server)}")
        await page.locator("body[data-state=ready]").wait_for(state="attached", timeout=15_000)
        card = page.locator(f".mp-room-button[data-party='{party_id}']")
        await card.click()
        await expect(page.locator("body")).to_have_attribute("data-watching", party_id, timeout=10_000)
        await send(ben, "what the shit again")  # a masked message the panel sees arrive
        await page.locator("#chat-list .mp-msg .mp-badge-mask").first.wait_for()
        await page.fill("#reason", "spam")
        hello = page.locator("#chat-list .mp-msg", has_text="Hello Ben")
        await hello.get_by_role("button", name="Delete").click()
        await page.locator("#action-status", has_text="Deleted").wait_for()
        # The card and the tabs agree.
        await expect(page.locator("#queue-count")).to_have_text("1")
        await expect(page.locator("#reports-count")).to_have_text("1")
        await expect(card.locator("[data-count=held]")).to_have_text("1 held")
        await expect(card.locator("[data-count=reports]")).to_have_text("1 report")
        for tab in ("Live chat", "Review queue", "Reports", "Reaction clips", "Audit log", "Room settings"):
            await page.get_by_role("tab", name=tab).click()
            if tab == "Audit log":
                await page.locator("#audit-list .mp-audit-entry").first.wait_for()
            await axe(page, f"panel: {tab}", results)
        await page.get_by_role("tab", name="Review queue").click()
        await page.screenshot(path=str(ARTIFACTS / "a11y-panel-queue.png"), full_page=True)

        # The review queue's keys: J to the first held message, A approves it.
        why = page.locator("#queue-list .mp-why").first
        assert await why.inner_text() == "Link to unknown-site.example"
        assert (await why.get_attribute("title")).startswith("link:")
        await page.locator("#tab-queue").focus()
        await page.keyboard.press("j")
        assert await page.evaluate("() => document.activeElement.matches('#queue-list > li')")
        await page.keyboard.press("a")
        await expect(page.locator("#queue-count")).to_have_text("0")
        delivered = ana.page.locator(".ssw-message .ssw-text", has_text="unknown-site.example")
        await delivered.wait_for(timeout=5_000)

        # On a phone: one row of actions per message, the rest behind "More".
        await page.set_viewport_size({"width": 390, "height": 844})
        await page.get_by_role("tab", name="Live chat").click()
        row = page.locator("#chat-list .mp-msg").last.locator(".mp-actions")
        boxes = await row.locator("button:visible").evaluate_all(
            "(bs) => bs.map(b => Math.round(b.getBoundingClientRect().top))"
        )
        assert len(set(boxes)) == 1 and len(boxes) == 3, boxes
        await row.get_by_role("button", name="More").click()
        await row.get_by_role("button", name="Ban from room").wait_for()
        await axe(page, "panel: phone, actions menu open", results)
        await page.keyboard.press("Escape")
        assert await page.evaluate("() => document.activeElement.textContent.startsWith('More')")
        await page.screenshot(path=str(ARTIFACTS / "a11y-panel-phone.png"), full_page=True)

        for m in opened:
            assert m.console_errors == [], (m.name, m.console_errors)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "axe-results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
        for m in opened:
            await m.context.close()
    problems = {name: blocking(v) for name, v in results.items() if blocking(v)}
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


async def test_the_widget_works_with_a_keyboard_or_a_tv_remote(browser, web_server):
    party_id = await create_party(web_server)
    invite = f"{web_server.url}/?party={party_id}"
    ana = await joined(browser, invite, "Ana")
    ben = await joined(browser, invite, "Ben", reduced_motion="reduce")
    page = ben.page
    focused = "() => document.activeElement"
    try:
        # Arrow keys move along the reaction bar; Enter reacts; the ring shows.
        await page.locator(".ssw-reaction").first.focus()
        await page.keyboard.press("ArrowRight")
        assert await page.evaluate(f"({focused})().dataset.emoji") == "❤️"
        ring = await page.evaluate(
            "() => { const e = document.activeElement, s = getComputedStyle(e);"
            " return {visible: e.matches(':focus-visible'), style: s.outlineStyle,"
            " width: parseFloat(s.outlineWidth)}; }"
        )
        assert ring["visible"] and ring["style"] == "solid" and ring["width"] >= 3, ring
        await page.keyboard.press("Enter")
        # Reduced motion: the reaction fades in place, nothing rises.
        float_ = ana.page.locator(".ssw-float").first
        await float_.wait_for()
        assert await float_.evaluate("(e) => getComputedStyle(e).animationName") == "ssw-rise"
        mine = page.locator(".ssw-float").first
        await mine.wait_for()
        assert await mine.evaluate("(e) => getComputedStyle(e).animationName") == "ssw-fade"

        # Down from the reactions reaches the chat; on to the chat box, type, Enter sends.
        for _ in range(12):
            await page.keyboard.press("ArrowDown")
            if await page.evaluate(f"({focused})().matches('.ssw-composer input[type=text]')"):
                break
        else:
            pytest.fail("the chat box cannot be reached with the arrow keys")
        await page.keyboard.type("sent with the remote")
        await page.keyboard.press("Enter")
        await ana.page.locator(".ssw-message .ssw-text", has_text="sent with the remote").wait_for()
        # Back (Escape) leaves the chat box for the message list.
        await page.keyboard.press("Escape")
        assert await page.evaluate(f"({focused})().classList.contains('ssw-messages')")

        # The invite menu: Enter opens it, Back (a remote's Backspace) closes it, focus returns.
        await page.locator(".ssw-invite-toggle").focus()
        await page.keyboard.press("Enter")
        await page.locator(".ssw-invite").wait_for()
        assert await page.evaluate(f"({focused})().classList.contains('ssw-invite-copy')")
        await page.keyboard.press("Backspace")
        await page.locator(".ssw-invite").wait_for(state="hidden")
        assert await page.evaluate(f"({focused})().classList.contains('ssw-invite-toggle')")

        # A checkbox takes Enter (a remote has no Space).
        pin = page.locator(".ssw-composer input[type=checkbox]")
        await pin.focus()
        await page.keyboard.press("Enter")
        assert await pin.is_checked()

        # Chat is announced politely, and a burst as one summary, not message by message.
        assert await page.get_attribute(".ssw-messages", "aria-live") == "off"
        region = page.locator(".ssw > [aria-live=polite]")
        await send(ana, "first of a burst")
        await expect(region).to_have_text("Ana: first of a burst", timeout=3_000)
        # Count what the region says from now on.
        await page.evaluate(
            """() => { const r = document.querySelector('.ssw > [aria-live=polite]'); window.__said = [];
                new MutationObserver(() => r.textContent && window.__said.push(r.textContent))
                  .observe(r, {childList: true, characterData: true, subtree: true}); }"""
        )
        for i in range(6):
            await send(ana, f"burst {i}")
        await expect(region).to_contain_text("6 new messages", timeout=5_000)
        said: list[str] = await page.evaluate("() => window.__said")
        assert len(said) == 1, said
        # The host's view of a watch party (role buttons, host controls, a timeline comment).
        await ana.page.evaluate("() => window.socialsyncDemo.party.sendChat('look at 0:12', {mediaTime: 12})")
        await ana.page.locator(".ssw-seek").first.wait_for()
        await ana.page.locator(".ssw-member[data-role=member] .ssw-member-actions button").first.wait_for()
        results: dict[str, list[dict]] = {}
        await axe(ana.page, "widget: the host's view (roles, host controls, timeline comment)", results)
        record = ARTIFACTS / "axe-results.json"
        previous = json.loads(record.read_text()) if record.is_file() else {}
        record.write_text(json.dumps(previous | results, indent=1, ensure_ascii=False))
        assert {k: blocking(v) for k, v in results.items() if blocking(v)} == {}, results
        for m in (ana, ben):
            assert m.console_errors == [], (m.name, m.console_errors)
    finally:
        for m in (ana, ben):
            await m.context.close()
