"""The browser SDK on a cluster: given two nodes, it moves to the second when the
first drains (SIGTERM) or is killed (SIGKILL, while it chats), and resumes its party
with nothing lost or doubled."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time

import aiohttp
import pytest
from support import VIDEO, cluster_backend, free_port, running_server

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


class _NodeProcess:
    """A `socialsync serve` process, so that the test can SIGKILL it."""

    def __init__(self, name: str, shared: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | {
            "SOCIALSYNC_NODE_ID": name,
            "SOCIALSYNC_PORT": str(self.port),
            "SOCIALSYNC_REDIS_URL": shared["redis_url"],
            "SOCIALSYNC_REDIS_PREFIX": shared["redis_prefix"],
            "SOCIALSYNC_DATABASE_URL": shared["database_url"],
            "SOCIALSYNC_LOG_LEVEL": "warning",
            "SOCIALSYNC_LEAVE_GRACE_MS": "5000",
            "SOCIALSYNC_CHAT_BURST": "1000",
            "SOCIALSYNC_NEWCOMER_CHAT_BURST": "1000",
        }
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> _NodeProcess:
        command = (sys.executable, "-m", "socialsync", "serve")
        self.process = await asyncio.create_subprocess_exec(*command, env=self.env)
        deadline = time.monotonic() + 20
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline and self.process.returncode is None:
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{self.url}/readyz") as answer:
                        if answer.status == 200:
                            return self
                await asyncio.sleep(0.1)
        raise RuntimeError(f"node on {self.port} not ready")

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    async def __aexit__(self, *exc: object) -> None:
        await self.kill()


# Each page sends one message after another (each awaited: sendChat retries it with the
# same nonce through the fault) and keeps what was acknowledged, and its SDK's states.
CHATTER = """async ([urls, party, name]) => {
    const client = await SocialSync.SocialSync.connect({url: urls, auth: {guest: name}});
    const states = [client.state];
    client.on("state", (state) => states.push(state));
    const media = {url: "https://media.example/film.mp4", duration: 600};
    if (!party) party = (await client.createParty("Kill", media)).id;
    const session = await client.join(party);
    const me = {client, session, states, party, acked: [], failed: [], stop: false, done: false};
    window.me = me;
    (async () => {
        for (let i = 0; !me.stop; i++) {
            try {
                const message = await session.sendChat(`${name} ${i}`);
                me.acked.push(message.id);
            } catch (err) {
                me.failed.push(String(err));
            }
            await new Promise((r) => setTimeout(r, 40));
        }
        me.done = true;
    })();
    return party;
}"""


async def test_the_sdk_comes_back_through_its_states_when_its_node_is_killed(browser, tmp_path):
    async with cluster_backend() as shared, _NodeProcess("a", shared) as a, _NodeProcess("b", shared) as b:
        pages = []
        for _ in range(2):
            page = await (await browser.new_context()).new_page()
            await page.goto(f"{b.url}/healthz")
            await page.add_script_tag(url=f"{b.url}/sdk/socialsync.js")
            pages.append(page)
        victim, survivor = pages
        party = await survivor.evaluate(CHATTER, [[b.url, a.url], None, "Survivor"])
        await victim.evaluate(CHATTER, [[a.url, b.url], party, "Victim"])
        await victim.wait_for_function("() => window.me.acked.length >= 10", timeout=10_000)
        acked_before = await victim.evaluate("window.me.acked.length")

        await a.kill()  # SIGKILL: the victim's socket closes under whatever it sends

        back = "() => window.me.states.includes('connecting') && window.me.client.state === 'joined'"
        await victim.wait_for_function(back, timeout=15_000)
        await victim.wait_for_function(f"() => window.me.acked.length >= {acked_before + 10}", timeout=15_000)
        for page in pages:
            await page.evaluate("window.me.stop = true")
        for page in pages:
            await page.wait_for_function("() => window.me.done", timeout=35_000)
        acked = sorted([i for page in pages for i in await page.evaluate("window.me.acked")])
        for page in pages:
            assert await page.evaluate("window.me.failed") == []
        assert len(acked) == len(set(acked)), "an acknowledged id twice"
        for page in pages:
            await page.wait_for_function(
                f"() => {acked[-1]} <= window.me.session.lastMessageId", timeout=10_000
            )
            ids = await page.evaluate("window.me.session.messages.map((m) => m.id)")
            # Every acknowledged message exactly once, in order, and nothing else (no gaps).
            assert ids == acked, (len(ids), len(acked))
        states = await victim.evaluate("window.me.states")
        assert states[:2] == ["joined", "disconnected"], states
        assert states[-3:] == ["connecting", "joining", "joined"], states
        assert all(s in ("connecting", "joining", "joined") for s in states[2:]), states
