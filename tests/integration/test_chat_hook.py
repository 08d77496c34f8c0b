"""The chat hook end to end: a tenant admin sets a hook over REST, members chat over
Socket.IO, and a real hook (an aiohttp server on 127.0.0.1; where it is the docs' own
example, run as docs/chat-hook.md writes it) allows, masks or rejects each message, or
answers late or garbage, and the tenant's fallback applies. What members see is read
from their own clients (and the moderator's panel events); what was decided, from the
node's metrics. The party's order holds when the hook answers out of order. A server
that does not allow private targets refuses a hook on loopback, also behind a name."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from support import VIDEO, Server, free_port, running_server

from socialsync.app import METRICS, STORE
from socialsync.domain.webhooks import verify
from socialsync.edge.auth import issue_token
from socialsync.platform import AsyncSocialSync
from socialsync.sdk.client import SocialSyncClient, SocialSyncError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "chat-hook.md"
Answer = Callable[[dict[str, Any]], Awaitable[web.StreamResponse]]


@dataclass
class Call:
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return str(json.loads(self.body)["message"]["text"])


@dataclass
class Hook:
    url: str
    answer: Answer | None = None
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None
    calls: list[Call] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


@pytest.fixture
async def hook() -> AsyncIterator[Hook]:
    port = free_port()
    found = Hook(f"http://127.0.0.1:{port}/hook")

    async def take(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        found.calls.append(Call(dict(request.headers), body))
        found.arrived.set()
        if found.handler is not None:
            return await found.handler(request)
        assert found.answer is not None
        return await found.answer(json.loads(body))

    app = web.Application()
    app.router.add_post("/hook", take)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield found
    await runner.cleanup()


def answering(payload: dict[str, Any], delay_s: float = 0.0) -> Answer:
    async def answer(call: dict[str, Any]) -> web.StreamResponse:
        await asyncio.sleep(delay_s)
        return web.json_response(payload)

    return answer


async def admin_token(server: Server) -> str:
    tenant = await server.app[STORE].get_tenant("demo")
    assert tenant is not None
    return issue_token(tenant, "admin-1", "Ada", ["admin"], 600, int(time.time()))


async def settings(server: Server, method: str = "GET", body: Any = None) -> tuple[int, dict[str, Any]]:
    token = await admin_token(server)
    async with (
        aiohttp.ClientSession() as http,
        http.request(
            method,
            server.url + "/api/v1/tenant/settings",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        ) as answer,
    ):
        return answer.status, await answer.json()


async def set_hook(server: Server, **fields: Any) -> dict[str, Any]:
    status, answer = await settings(server, "PUT", {"chat_hook": fields})
    assert status == 200, answer
    return dict(answer["settings"]["chat_hook"])


def outcomes(server: Server) -> dict[str, int]:
    page = server.app[METRICS].render().decode()
    found = re.findall(r'^socialsync_chat_hook_total\{outcome="(\w+)"\} ([0-9.]+)$', page, re.M)
    return {name: int(float(n)) for name, n in found if float(n)}


def texts(client: SocialSyncClient, party: str) -> list[str]:
    return [m["text"] for m in client.messages[party]]


def spy(client: SocialSyncClient) -> list[tuple[str, Any]]:
    """Every event the client receives, raw, before the SDK looks at it."""
    seen: list[tuple[str, Any]] = []
    original = client._on_event

    async def record(event: str, *args: Any) -> None:
        seen.append((event, args))
        await original(event, *args)

    client._on_event = record  # type: ignore[method-assign]
    return seen


def docs_hook() -> dict[str, Any]:
    """The two blocks of docs/chat-hook.md's "Verifying a request", run as written."""
    text = DOCS.read_text()
    section = text[text.index("## Verifying a request") : text.index("## Order")]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 2 and len(blocks[0].strip().splitlines()) <= 14
    scope: dict[str, Any] = {}
    for block in blocks:
        exec(compile(block, str(DOCS), "exec"), scope)
    return scope


async def test_the_docs_hook_allows_masks_and_rejects_and_only_the_sender_hears_why(
    server: Server, hook: Hook, party, moderator: SocialSyncClient
) -> None:
    async with AsyncSocialSync(server.url, token=await admin_token(server)) as platform:  # the platform SDK
        made = (await platform.tenant.update_settings(chat_hook={"url": hook.url})).chat_hook
    assert made is not None and made.secret is not None
    secret = made.secret
    assert secret.startswith("whsec_") and made.timeout_ms == 300 and made.on_timeout == "allow"
    status, shown = await settings(server)
    assert status == 200 and shown["settings"]["chat_hook"]["url"] == hook.url
    assert secret[6:] not in json.dumps(shown)
    scope = docs_hook()
    scope["SECRET"] = secret
    hook.handler = scope["chat_hook"]

    party_id, (host, guest, other) = await party(3)
    await moderator.request("mod.watch", {"party": party_id})
    others_saw = spy(other)
    assert (await host.send_chat(party_id, "hello all"))["text"] == "hello all"
    observing = asyncio.create_task(moderator.wait_for("mod.message", lambda m: m["text"] == "well **** it"))
    masked = await guest.send_chat(party_id, "well darn it")
    assert masked["text"] == "well **** it"
    observed = await observing
    assert observed["original"] == "well darn it" and observed["reasons"][-1] == "chat_hook"
    with pytest.raises(SocialSyncError) as refused:
        await guest.send_chat(party_id, "big Spoiler: he dies", attempts=1)
    assert (refused.value.code, refused.value.message) == ("moderated", "No spoilers in this room")
    after = await host.send_chat(party_id, "after that")

    await other.wait_until(lambda: "after that" in texts(other, party_id))
    assert texts(other, party_id) == ["hello all", "well **** it", "after that"]
    assert after["id"] == masked["id"] + 1  # the rejected message never took an id
    assert "he dies" not in json.dumps(others_saw) and "darn" not in json.dumps(others_saw)
    assert "he dies" not in json.dumps(await other.history(party_id))
    assert outcomes(server) == {"allowed": 2, "masked": 1, "rejected": 1}
    for call in hook.calls:  # each request verifies with the domain's verify as well
        assert verify(secret, call.headers, call.body, time.time())["user"]["id"]

    # A rotation: the new secret is shown once and both sign for a day.
    rotated = (await set_hook(server, rotate_secret=True))["secret"]
    await host.send_chat(party_id, "signed twice")
    last = hook.calls[-1]
    assert len(last.headers["webhook-signature"].split()) == 2
    for key in (secret, rotated):
        scope["verify"](key, last.headers, last.body)
    # Removed: messages go straight through.
    status, _ = await settings(server, "PUT", {"chat_hook": None})
    calls = len(hook.calls)
    await host.send_chat(party_id, "no hook now")
    assert status == 200 and len(hook.calls) == calls


async def test_a_hook_too_slow_falls_back_to_allow_or_to_the_review_queue(
    server: Server, hook: Hook, party, moderator: SocialSyncClient
) -> None:
    hook.answer = answering({"action": "reject", "reason": "too late to matter"}, delay_s=1.0)
    await set_hook(server, url=hook.url, timeout_ms=100, on_timeout="allow")
    party_id, (host, other) = await party(2)
    await moderator.request("mod.watch", {"party": party_id})

    started = time.monotonic()
    delivered = await host.send_chat(party_id, "slow but allowed")
    assert time.monotonic() - started < 0.7 and delivered["text"] == "slow but allowed"

    await set_hook(server, on_timeout="hold")
    others_saw = spy(other)
    held_event = asyncio.create_task(moderator.wait_for("mod.held"))
    assert (await host.send_chat(party_id, "slow and held"))["held"] is True
    held = await held_event
    assert (held["text"], held["reasons"]) == ("slow and held", ["chat_hook:timeout"])
    assert "slow and held" not in json.dumps(others_saw)

    await moderator.request("mod.review", {"party": party_id, "held": held["id"], "decision": "approve"})
    await other.wait_until(lambda: "slow and held" in texts(other, party_id))
    assert outcomes(server) == {"timeout": 2}


async def test_a_hook_answering_garbage_is_an_error_and_gets_the_fallback(
    server: Server, hook: Hook, party, moderator: SocialSyncClient
) -> None:
    garbage = iter(
        [
            web.Response(text="OK"),
            web.Response(status=500, text='{"action": "allow"}'),
            web.json_response({"action": "mask", "spans": [[0, 999]]}),
            web.Response(status=302, headers={"Location": "http://127.0.0.1:1/"}),
        ]
    )

    async def answer(call: dict[str, Any]) -> web.StreamResponse:
        return next(garbage)

    hook.answer = answer
    await set_hook(server, url=hook.url, on_timeout="allow")
    party_id, (host, other) = await party(2)
    for text in ("plain ok", "server error"):
        assert (await host.send_chat(party_id, text))["text"] == text
    await set_hook(server, on_timeout="hold")
    await moderator.request("mod.watch", {"party": party_id})
    for text in ("bad spans", "a redirect"):
        held_event = asyncio.create_task(moderator.wait_for("mod.held", lambda m, t=text: m["text"] == t))
        assert (await host.send_chat(party_id, text))["held"] is True
        assert (await held_event)["reasons"] == ["chat_hook:error"]
    await other.wait_until(lambda: texts(other, party_id) == ["plain ok", "server error"])
    assert outcomes(server) == {"error": 4} and len(hook.calls) == 4


async def test_the_party_keeps_the_order_it_accepted_while_the_hook_answers_last_first(
    server: Server, hook: Hook, party
) -> None:
    """Eight messages from three members, each sent once the hook has the one before
    (so the server accepted them in this order); the hook answers them last first.
    Every member gets them in that order, and the ids follow it."""
    count = 8
    released = [asyncio.Event() for _ in range(count)]

    async def answer(call: dict[str, Any]) -> web.StreamResponse:
        await released[int(call["message"]["text"].split()[-1])].wait()
        return web.json_response({"action": "allow"})

    hook.answer = answer
    await set_hook(server, url=hook.url, timeout_ms=2000)
    party_id, members = await party(4)
    senders, watcher = members[:3], members[3]
    sends = []
    for i in range(count):
        hook.arrived.clear()
        sends.append(asyncio.create_task(senders[i % 3].send_chat(party_id, f"message {i}")))
        await asyncio.wait_for(hook.arrived.wait(), 5)
    assert [c.text for c in hook.calls] == [f"message {i}" for i in range(count)]
    for event in reversed(released):
        event.set()
        await asyncio.sleep(0.02)
    sent = await asyncio.gather(*sends)

    ids = [m["id"] for m in sent]
    assert ids == sorted(ids) and len(set(ids)) == count
    expected = [f"message {i}" for i in range(count)]
    for member in members:
        await member.wait_until(lambda m=member: len(texts(m, party_id)) == count)
        assert texts(member, party_id) == expected  # the SDK drops an id that comes after a higher one
    assert [m["text"] for m in await watcher.history(party_id)][::-1] == expected


async def test_a_server_without_private_targets_refuses_a_hook_on_loopback(tmp_path, hook: Hook) -> None:
    hook.answer = answering({"action": "reject"})
    port = int(hook.url.split(":")[2].split("/")[0])
    async with running_server(tmp_path, webhook_private_targets=False) as server:
        for url in (hook.url, "http://[::ffff:127.0.0.1]:9/", "http://169.254.169.254/latest/meta-data"):
            status, answer = await settings(server, "PUT", {"chat_hook": {"url": url}})
            assert status == 400 and "private" in answer["error"]["message"], answer
        # A name that resolves to loopback passes the first look, then is refused on connecting.
        await set_hook(server, url=f"http://localhost:{port}/hook", on_timeout="allow")
        client = SocialSyncClient(server.url, guest="Host")
        await client.connect()
        try:
            party_id = (await client.create_party("Film", VIDEO))["id"]
            await client.join(party_id)
            assert (await client.send_chat(party_id, "never seen by the hook"))[
                "text"
            ] == "never seen by the hook"
        finally:
            await client.close()
        assert hook.calls == [] and outcomes(server) == {"error": 1}
