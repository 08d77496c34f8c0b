"""Webhooks end to end: a tenant admin adds an endpoint over REST, members create and join
a party over Socket.IO and a moderator acts, and a real receiver on 127.0.0.1 gets each
event signed; it verifies with the domain's ``verify`` and with the standalone snippet
of docs/webhooks.md, run as it is written there. The SSRF policy refuses loopback
targets on a server that does not allow them, also behind a name."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from support import VIDEO, Server, free_port, running_server

from socialsync.app import STORE
from socialsync.domain.webhooks import verify
from socialsync.edge.auth import issue_token

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at_s: float

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    status: int = 200
    got: list[Received] = field(default_factory=list)

    def of(self, kind: str) -> list[Received]:
        return [r for r in self.got if r.event["type"] == kind]

    async def until(self, condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            assert time.monotonic() < deadline, (
                f"not received in time; got {[r.event['type'] for r in self.got]}"
            )
            await asyncio.sleep(0.02)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    port = free_port()
    found = Receiver(f"http://127.0.0.1:{port}/hooks")

    async def take(request: web.Request) -> web.Response:
        found.got.append(Received(dict(request.headers), await request.read(), time.time()))
        return web.Response(status=found.status)

    app = web.Application()
    app.router.add_post("/hooks", take)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield found
    await runner.cleanup()


async def admin_token(server: Server) -> str:
    tenant = await server.app[STORE].get_tenant("demo")
    assert tenant is not None
    return issue_token(tenant, "admin-1", "Ada", ["admin"], 600, int(time.time()))


async def rest(server: Server, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(
            method, server.url + path, json=body, headers={"Authorization": f"Bearer {token}"}
        ) as answer,
    ):
        return answer.status, await answer.json()


def docs_verify() -> Callable[..., Any]:
    """The ``verify`` of the standalone snippet in docs/webhooks.md, exactly as written."""
    text = DOCS.read_text()
    section = text[text.index("## Verifying a delivery") :]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)[:1]
    assert len(code.strip().splitlines()) <= 14, "the snippet is meant to stay short"
    scope: dict[str, Any] = {}
    exec(compile(code, str(DOCS), "exec"), scope)
    return scope["verify"]


async def test_a_receiver_gets_party_member_and_moderation_events_signed_and_verifiable(
    server: Server, receiver: Receiver, connect, moderator
) -> None:
    token = await admin_token(server)
    status, made = await rest(
        server,
        token,
        "POST",
        "/api/v1/webhooks/endpoints",
        {"url": receiver.url, "events": ["party.*", "member.joined", "message.*", "moderation.action"]},
    )
    assert status == 201, made
    secret = made["secret"]
    endpoint_id = made["endpoint"]["id"]
    assert secret.startswith("whsec_") and secret[6:] not in json.dumps(
        (await rest(server, token, "GET", f"/api/v1/webhooks/endpoints/{endpoint_id}"))[1]
    )

    host = await connect("Host")
    party = (await host.create_party("Movie night", VIDEO))["id"]
    await host.join(party)
    guest = await connect("Guest")
    await guest.join(party)
    sent = await host.send_chat(party, "hello")
    await guest.request("chat.report", {"party": party, "id": sent["id"], "reason": "rude words here"})
    await moderator.request("mod.delete", {"party": party, "id": sent["id"], "reason": "test"})
    await receiver.until(
        lambda: (
            bool(receiver.of("party.created") and len(receiver.of("member.joined")) == 2)
            and bool(receiver.of("moderation.action") and receiver.of("message.reported"))
        )
    )

    snippet = docs_verify()
    for got in receiver.got:
        payload = verify(secret, got.headers, got.body, time.time())
        assert payload == snippet(secret, got.headers, got.body) == got.event
        assert payload["tenant_id"] == "demo"
    created = receiver.of("party.created")[0].event["data"]
    assert created["party_id"] == party and created["title"] == "Movie night"
    names = sorted(r.event["data"]["user"]["name"] for r in receiver.of("member.joined"))
    assert names == ["Guest", "Host"]
    action = receiver.of("moderation.action")[0].event["data"]
    assert action["action"] == "delete" and action["target_message_id"] == sent["id"]
    reported = receiver.of("message.reported")[0]
    assert reported.event["data"] == {
        "party_id": party,
        "message_id": sent["id"],
        "reporter_id": guest.user["id"],
        "reporters": 1,
    }
    for got in receiver.got:  # no chat text, nor what the reporter wrote
        assert b"hello" not in got.body and b"rude" not in got.body
    ids = [r.headers["webhook-id"] for r in receiver.got]
    assert len(ids) == len(set(ids))

    # The delivery log, and a redelivery with the same webhook-id.
    status, log = await rest(server, token, "GET", f"/api/v1/webhooks/deliveries?endpoint={endpoint_id}")
    assert status == 200 and {d["status"] for d in log["items"]} == {"delivered"}
    first = log["items"][-1]
    assert first["attempts"] == 1 and first["last_status"] == 200 and first["last_response_ms"] >= 0
    count = len(receiver.got)
    status, _ = await rest(server, token, "POST", f"/api/v1/webhooks/deliveries/{first['id']}/redeliver")
    assert status == 202
    await receiver.until(lambda: len(receiver.got) > count)
    assert receiver.got[-1].headers["webhook-id"] == first["id"]
    status, one = await rest(server, token, "GET", f"/api/v1/webhooks/deliveries/{first['id']}")
    assert [a["status"] for a in one["attempts"]] == [200, 200]


async def test_rotation_signs_with_both_secrets_and_the_ping_reaches_only_its_endpoint(
    server: Server, receiver: Receiver
) -> None:
    token = await admin_token(server)
    _, made = await rest(
        server, token, "POST", "/api/v1/webhooks/endpoints", {"url": receiver.url, "events": ["clip.*"]}
    )
    old, endpoint_id = made["secret"], made["endpoint"]["id"]
    status, rotated = await rest(server, token, "POST", f"/api/v1/webhooks/endpoints/{endpoint_id}/rotate")
    assert status == 200 and rotated["secret"] != old and rotated["endpoint"]["previous_secret_until"]
    status, ping = await rest(server, token, "POST", f"/api/v1/webhooks/endpoints/{endpoint_id}/test")
    assert status == 202
    await receiver.until(lambda: bool(receiver.of("webhook.test")))
    (got,) = receiver.got
    assert got.headers["webhook-id"] == ping["delivery"]["id"]
    assert len(got.headers["webhook-signature"].split()) == 2
    for secret in (old, rotated["secret"]):
        assert verify(secret, got.headers, got.body, time.time())["data"] == {"endpoint_id": endpoint_id}


async def test_a_server_on_a_public_interface_refuses_loopback_targets_even_behind_a_name(
    tmp_path: Path, receiver: Receiver
) -> None:
    async with running_server(tmp_path, webhook_private_targets=False) as server:
        token = await admin_token(server)
        status, refused = await rest(
            server, token, "POST", "/api/v1/webhooks/endpoints", {"url": receiver.url}
        )
        assert status == 400 and "private" in refused["error"]["message"]
        named = receiver.url.replace("127.0.0.1", "localhost")
        status, made = await rest(server, token, "POST", "/api/v1/webhooks/endpoints", {"url": named})
        assert status == 201  # a name: checked where it resolves, at each attempt
        endpoint_id = made["endpoint"]["id"]
        _, ping = await rest(server, token, "POST", f"/api/v1/webhooks/endpoints/{endpoint_id}/test")
        path = f"/api/v1/webhooks/deliveries/{ping['delivery']['id']}"
        deadline = time.monotonic() + 10
        while True:
            _, log = await rest(server, token, "GET", path)
            if log["attempts"]:
                break
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        assert log["attempts"][0]["status"] is None
        assert log["attempts"][0]["error"] == "refused: a private address"
        assert log["delivery"]["status"] == "pending"  # retried on schedule, refused each time
        assert receiver.got == []
