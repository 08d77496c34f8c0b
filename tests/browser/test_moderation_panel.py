"""The moderation panel (/moderation/) as moderators use it, against viewers on the demo page."""

from __future__ import annotations

import time

import pytest
from browser_support import ARTIFACTS, Member, create_party
from playwright.async_api import expect

from socialsync.app import STORE
from socialsync.edge.auth import issue_token

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=alert(1)>"


async def token_for(server, user_id: str, name: str, roles: list[str]) -> str:
    tenant = await server.app[STORE].get_tenant("demo")
    return issue_token(tenant, user_id, name, roles, 600, int(time.time()))


@pytest.fixture
async def panel(browser, web_server):
    """panel(token=None) -> a Member on the moderation page (signed in when given a token)."""
    opened: list[Member] = []

    async def make(token: str | None = None, viewport=(1280, 900), ready: bool = True) -> Member:
        context = await browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        page = await context.new_page()
        member = Member("moderator", context, page)
        page.on("dialog", lambda d: member.console_errors.append(f"dialog opened: {d.message}"))
        opened.append(member)
        # In the fragment, never sent to the server (the page takes it out of the URL).
        fragment = f"#token={token}" if token else ""
        await page.goto(f"{web_server.url}/moderation/index.html{fragment}")
        if ready:
            await page.locator("body[data-state=ready]").wait_for(state="attached", timeout=15_000)
        return member

    yield make
    for member in opened:
        await member.context.close()


async def moderator(panel, web_server, name: str = "Moe", viewport=(1280, 900)) -> Member:
    return await panel(await token_for(web_server, "mod-1", name, ["moderator"]), viewport=viewport)


async def watch(mod: Member, party_id: str) -> None:
    """Choose the room in the list, as a moderator would."""
    await mod.page.locator(f".mp-room-button[data-party='{party_id}']").click()
    await expect(mod.page.locator("body")).to_have_attribute("data-watching", party_id, timeout=10_000)


async def chat(member: Member, text: str) -> None:
    box = member.page.locator(".ssw-composer textarea, .ssw-composer input[type=text]").first
    await box.fill(text)
    await box.press("Enter")


def panel_message(mod: Member, text: str):
    return mod.page.locator("#chat-list .mp-msg", has=mod.page.locator(".mp-text", has_text=text))


def widget_message(member: Member, text: str):
    return member.page.locator(".ssw-message .ssw-text", has_text=text)


async def message_id(member: Member, text: str) -> int:
    return await member.page.evaluate(
        "(t) => window.socialsyncDemo.party.messages.find(m => m.text === t).id", text
    )


async def test_a_moderator_deletes_a_message_and_the_viewers_widget_loses_it(web_server, join, panel):
    party_id = await create_party(web_server)
    ann = await join(party_id, "Ann")
    ben = await join(party_id, "Ben")
    await chat(ann, "buy cheap followers now")
    await widget_message(ben, "buy cheap followers now").wait_for()

    mod = await moderator(panel, web_server)
    assert "token=" not in mod.page.url, "the token leaves the address bar"
    await mod.page.get_by_text("Moe", exact=True).wait_for()
    room = mod.page.locator(f".mp-room-button[data-party='{party_id}']")
    await room.wait_for()
    assert "2 members" in await room.inner_text()
    await watch(mod, party_id)

    # The history came with the watch; new messages stream in below it.
    await panel_message(mod, "buy cheap followers now").wait_for()
    await chat(ben, "hello everyone")
    await panel_message(mod, "hello everyone").wait_for()
    texts = await mod.page.locator("#chat-list .mp-text").all_text_contents()
    assert texts[-2:] == ["buy cheap followers now", "hello everyone"], "newest at the bottom"
    # What the filter masked says so.
    await chat(ben, "what the shit")
    rude = panel_message(mod, "what the")
    await rude.locator(".mp-badge-mask", has_text="masked").wait_for()
    assert await panel_message(mod, "hello everyone").locator(".mp-badge").count() == 0

    await mod.page.fill("#reason", "spam")
    await panel_message(mod, "buy cheap followers now").get_by_role("button", name="Delete").click()
    await mod.page.locator("#action-status", has_text="Deleted").wait_for()
    for viewer in (ann, ben):
        await widget_message(viewer, "buy cheap followers now").wait_for(state="detached", timeout=5_000)
    await widget_message(ann, "hello everyone").wait_for()
    deleted = panel_message(mod, "buy cheap followers now")
    await deleted.locator(".mp-badge-deleted").wait_for()
    assert await deleted.get_by_role("button", name="Delete").is_disabled()

    # The audit log has it, with the reason; it is read-only.
    await mod.page.get_by_role("tab", name="Audit log").click()
    entry = mod.page.locator("#audit-list .mp-audit-entry").first
    await entry.wait_for()
    assert "Moe" in await entry.inner_text()
    assert "spam" in await entry.inner_text()
    assert await mod.page.locator("#panel-audit button:not([hidden]), #panel-audit input").count() == 0
    await mod.page.screenshot(path=str(ARTIFACTS / "moderation-audit.png"), full_page=True)

    ARTIFACTS.mkdir(exist_ok=True)
    await mod.page.get_by_role("tab", name="Live chat").click()
    await mod.page.screenshot(path=str(ARTIFACTS / "moderation-delete.png"), full_page=True)
    for m in (mod, ann, ben):
        assert m.console_errors == [], (m.name, m.console_errors)


async def test_three_reports_hold_a_message_and_approving_brings_it_back(web_server, join, panel):
    party_id = await create_party(web_server)
    author = await join(party_id, "Author")
    reporters = [await join(party_id, name) for name in ("Rae", "Sid", "Tia")]
    await chat(author, "a borderline joke")
    for r in reporters:
        await widget_message(r, "a borderline joke").wait_for()
    msg_id = await message_id(author, "a borderline joke")

    mod = await moderator(panel, web_server)
    await watch(mod, party_id)
    await panel_message(mod, "a borderline joke").wait_for()

    for r in reporters:
        await r.page.evaluate(
            "([p, id]) => window.socialsyncDemo.client.request("
            "'chat.report', {party: p, id, reason: 'offensive'})",
            [party_id, msg_id],
        )
    # Held: gone for everybody, waiting in the review queue; the reports are listed too.
    for viewer in (author, *reporters):
        await widget_message(viewer, "a borderline joke").wait_for(state="detached", timeout=5_000)
    await expect(mod.page.locator("#queue-count")).to_have_text("1")
    await expect(mod.page.locator("#reports-count")).to_have_text("1")
    await mod.page.get_by_role("tab", name="Reports").click()
    report = mod.page.locator("#reports-list .mp-report").first
    await report.locator(".mp-badge-report", has_text="3 reports").wait_for()
    assert "offensive" in await report.inner_text()
    await mod.page.screenshot(path=str(ARTIFACTS / "moderation-reports.png"), full_page=True)

    await mod.page.get_by_role("tab", name="Review queue").click()
    held = mod.page.locator("#queue-list .mp-held", has_text="a borderline joke")
    await held.wait_for()
    await mod.page.screenshot(path=str(ARTIFACTS / "moderation-queue.png"), full_page=True)
    await held.get_by_role("button", name="Approve").click()
    await held.wait_for(state="detached")
    await expect(mod.page.locator("#queue-count")).to_have_text("0")
    await mod.page.locator("#action-status", has_text="Approved").wait_for()
    # Back for everybody, in its place, and no longer struck here.
    for viewer in (author, reporters[0]):
        await widget_message(viewer, "a borderline joke").wait_for(timeout=5_000)
    await expect(panel_message(mod, "a borderline joke").locator(".mp-badge-deleted")).to_have_count(0)
    await expect(mod.page.locator("#reports-count")).to_have_text("0")
    for m in (mod, author, *reporters):
        assert m.console_errors == [], (m.name, m.console_errors)


async def test_a_link_the_filter_holds_is_delivered_once_approved(web_server, join, panel):
    # Live rooms hold links to unknown sites for a moderator.
    party_id = await create_party(web_server, type="live_room")
    poster = await join(party_id, "Poster")
    watcher = await join(party_id, "Watcher")
    mod = await moderator(panel, web_server)
    await expect(mod.page.locator(f".mp-room-button[data-party='{party_id}']")).to_contain_text("Live room")
    await watch(mod, party_id)

    link = "great stream, more at https://unknown-site.example/watch"
    sent = await poster.page.evaluate("(t) => window.socialsyncDemo.party.sendChat(t)", link)
    assert sent is not None and sent.get("held") is True and sent["text"] == link, (
        "the filter must hold a link to an unknown site in a live room"
    )
    await mod.page.get_by_role("tab", name="Review queue").click()
    held = mod.page.locator("#queue-list .mp-held", has_text="unknown-site.example")
    await held.wait_for()
    assert "held by the filter" in await held.inner_text()
    assert await widget_message(watcher, "unknown-site").count() == 0
    await held.get_by_role("button", name="Approve").click()
    await widget_message(watcher, "unknown-site.example").wait_for(timeout=5_000)
    await expect(mod.page.locator("#queue-count")).to_have_text("0")
    for m in (mod, poster, watcher):
        assert m.console_errors == [], (m.name, m.console_errors)


async def test_a_timed_out_viewer_cannot_send(web_server, join, panel):
    party_id = await create_party(web_server)
    loud = await join(party_id, "Loud")
    calm = await join(party_id, "Calm")
    await chat(loud, "FIRST!!!")
    mod = await moderator(panel, web_server)
    await watch(mod, party_id)
    await panel_message(mod, "FIRST!!!").get_by_role("button", name="Timeout 60 s").click()
    await mod.page.locator("#action-status", has_text="may not chat").wait_for()

    await chat(loud, "you cannot stop me")
    await loud.page.locator(".ssw-chat .ssw-error", has_text="not allowed").wait_for(timeout=5_000)
    await chat(calm, "peace at last")
    await widget_message(loud, "peace at last").wait_for()
    await panel_message(mod, "peace at last").wait_for()
    assert await widget_message(calm, "you cannot stop me").count() == 0
    assert await panel_message(mod, "you cannot stop me").count() == 0
    for m in (mod, calm):
        assert m.console_errors == [], (m.name, m.console_errors)


async def test_shadow_mute_hides_a_users_messages_from_everyone_else(web_server, join, panel):
    party_id = await create_party(web_server)
    troll = await join(party_id, "Troll")
    other = await join(party_id, "Other")
    await chat(troll, "first troll message")
    mod = await moderator(panel, web_server)
    await watch(mod, party_id)
    toggle = panel_message(mod, "first troll message").get_by_role("button", name="Shadow-mute")
    await toggle.click()
    await expect(toggle).to_have_attribute("aria-pressed", "true")
    await chat(troll, "nobody hears this")
    await widget_message(troll, "nobody hears this").wait_for()
    hidden = panel_message(mod, "nobody hears this")
    await hidden.locator(".mp-badge-hidden").wait_for()
    await chat(other, "quiet in here")
    await widget_message(other, "quiet in here").wait_for()
    await widget_message(troll, "quiet in here").wait_for()
    assert await widget_message(other, "nobody hears this").count() == 0
    for m in (mod, troll, other):
        assert m.console_errors == [], (m.name, m.console_errors)


async def test_room_settings_reach_the_members(web_server, join, panel):
    party_id = await create_party(web_server)
    viewer = await join(party_id, "Vic")
    mod = await moderator(panel, web_server)
    await watch(mod, party_id)
    await mod.page.get_by_role("tab", name="Room settings").click()
    await mod.page.get_by_label("Slow mode").fill("5")
    await mod.page.get_by_label("Blocked terms").fill("badword\n\nbadword\nworse")
    await mod.page.get_by_role("button", name="Save").click()
    await mod.page.locator("#action-status", has_text="saved").wait_for()
    await viewer.page.wait_for_function(
        "() => window.socialsyncDemo.party.rules?.slow_mode_s === 5", timeout=5_000
    )
    rules = await viewer.page.evaluate("window.socialsyncDemo.party.rules")
    assert rules["blocked_terms"] == ["badword", "worse"]
    assert await mod.page.input_value("#blocked-terms") == "badword\nworse"
    # Out of range is refused in the form, before the server.
    await mod.page.get_by_label("Slow mode").fill("500")
    await mod.page.get_by_role("button", name="Save").click()
    assert await mod.page.evaluate("document.getElementById('slow-mode').validity.valid") is False
    await mod.page.screenshot(path=str(ARTIFACTS / "moderation-settings.png"), full_page=True)
    assert mod.console_errors == []


async def test_user_text_is_shown_as_text_and_the_panel_works_on_a_phone(web_server, join, panel):
    party_id = await create_party(web_server)
    viewer = await join(party_id, "Hax")
    await chat(viewer, HOSTILE)
    mod = await moderator(panel, web_server, viewport=(390, 844))
    await watch(mod, party_id)
    await panel_message(mod, HOSTILE).wait_for()
    assert await mod.page.locator("#chat-list img").count() == 0
    width = await mod.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "nothing may overflow sideways"
    await mod.page.screenshot(path=str(ARTIFACTS / "moderation-phone.png"), full_page=True)
    assert mod.console_errors == []


async def test_the_panel_is_usable_from_the_keyboard(web_server, join, panel):
    party_id = await create_party(web_server)
    viewer = await join(party_id, "Kay")
    await chat(viewer, "press the keys")
    mod = await moderator(panel, web_server)
    await mod.page.locator(f".mp-room-button[data-party='{party_id}']").focus()
    await mod.page.keyboard.press("Enter")
    await expect(mod.page.locator("body")).to_have_attribute("data-watching", party_id)
    # Tabs: arrow keys move between them.
    await mod.page.get_by_role("tab", name="Live chat").focus()
    await mod.page.keyboard.press("ArrowRight")
    assert await mod.page.evaluate("document.activeElement.id") == "tab-queue"
    assert await mod.page.locator("#panel-queue").is_visible()
    await mod.page.keyboard.press("ArrowLeft")
    # A ban asks first; Escape backs out, and focus returns to the button.
    ban = panel_message(mod, "press the keys").get_by_role("button", name="Ban from room")
    await ban.focus()
    await mod.page.keyboard.press("Enter")
    await mod.page.locator(".mp-confirm").wait_for()
    await mod.page.keyboard.press("Escape")
    await mod.page.locator(".mp-confirm").wait_for(state="detached")
    assert await mod.page.evaluate("document.activeElement.textContent") == "Ban from room"
    # Confirmed, the viewer is banned and leaves.
    await mod.page.keyboard.press("Enter")
    await mod.page.get_by_role("button", name="Ban Kay").click()
    await mod.page.locator("#action-status", has_text="banned").wait_for()
    await viewer.page.wait_for_function("() => document.body.dataset.state !== 'joined'", timeout=5_000)
    assert mod.console_errors == []


async def test_a_viewer_token_cannot_use_the_panel(web_server, join, panel):
    party_id = await create_party(web_server)
    await join(party_id, "Host")  # the first viewer hosts it
    page_user = await panel(await token_for(web_server, "viewer-9", "Vera", ["viewer"]))
    notice = page_user.page.locator("#role-notice")
    await notice.wait_for()
    assert "moderator" in await notice.inner_text()
    await page_user.page.locator("#rooms-error", has_text="forbidden").wait_for()
    # Nor by naming a room: she is no host of it.
    await page_user.page.fill("#room-id", party_id)
    await page_user.page.get_by_role("button", name="Watch").click()
    await page_user.page.locator("#rooms-error", has_text="forbidden").wait_for()
    assert await page_user.page.evaluate("document.body.dataset.watching") is None
    await page_user.page.screenshot(path=str(ARTIFACTS / "moderation-forbidden.png"), full_page=True)
    assert page_user.console_errors == []


async def test_sign_in_with_a_pasted_token(web_server, panel):
    page_user = await panel(ready=False)
    page = page_user.page
    await page.locator("body[data-state=signin]").wait_for(state="attached")
    await page.get_by_label("Moderator token").fill("not-a-token")
    await page.get_by_role("button", name="Sign in").click()
    await page.locator("#signin-error", has_text="unauthorized").wait_for()
    token = await token_for(web_server, "mod-2", "Mia", ["admin"])
    await page.get_by_label("Moderator token").fill(token)
    await page.get_by_role("button", name="Sign in").click()
    await page.locator("body[data-state=ready]").wait_for(state="attached")
    assert await page.locator("#who-roles").inner_text() == "admin"
    assert await page.locator("#role-notice").is_hidden()
    # The token stays for this tab: a reload signs in again.
    await page.reload()
    await page.locator("body[data-state=ready]").wait_for(state="attached")
    assert page_user.console_errors == []


async def test_the_token_is_never_sent_to_the_server_in_a_url(web_server, panel):
    """A ``#token=`` fragment signs in and leaves the URL at once; a ``?token=`` query
    (which reaches the server and its balancer's logs) is refused and removed."""
    token = await token_for(web_server, "mod-3", "Max", ["moderator"])
    member = await panel(ready=False)
    page = member.page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    await page.goto("about:blank")  # a page load, not a same-page fragment change
    await page.goto(f"{web_server.url}/moderation/index.html#token={token}")
    await page.locator("body[data-state=ready]").wait_for(state="attached", timeout=15_000)
    assert "token" not in page.url
    assert not [u for u in requested if token in u], "the token in no request's URL"

    await page.evaluate("() => sessionStorage.clear()")
    await page.goto(f"{web_server.url}/moderation/index.html?token={token}")
    await page.locator("body[data-state=signin]").wait_for(state="attached")
    await page.locator("#signin-error", has_text="not accepted").wait_for()
    assert "token" not in page.url
    assert await page.evaluate("() => sessionStorage.length") == 0
    assert member.console_errors == []


async def test_the_panel_watches_again_after_a_dropped_connection(web_server, join, panel):
    party_id = await create_party(web_server)
    viewer = await join(party_id, "Dee")
    await chat(viewer, "before the drop")
    mod = await moderator(panel, web_server)
    await watch(mod, party_id)
    await panel_message(mod, "before the drop").wait_for()
    await mod.page.evaluate(
        """async () => {
            const c = window.socialsyncPanel.client;
            const back = new Promise((resolve) => c.on("reconnected", resolve));
            c.transport.socket.io.engine.close();
            await back;
        }"""
    )
    await expect(mod.page.locator("body")).to_have_attribute("data-watching", party_id)
    await chat(viewer, "after the drop")
    await panel_message(mod, "after the drop").wait_for()
    assert await panel_message(mod, "before the drop").count() == 1
    await expect(mod.page.locator("#connection")).to_have_text("")
    assert mod.console_errors == []
