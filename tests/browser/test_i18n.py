"""Languages: the widget and the moderation panel in the language the platform asks for
(`data-ssw-locale`, `?lang=`) or else the browser's, right to left for Arabic, with
dates and numbers in the language's way. Screenshots of each language go to
test-artifacts/i18n-*.png (look at them)."""

from __future__ import annotations

import json
import time

import pytest
from browser_support import ARTIFACTS, Member, create_party
from playwright.async_api import expect
from test_a11y import axe, blocking

from socialsync.app import STORE
from socialsync.edge.auth import issue_token

pytestmark = pytest.mark.browser

# The platform's choice, as an embedding page would mark it: data-ssw-locale on <html>
# (set as soon as the element exists, before the page's scripts run).
PLATFORM_LOCALE = """(locale) => new MutationObserver((_, observer) => {
    if (!document.documentElement) return;
    document.documentElement.dataset.sswLocale = locale;
    observer.disconnect();
}).observe(document, {childList: true})"""


async def viewer(browser, url: str, name: str, locale: str, platform: str | None = None) -> Member:
    context = await browser.new_context(viewport={"width": 1280, "height": 760}, locale=locale)
    page = await context.new_page()
    if platform:
        await page.add_init_script(f"({PLATFORM_LOCALE})({platform!r})")
    member = Member(name, context, page)
    await page.goto(f"{url}&name={name}")
    await page.wait_for_function("() => document.body.dataset.state === 'joined'", timeout=15_000)
    return member


async def test_the_widget_speaks_the_viewers_language(browser, web_server):
    ARTIFACTS.mkdir(exist_ok=True)
    party_id = await create_party(web_server)
    invite = f"{web_server.url}/?party={party_id}"
    # French from the browser; Arabic chosen by the platform for a browser set to English.
    fr = await viewer(browser, invite, "Amélie", "fr-FR")
    ar = await viewer(browser, invite, "Karim", "en-US", platform="ar")
    results: dict = {}
    try:
        await fr.page.evaluate("() => window.socialsyncDemo.party.sendChat('Bonjour à tous !')")
        await ar.page.evaluate("() => window.socialsyncDemo.party.sendChat('مرحبًا بالجميع')")
        await fr.page.locator(".ssw-reaction[data-emoji='🎉']").click()
        for m in (fr, ar):
            await m.page.locator(".ssw-message").nth(1).wait_for()
            await m.page.locator(".ssw-sync-summary").click()

        widget = fr.page.locator(".ssw")
        await expect(widget).to_have_attribute("lang", "fr-FR")
        await expect(widget).to_have_attribute("dir", "ltr")
        await expect(fr.page.locator(".ssw-chat .ssw-heading")).to_have_text("Discussion")
        await expect(fr.page.locator(".ssw-people .ssw-heading")).to_have_text("Participants (2)")
        await expect(fr.page.locator(".ssw-composer button[type=submit]")).to_have_text("Envoyer")
        label = await fr.page.get_attribute(".ssw-reaction[data-emoji='😂']", "aria-label")
        assert label == "Réagir\u00a0: Rire", label
        # Times as the French write them (24-hour clock).
        clock = await fr.page.locator(".ssw-time").first.inner_text()
        assert "AM" not in clock and "PM" not in clock and ":" in clock, clock

        widget = ar.page.locator(".ssw")
        await expect(widget).to_have_attribute("lang", "ar")
        await expect(widget).to_have_attribute("dir", "rtl")
        await expect(ar.page.locator(".ssw-chat .ssw-heading")).to_have_text("الدردشة")
        await expect(ar.page.locator(".ssw-composer button[type=submit]")).to_have_text("إرسال")
        # Mirrored: the header's Invite button sits to the left of the title, the message
        # list's scrollbar side and the text start on the right.
        layout = await ar.page.evaluate(
            """() => {
                const box = (s) => document.querySelector(s).getBoundingClientRect();
                return {title: box('.ssw-title').right, invite: box('.ssw-invite-toggle').left,
                        widgetRight: box('.ssw').right, heading: box('.ssw-chat .ssw-heading').right,
                        direction: getComputedStyle(document.querySelector('.ssw')).direction};
            }"""
        )
        assert layout["direction"] == "rtl", layout
        assert layout["invite"] < layout["title"], layout
        assert layout["widgetRight"] - layout["heading"] < 40, "headings start on the right"
        # The time as Arabic writes it (ص/م for a.m./p.m., or Arabic-Indic digits by region).
        clock = await ar.page.locator(".ssw-time").first.inner_text()
        assert any("\u0600" <= ch <= "\u06ff" for ch in clock), clock

        for lang, m in (("fr", fr), ("ar", ar)):
            await m.page.screenshot(path=str(ARTIFACTS / f"i18n-widget-{lang}.png"))
            await axe(m.page, f"widget ({lang})", results)
            assert m.console_errors == [], m.console_errors
    finally:
        for m in (fr, ar):
            await m.context.close()
    problems = {k: blocking(v) for k, v in results.items() if blocking(v)}
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


async def test_the_moderation_panel_speaks_the_moderators_language(browser, web_server):
    party_id = await create_party(web_server)
    host = await viewer(browser, f"{web_server.url}/?party={party_id}", "Hana", "en-US")
    tenant = await web_server.app[STORE].get_tenant("demo")
    token = issue_token(tenant, "mod-1", "Moe", ["moderator"], 600, int(time.time()))
    opened = [host]
    results: dict = {}
    try:
        await host.page.evaluate("() => window.socialsyncDemo.party.sendChat('what the shit')")
        # Arabic asked for in the address, French from the browser.
        for lang, browser_locale, query in (("ar", "en-US", "?lang=ar"), ("fr-FR", "fr-FR", "")):
            context = await browser.new_context(
                viewport={"width": 1280, "height": 860}, locale=browser_locale
            )
            page = await context.new_page()
            member = Member(f"panel-{lang}", context, page)
            opened.append(member)
            await page.goto(f"{web_server.url}/moderation/index.html{query}#token={token}")
            await page.locator("body[data-state=ready]").wait_for(state="attached", timeout=15_000)
            await page.locator(f".mp-room-button[data-party='{party_id}']").click()
            await expect(page.locator("body")).to_have_attribute("data-watching", party_id)
            await page.locator("#chat-list .mp-msg").first.wait_for()
            html = page.locator("html")
            await expect(html).to_have_attribute("lang", lang)
            await expect(html).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
            tab = {"ar": "الدردشة المباشرة", "fr-FR": "Discussion en direct"}[lang]
            await expect(page.locator("#tab-chat")).to_have_text(tab)
            await expect(page.locator("#chat-list .mp-button-danger").first).to_have_text(
                {"ar": "حذف", "fr-FR": "Supprimer"}[lang]
            )
            await page.screenshot(path=str(ARTIFACTS / f"i18n-panel-{lang}.png"), full_page=True)
            await axe(page, f"panel ({lang})", results)
            assert member.console_errors == [], member.console_errors
    finally:
        for m in opened:
            await m.context.close()
    problems = {k: blocking(v) for k, v in results.items() if blocking(v)}
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)
