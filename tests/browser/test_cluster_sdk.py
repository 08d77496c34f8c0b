"""The browser SDK on a cluster: given two nodes, it moves to the second when the
first drains (SIGTERM), and resumes its party with nothing lost or doubled."""

from __future__ import annotations

import time

import pytest
from support import VIDEO, cluster_backend, running_server

from socialsync.app import DRAIN, DRAIN_MS
from socialsync.sdk.client import SocialSyncClient

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.postgres]


async def test_the_sdk_moves_to_the_next_node_when_its_node_drains(browser, tmp_path):
    async with cluster_backend() as shared:
        async with (
            running_server(tmp_path / "a", node_id="a", leave_grace_ms=5_000, **shared) as a,
            running_server(tmp_path / "b", node_id="b", leave_grace_ms=5_000, **shared) as b,
        ):
            host = SocialSyncClient(b.url, guest="Host")
            await host.connect()
            try:
                party = (await host.create_party("Drain", VIDEO))["id"]
                await host.join(party)
                await host.send_chat(party, "before the drain")
                page = await (await browser.new_context()).new_page()
                await page.goto(f"{b.url}/healthz")
                await page.add_script_tag(url=f"{b.url}/sdk/socialsync.js")
                await page.evaluate(
                    """async ([urls, party]) => {
                        const client = await SocialSync.SocialSync.connect({url: urls, auth: {guest: "Web"}});
                        const session = await client.join(party);
                        window.seen = {client, session, reconnected: 0};
                        client.on("reconnected", () => { window.seen.reconnected += 1; });
                    }""",
                    [[a.url, b.url], party],
                )
                assert await page.evaluate("window.seen.session.messages.length") == 1
                started = time.monotonic()
                await a.app[DRAIN]()  # what SIGTERM does, once the node stopped listening
                # It returns once the node's sockets are gone: the SDK left when told,
                # before the node would have closed it (DRAIN_MS).
                assert time.monotonic() - started < DRAIN_MS / 1000 * 0.9
                await page.wait_for_function("() => window.seen.reconnected === 1", timeout=10_000)
                await host.send_chat(party, "after the drain")
                await page.wait_for_function("() => window.seen.session.messages.length === 2", timeout=5_000)
                texts = await page.evaluate("window.seen.session.messages.map((m) => m.text)")
                assert texts == ["before the drain", "after the drain"]
                members = await page.evaluate("window.seen.session.memberList().map((m) => m.name)")
                assert sorted(members) == ["Host", "Web"]
            finally:
                await host.close()
