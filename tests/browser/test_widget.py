"""The demo page and the widget, as people use them: start, invite, chat, react."""

from __future__ import annotations

import pytest
from browser_support import ARTIFACTS, Member, create_party

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=alert(1)>"


async def open_member(browser, url: str, name: str, viewport=(1280, 800)) -> Member:
    context = await browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = await context.new_page()
    member = Member(name, context, page)
    page.on("dialog", lambda d: member.console_errors.append(f"dialog opened: {d.message}"))
    await page.goto(url)
    return member


async def chat(member: Member, text: str) -> None:
    box = member.page.locator(".ssw-composer textarea, .ssw-composer input[type=text]").first
    await box.fill(text)
    await box.press("Enter")


async def test_start_a_party_invite_a_friend_chat_and_react(browser, web_server):
    ARTIFACTS.mkdir(exist_ok=True)
    ada = await open_member(browser, f"{web_server.url}/", "Ada")
    bob = None
    try:
        await ada.page.fill("#name", "Ada")
        await ada.page.click("#start")
        await ada.page.wait_for_function("() => document.body.dataset.state === 'joined'", timeout=15_000)
        invite = await ada.page.input_value(".ssw-invite-link")  # the widget's one invite
        assert "?party=" in invite

        # The friend opens the invite link and gives a name.
        bob = await open_member(browser, invite, "Bob")
        await bob.page.fill("#name", "Bob")
        await bob.page.click("#start")
        await bob.page.wait_for_function("() => document.body.dataset.state === 'joined'", timeout=15_000)

        # Both see both members.
        for m in (ada, bob):
            await m.page.wait_for_function("() => document.querySelectorAll('.ssw-member').length === 2")

        # Chat crosses, and a hostile message is shown as text, never run.
        await chat(ada, "Hello Bob, ready?")
        await bob.page.locator(".ssw-message .ssw-text", has_text="Hello Bob, ready?").wait_for()
        await chat(bob, HOSTILE)
        await ada.page.locator(".ssw-message .ssw-text", has_text=HOSTILE).wait_for()
        assert await ada.page.locator(".ssw-messages img").count() == 0
        texts = await ada.page.locator(".ssw-message .ssw-text").all_text_contents()
        assert HOSTILE in texts

        # A reaction floats over the other member's video.
        await ada.page.click(".ssw-reaction[data-emoji='🔥']")
        await bob.page.locator(".ssw-float", has_text="🔥").first.wait_for(timeout=5_000)

        await ada.page.screenshot(path=str(ARTIFACTS / "demo-ada.png"), full_page=True)
        await bob.page.screenshot(path=str(ARTIFACTS / "demo-bob.png"), full_page=True)
        for m in (ada, bob):
            assert m.console_errors == [], (m.name, m.console_errors)
    finally:
        await ada.context.close()
        if bob is not None:
            await bob.context.close()


async def test_a_timeline_comment_seeks_the_party_when_clicked(web_server, join):
    party_id = await create_party(web_server)
    a = await join(party_id, "Ann")
    b = await join(party_id, "Ben")
    await a.page.evaluate("window.socialsyncDemo.party.control('seek', {position: 12.5})")
    await a.page.wait_for_function("() => Math.abs(window.socialsyncDemo.video.currentTime - 12.5) < 0.05")
    await a.page.locator(".ssw-composer input[type=checkbox]").first.check()
    await chat(a, "look at this moment")
    await b.page.evaluate("window.socialsyncDemo.party.control('seek', {position: 40})")
    await a.page.wait_for_function("() => Math.abs(window.socialsyncDemo.video.currentTime - 40) < 0.05")
    seek = b.page.locator(".ssw-message", has_text="look at this moment").locator(".ssw-seek")
    await seek.click()
    for m in (a, b):
        await m.page.wait_for_function(
            "() => Math.abs(window.socialsyncDemo.video.currentTime - 12.5) < 0.05"
        )
    for m in (a, b):
        assert m.console_errors == [], m.console_errors


@pytest.mark.parametrize(("label", "viewport"), [("phone", (390, 844)), ("tv", (1920, 1080))])
async def test_the_widget_works_at_phone_and_tv_widths(web_server, join, label, viewport):
    party_id = await create_party(web_server)
    m = await join(party_id, "Viewer", viewport=viewport)
    box = m.page.locator(".ssw-composer textarea, .ssw-composer input[type=text]").first
    await box.scroll_into_view_if_needed()
    assert await box.is_visible()
    width = await m.page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport[0], "nothing may overflow sideways"
    await chat(m, "fits")
    await m.page.locator(".ssw-message .ssw-text", has_text="fits").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    await m.page.screenshot(path=str(ARTIFACTS / f"widget-{label}.png"), full_page=True)
    assert m.console_errors == []


async def test_the_widget_is_usable_from_the_keyboard(web_server, join):
    party_id = await create_party(web_server)
    m = await join(party_id, "Keys")
    # Tab until the chat box has focus, type, and send with Enter.
    for _ in range(60):
        await m.page.keyboard.press("Tab")
        focused = await m.page.evaluate("document.activeElement?.closest('.ssw-composer') !== null")
        if focused and await m.page.evaluate("['TEXTAREA','INPUT'].includes(document.activeElement.tagName)"):
            break
    else:
        pytest.fail("the chat box cannot be reached with Tab")
    await m.page.keyboard.type("typed without a mouse")
    await m.page.keyboard.press("Enter")
    await m.page.locator(".ssw-message .ssw-text", has_text="typed without a mouse").wait_for()


async def test_a_dropped_connection_reconnects_and_misses_nothing(web_server, join):
    party_id = await create_party(web_server)
    a = await join(party_id, "Stays")
    b = await join(party_id, "Drops")
    # B's connection breaks under it (as on a network change); A keeps chatting.
    await b.page.evaluate("window.socialsyncDemo.client.transport.socket.io.engine.close()")
    for i in range(5):
        await chat(a, f"while you were away {i}")
    missed = "window.socialsyncDemo.party.messages.filter(m => m.text.startsWith('while you were'))"
    await b.page.wait_for_function(f"() => {missed}.length === 5", timeout=15_000)
    texts = await b.page.evaluate("window.socialsyncDemo.party.messages.map(m => m.text)")
    assert texts == [f"while you were away {i}" for i in range(5)]
    await b.page.wait_for_function("() => document.querySelectorAll('.ssw-message').length === 5")
    shown = await b.page.locator(".ssw-message .ssw-text").all_text_contents()
    assert shown == texts, "each message shown once, in order"
    assert await b.page.evaluate("window.socialsyncDemo.client.connected")


async def test_host_controls_limit_control_and_promote(web_server, join):
    party_id = await create_party(web_server)
    host = await join(party_id, "Hosting")
    guest = await join(party_id, "Guesting")
    await host.page.wait_for_function("() => document.querySelectorAll('.ssw-member').length === 2")
    assert await guest.page.locator(".ssw-host").is_hidden(), "host controls are the host's"

    await host.page.get_by_label("Hosts and cohosts only").check()
    await guest.page.wait_for_function("() => window.socialsyncDemo.party.info.settings.control === 'hosts'")
    # A member's pause on its own player is refused by the party and snaps back.
    await host.page.evaluate("window.socialsyncDemo.party.control('play')")
    await guest.page.wait_for_function("() => !window.socialsyncDemo.video.paused", timeout=10_000)
    guest_id = await guest.page.evaluate("window.socialsyncDemo.client.user.id")
    await guest.page.evaluate("window.socialsyncDemo.video.pause()")
    await guest.page.wait_for_function("() => !window.socialsyncDemo.video.paused", timeout=10_000)
    # (The snap back may make the party wait a moment for the guest's player: fine.)
    state = await host.page.evaluate("window.socialsyncDemo.party.playback")
    assert state["status"] in ("playing", "waiting") and state["by"] != guest_id, state

    # Promoted to cohost, the member's pause is the party's.
    row = host.page.locator(".ssw-member", has_text="Guesting")
    await row.get_by_role("button", name="Make cohost: Guesting").click()
    await guest.page.wait_for_function("() => window.socialsyncDemo.party.you.role === 'cohost'")
    # A pause is the party's only while it plays: let a wait from the snap back end first.
    await guest.page.wait_for_function(
        "() => { const d = window.socialsyncDemo;"
        " return d.party.playback.status === 'playing' && !d.video.paused; }",
        timeout=10_000,
    )
    await guest.page.evaluate("window.socialsyncDemo.video.pause()")
    await host.page.wait_for_function(
        "() => window.socialsyncDemo.party.playback.status === 'paused'", timeout=5_000
    )
    await host.page.wait_for_function("() => window.socialsyncDemo.video.paused")
    for m in (host, guest):
        assert m.console_errors == [], m.console_errors
