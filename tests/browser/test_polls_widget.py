"""The widget's poll card in Chromium, as people use it: the host starts a poll from the
widget's form, members vote with named buttons and see live bars, a late joiner gets the
card, the host ends it and everyone sees the result; announced politely; axe-core finds
nothing serious in the card (open, and ended)."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import ARTIFACTS, Member, create_party
from playwright.async_api import expect

pytestmark = pytest.mark.browser

AXE_JS = Path(__file__).resolve().parents[2] / "web_client" / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Everything the widget says politely, from now on (the region is emptied before each).
LISTEN = """() => {
    window.__said = [];
    const region = document.querySelector('.ssw > [aria-live=polite]');
    new MutationObserver(() => { if (region.textContent) window.__said.push(region.textContent); })
        .observe(region, {childList: true, characterData: true, subtree: true});
}"""


async def said(member: Member) -> list[str]:
    return await member.page.evaluate("() => window.__said")


async def serious_in_card(member: Member) -> list[dict]:
    page = member.page
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate("(source) => { (0, eval)(source); }", AXE_JS.read_text())
    violations = await page.evaluate(
        """async (tags) => {
            const r = await axe.run('.ssw-polls', {runOnly: {type: 'tag', values: tags}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}));
        }""",
        WCAG,
    )
    return [v for v in violations if v["impact"] in ("serious", "critical")]


async def test_a_poll_from_the_widget_votes_live_bars_a_late_joiner_and_the_result(web_server, join):
    ARTIFACTS.mkdir(exist_ok=True)
    party_id = await create_party(web_server)
    ann = await join(party_id, "Ann")  # the first to join hosts it
    ben = await join(party_id, "Ben")
    for member in (ann, ben):
        await member.page.evaluate(LISTEN)
    assert (
        await ben.page.locator(".ssw-poll-start").count() == 0
        or not await ben.page.locator(".ssw-poll-start").is_visible()
    ), "a plain member starts no poll"

    # The host fills the widget's form.
    page = ann.page
    await page.get_by_role("button", name="Start a poll").click()
    await page.get_by_label("Question").fill("Best film tonight?")
    await page.get_by_label("Choice 1").fill("Alien")
    await page.get_by_label("Choice 2").fill("Heat")
    await page.get_by_role("button", name="Add a choice").click()
    await page.get_by_label("Choice 3").fill("Up")
    await page.get_by_label("Voting lasts").select_option(label="2 minutes")
    await page.get_by_role("button", name="Start", exact=True).click()

    # Every member gets the card, with a named button per choice.
    for member in (ann, ben):
        await expect(member.page.locator(".ssw-poll-question")).to_have_text("Best film tonight?")
        await expect(member.page.get_by_role("button", name="Vote: Heat")).to_be_visible()
    await ben.page.get_by_role("button", name="Vote: Up").click()
    await ann.page.get_by_role("button", name="Vote: Up").click()
    up = ".ssw-poll-row:nth-child(3) .ssw-poll-count"
    for member in (ann, ben):
        await expect(member.page.locator(up)).to_have_text("2 votes · 100%")
        await expect(member.page.get_by_role("button", name="Vote: Heat")).to_have_count(0)
        await expect(member.page.locator(".ssw-poll-row-mine .ssw-poll-label")).to_have_text("Up")
    width = await ben.page.evaluate(
        "() => document.querySelector('.ssw-poll-row:nth-child(3) .ssw-poll-fill').style.inlineSize"
    )
    assert width == "100%"
    await ann.page.screenshot(path=str(ARTIFACTS / "poll-open-host.png"), full_page=True)
    assert await serious_in_card(ben) == []

    # A member who joins now gets the poll as it stands, and votes too.
    cy = await join(party_id, "Cy")
    await expect(cy.page.locator(".ssw-poll-question")).to_have_text("Best film tonight?")
    await expect(cy.page.locator(up)).to_have_text("2 votes · 100%")
    await cy.page.get_by_role("button", name="Vote: Alien").click()
    await expect(ben.page.locator(".ssw-poll-row:nth-child(1) .ssw-poll-count")).to_have_text("1 vote · 33%")

    # The host ends it: the result for everyone.
    await ann.page.get_by_role("button", name="End poll").click()
    for member in (ann, ben, cy):
        await expect(member.page.locator(".ssw-poll-status")).to_have_text("Final result · 3 votes")
        await expect(member.page.locator(".ssw-poll-row-winner .ssw-poll-label")).to_have_text("Up")
    await ben.page.screenshot(path=str(ARTIFACTS / "poll-ended-member.png"), full_page=True)
    assert await serious_in_card(ben) == []

    heard = await said(ben)
    assert "New poll: Best film tonight?" in heard
    assert "You voted: Up" in heard
    assert "“Best film tonight?” has ended: Up wins. Alien 1, Heat 0, Up 2" in heard
    for member in (ann, ben, cy):
        assert member.console_errors == [], (member.name, member.console_errors)
