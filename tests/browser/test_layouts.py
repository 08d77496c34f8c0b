"""The widget's layout at the sizes people watch on: it fills the room beside (or under)
the video, the chat and its box are in view, nothing overflows sideways, and a TV gets
ten-foot text. Screenshots of each go to test-artifacts/layout-*.png (look at them)."""

from __future__ import annotations

import pytest
from browser_support import ARTIFACTS, Member, create_party

pytestmark = pytest.mark.browser

# name, viewport, TV mode
LAYOUTS = [
    ("desktop-1280x720", (1280, 720), False),
    ("desktop-1920x1080", (1920, 1080), False),
    ("phone-portrait-390x844", (390, 844), False),
    ("phone-landscape-844x390", (844, 390), False),
    ("tv-1920x1080", (1920, 1080), True),
]


async def open_viewer(browser, url: str, name: str, viewport, **context_options) -> Member:
    size = {"width": viewport[0], "height": viewport[1]}
    context = await browser.new_context(viewport=size, **context_options)
    page = await context.new_page()
    member = Member(name, context, page)
    await page.goto(f"{url}&name={name}")
    await page.wait_for_function("() => document.body.dataset.state === 'joined'", timeout=15_000)
    return member


async def say(member: Member, text: str) -> None:
    await member.page.evaluate("(t) => window.socialsyncDemo.party.sendChat(t)", text)


async def test_the_widget_uses_the_space_at_every_size(browser, web_server):
    ARTIFACTS.mkdir(exist_ok=True)
    party_id = await create_party(web_server)
    invite = f"{web_server.url}/?party={party_id}"
    host = await open_viewer(browser, invite, "Ana", (1280, 720))
    opened = [host]
    try:
        for text in ("Hi all, popcorn ready?", "Starting in a minute", "This scene is great 😂"):
            await say(host, text)
        for name, viewport, tv in LAYOUTS:
            m = await open_viewer(browser, invite, "Ben", viewport)
            opened.append(m)
            page = m.page
            if tv:
                await page.evaluate("() => { document.documentElement.dataset.sswTv = ''; }")
            await page.locator(".ssw-message").nth(2).wait_for()
            await say(m, f"Hello from {name.split('-')[0]} ({viewport[0]}×{viewport[1]})")
            mine = page.locator(".ssw-message .ssw-text", has_text=f"({viewport[0]}×{viewport[1]})")
            await mine.last.wait_for()
            # As a viewer would: the page scrolled until the whole widget is in view.
            await page.evaluate(
                "() => { const r = document.querySelector('.ssw').getBoundingClientRect();"
                " if (r.bottom > innerHeight) scrollBy(0, r.bottom - innerHeight + 8); }"
            )
            await page.wait_for_timeout(300)  # the scroll settles

            await page.screenshot(path=str(ARTIFACTS / f"layout-{name}.png"))
            width = await page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= viewport[0], f"{name}: nothing may overflow sideways ({width})"
            geometry = await page.evaluate(
                """() => {
                    const r = (s) => {
                        const b = document.querySelector(s).getBoundingClientRect();
                        return {top: b.top, bottom: b.bottom, height: b.height, width: b.width};
                    };
                    return {widget: r('.ssw'), chat: r('.ssw-messages'), box: r('.ssw-composer input'),
                            fontSize: parseFloat(getComputedStyle(document.querySelector('.ssw')).fontSize),
                            vh: innerHeight};
                }"""
            )
            widget, chat = geometry["widget"], geometry["chat"]
            # The widget is one screen tall at most: scrolled to, all of it is in view, the
            # chat box too, and the chat list gets a good share of it.
            assert widget["height"] <= geometry["vh"], (name, geometry)
            assert widget["top"] >= 0 and widget["bottom"] <= geometry["vh"] + 1, (name, geometry)
            assert geometry["box"]["bottom"] <= geometry["vh"], (name, geometry)
            assert chat["height"] >= widget["height"] * 0.25, (name, geometry)
            if tv:
                assert geometry["fontSize"] >= 22, "ten-foot text on a TV"
            assert m.console_errors == [], (name, m.console_errors)
            await m.context.close()
            opened.remove(m)
    finally:
        for m in opened:
            await m.context.close()
