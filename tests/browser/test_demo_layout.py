"""The demo page in a party at the sizes people watch on: one screen, nothing pushed
below it. Where the video and the widget fit side by side (1280x720, 1920x1080, a phone
on its side) the page does not scroll, the video is fully on screen (on a phone on its
side too) and the widget is as tall as the screen; on a phone upright the video is on
top and the chat box is in view under it. One invite affordance (the widget's). The
screenshots go to test-artifacts/demo-*.png: look at them."""

from __future__ import annotations

import pytest
from browser_support import ARTIFACTS, Member, create_party

pytestmark = pytest.mark.browser

# name, viewport, video and widget side by side
SIZES = [
    ("1280x720", (1280, 720), True),
    ("1920x1080", (1920, 1080), True),
    ("phone-portrait-390x844", (390, 844), False),
    ("phone-landscape-844x390", (844, 390), True),
]

GEOMETRY = """() => {
    const box = (s) => { const r = document.querySelector(s).getBoundingClientRect();
        return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,
                width: r.width, height: r.height}; };
    const root = document.scrollingElement;
    return {vw: innerWidth, vh: innerHeight, scrollWidth: root.scrollWidth, scrollHeight: root.scrollHeight,
            video: box('#video-wrap'), widget: box('.ssw'), box: box('.ssw-composer input[type=text]'),
            chat: box('.ssw-messages'), bar: box('.demo-player-bar')};
}"""


async def open_member(browser, url: str, name: str, viewport) -> Member:
    context = await browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = await context.new_page()
    member = Member(name, context, page)
    await page.goto(f"{url}&name={name}")
    await page.wait_for_function("() => document.body.dataset.state === 'joined'", timeout=15_000)
    return member


async def say(member: Member, text: str) -> None:
    await member.page.evaluate("(t) => window.socialsyncDemo.party.sendChat(t)", text)


async def test_the_demo_uses_the_screen_at_every_size(browser, web_server):
    ARTIFACTS.mkdir(exist_ok=True)
    party_id = await create_party(web_server)
    link = f"{web_server.url}/?party={party_id}"
    host = await open_member(browser, link, "Ana", (1280, 720))
    opened = [host]
    try:
        for text in ("Hi all, popcorn ready?", "Starting in a minute", "This scene is great 😂"):
            await say(host, text)
        for name, viewport, side_by_side in SIZES:
            m = await open_member(browser, link, "Ben", viewport)
            opened.append(m)
            page = m.page
            await page.locator(".ssw-message").nth(2).wait_for()
            await page.wait_for_function("() => document.getElementById('video').readyState >= 1")
            await page.wait_for_timeout(200)  # the layout settles
            await page.screenshot(path=str(ARTIFACTS / f"demo-{name}.png"))
            g = await page.evaluate(GEOMETRY)
            vw, vh, video, widget = g["vw"], g["vh"], g["video"], g["widget"]

            # One invite affordance: the widget's button; no invite bar of the page's own.
            assert await page.locator(".ssw-invite-toggle").count() == 1, name
            assert await page.locator("#invite-link, .demo-invite").count() == 0, name
            # Nothing overflows sideways; the page is one screen (no scrolling to find
            # the chat box or the bottom of the video).
            assert g["scrollWidth"] <= vw, (name, g)
            assert g["scrollHeight"] <= vh + 1, (name, g)
            assert video["top"] >= 0 and video["bottom"] <= vh, (name, g)
            assert g["box"]["bottom"] <= vh and g["box"]["top"] >= 0, (name, g)
            assert g["bar"]["bottom"] <= vh, (name, g)
            if side_by_side:
                # Video beside the widget; the widget as tall as the screen (less the
                # header), the video as large as its column allows.
                assert video["right"] <= widget["left"] + 1 or video["left"] >= widget["right"] - 1, (name, g)
                assert widget["bottom"] >= vh - 24 and widget["height"] >= vh * 0.75, (name, g)
                column = widget["left"] - 16  # what the video could take
                assert video["width"] >= column * 0.9 or video["height"] >= (vh - 120) * 0.9, (name, g)
            else:
                # Upright: video on top, full width, the widget fills the rest of the screen.
                assert video["bottom"] <= widget["top"], (name, g)
                assert video["width"] >= vw - 32, (name, g)
                assert widget["bottom"] >= vh - 24, (name, g)
            # The chat list keeps room to read (on a phone on its side: a few lines).
            assert g["chat"]["height"] >= (70 if vh < 500 else 120), (name, g)
            assert m.console_errors == [], (name, m.console_errors)
            await m.context.close()
            opened.remove(m)
    finally:
        for m in opened:
            await m.context.close()
