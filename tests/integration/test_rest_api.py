"""The REST API end to end over a real socket: the served document against the router,
pagination, guests refused, and the endpoints beyond create/list/get (update, end,
members, kick, tokens), each checked for its effect on the party's sockets."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from support import VIDEO, Server, running_server

from socialsync.app import STORE
from socialsync.domain.tenant import Tenant
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Server]:
    async with running_server(tmp_path, max_token_lifetime_s=7200) as server:
        yield server


async def _tenant(server: Server) -> Tenant:
    tenant = await server.app[STORE].get_tenant("demo")
    assert tenant is not None
    return tenant


async def _token(server: Server, user: str, *roles: str) -> str:
    return issue_token(
        await _tenant(server), user, user.title(), list(roles or ["viewer"]), 600, int(time.time())
    )


async def _call(
    server: Server, method: str, path: str, token: str | None, body: Any = None
) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, server.url + path, json=body, headers=headers) as r,
    ):
        return r.status, await r.json()


async def _client(server: Server, user: str, *roles: str) -> SocialSyncClient:
    client = SocialSyncClient(server.url, token=await _token(server, user, *roles))
    await client.connect(sync_clock=False)
    return client


async def _expect(
    client: SocialSyncClient, event: str, predicate: Any = None
) -> asyncio.Task[dict[str, Any]]:
    """The next ``event`` the client gets, watched for from now on."""
    task = asyncio.create_task(client.wait_for(event, predicate or (lambda _: True)))
    await asyncio.sleep(0)  # the waiter is registered once the task has started
    return task


async def _party(server: Server, admin: str, **settings: Any) -> str:
    body = {"title": "Film club", "media": VIDEO, "settings": settings}
    status, answer = await _call(server, "POST", "/api/v1/parties", admin, body)
    assert status == 201, answer
    return str(answer["party"]["id"])


async def test_the_document_has_every_route_of_the_api_and_the_docs_page_loads(api: Server) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(api.url + "/api/v1/openapi.json") as r:
            assert r.status == 200
            doc = await r.json()
        async with http.get(api.url + "/api/docs") as r:
            page = await r.text()
            assert r.status == 200 and '<script src="/apidocs/init.js"></script>' in page
            assert "<script>" not in page  # no inline script: the CSP would refuse it
            assert "script-src 'self';" in r.headers["Content-Security-Policy"]
    documented = {(m.upper(), path) for path, ops in doc["paths"].items() for m in ops}
    routed = {
        (route.method, route.resource.canonical)
        for route in api.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/v1/")
        and route.method != "HEAD"  # aiohttp's, beside each GET
    }
    assert documented == routed
    # docs/api.md's table has a row per operation, and no other.
    table = API_DOC.read_text()
    rows = set(re.findall(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/api/v1/[^`]*)` \|", table, re.MULTILINE))
    assert rows == documented, "docs/api.md's endpoint table and the document disagree"
    assert doc["openapi"] == "3.1.0" and {"bearer", "apiKey"} <= set(doc["components"]["securitySchemes"])


async def test_a_guest_is_refused_everywhere_on_the_rest_api(api: Server) -> None:
    guest = SocialSyncClient(api.url, guest="Gus")
    await guest.connect(sync_clock=False)
    try:
        token = guest._token
        assert token
        for method, path, body in [
            ("POST", "/api/v1/parties", {"title": "Mine", "media": VIDEO}),
            ("GET", "/api/v1/parties", None),
            ("POST", "/api/v1/tokens", {"user": "u1", "name": "U"}),
        ]:
            status, answer = await _call(api, method, path, token, body)
            assert (status, answer["error"]["code"]) == (403, "forbidden"), (path, answer)
    finally:
        await guest.close()


async def test_party_lists_page_with_cursors(api: Server) -> None:
    admin = await _token(api, "admin-1", "admin")
    created = [await _party(api, admin) for _ in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        status, page = await _call(api, "GET", "/api/v1/parties" + query, admin)
        assert status == 200 and len(page["items"]) <= 2
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created  # oldest first, each once
    status, answer = await _call(api, "GET", "/api/v1/parties?cursor=bm9wZQ", admin)
    assert (status, answer["error"]["code"]) == (400, "bad_request") and "cursor" in answer["error"][
        "message"
    ]
    # Watch parties are the staff's to list; a viewer sees live rooms only.
    live = await _party(api, admin, type="live_room")
    status, page = await _call(api, "GET", "/api/v1/parties", await _token(api, "viewer-1"))
    assert [p["id"] for p in page["items"]] == [live]


async def test_update_and_end_reach_the_members(api: Server) -> None:
    admin = await _token(api, "admin-1", "admin")
    party = await _party(api, admin)
    host = await _client(api, "host-1")
    member = await _client(api, "member-1")
    try:
        await host.join(party)
        await member.join(party)
        # A viewer outside the party may not; the host (joined) and the staff may.
        body = {"title": "Renamed", "settings": {"control": "hosts"}}
        status, answer = await _call(
            api, "PATCH", f"/api/v1/parties/{party}", await _token(api, "viewer-1"), body
        )
        assert (status, answer["error"]["code"]) == (403, "forbidden")
        updated = await _expect(member, "party.updated", lambda p: p["info"]["title"] == "Renamed")
        status, answer = await _call(api, "PATCH", f"/api/v1/parties/{party}", admin, body)
        assert status == 200 and answer["party"]["title"] == "Renamed"
        assert answer["party"]["settings"]["control"] == "hosts"
        assert (await updated)["info"]["settings"]["control"] == "hosts"
        status, answer = await _call(
            api, "PATCH", f"/api/v1/parties/{party}", await _token(api, "host-1"), {}
        )
        assert status == 200 and answer["party"]["title"] == "Renamed"  # nothing to change
        status, answer = await _call(
            api, "PATCH", f"/api/v1/parties/{party}", admin, {"settings": {"max_members": 5000}}
        )
        assert (status, answer["error"]["code"]) == (400, "bad_request")
        ended = await _expect(member, "party.ended")
        status, _ = await _call(api, "POST", f"/api/v1/parties/{party}/end", admin)
        assert status == 200
        assert (await ended)["reason"] == "ended_by_host"
        assert (await _call(api, "GET", f"/api/v1/parties/{party}", admin))[0] == 404
        assert (await _call(api, "POST", f"/api/v1/parties/{party}/end", admin))[0] == 404
    finally:
        await host.close()
        await member.close()


async def test_members_are_listed_and_kicked(api: Server) -> None:
    admin = await _token(api, "admin-1", "admin")
    party = await _party(api, admin)
    clients = [await _client(api, name) for name in ("host-1", "member-1", "member-2")]
    try:
        for client in clients:
            await client.join(party)
        host, member, other = clients
        status, page = await _call(api, "GET", f"/api/v1/parties/{party}/members?limit=2", admin)
        assert status == 200 and [m["id"] for m in page["items"]] == ["host-1", "member-1"]
        status, rest = await _call(
            api, "GET", f"/api/v1/parties/{party}/members?cursor={page['next_cursor']}", admin
        )
        assert [m["id"] for m in rest["items"]] == ["member-2"] and rest["next_cursor"] is None
        assert page["items"][0]["role"] == "host"
        # A member sees the list; someone outside the party does not.
        assert (await _call(api, "GET", f"/api/v1/parties/{party}/members", await _token(api, "member-2")))[
            0
        ] == 200
        outsider = await _token(api, "viewer-9")
        assert (await _call(api, "GET", f"/api/v1/parties/{party}/members", outsider))[0] == 403
        # Kick: a plain member may not; the staff may, and the member's sockets leave.
        kick = f"/api/v1/parties/{party}/members/member-1/kick"
        status, answer = await _call(api, "POST", kick, await _token(api, "member-2"))
        assert (status, answer["error"]["code"]) == (403, "forbidden")
        kicked = await _expect(member, "party.kicked")
        left = await _expect(other, "member.left", lambda m: m["user"] == "member-1")
        status, _ = await _call(api, "POST", kick, admin, {"reason": "spam"})
        assert status == 200
        assert (await kicked) == {"party": party, "reason": "kicked"}
        await left
        status, page = await _call(api, "GET", f"/api/v1/parties/{party}/members", admin)
        assert [m["id"] for m in page["items"]] == ["host-1", "member-2"]
        assert (await _call(api, "POST", kick, admin))[0] == 404  # no longer in it
        # Unlike a ban, a kick lets it come back; the host (joined) may kick too.
        await member.join(party)
        assert (await _call(api, "POST", kick, await _token(api, "host-1")))[0] == 200
        status, audit = await _audit(host, party)
        assert [e["action"] for e in audit].count("kick") == 2
    finally:
        for client in clients:
            await client.close()


async def _audit(client: SocialSyncClient, party: str) -> tuple[int, list[dict[str, Any]]]:
    answer = await client.request("mod.audit", {"party": party})
    return 200, answer["entries"]


async def test_tokens_are_minted_for_the_tenants_users(api: Server) -> None:
    admin = await _token(api, "admin-1", "admin")
    body = {"user": "viewer-42", "name": "  Ada   Lovelace ", "ttl_s": 30 * 24 * 3600}
    status, minted = await _call(api, "POST", "/api/v1/tokens", admin, body)
    assert status == 201 and minted["user"] == "viewer-42" and minted["roles"] == ["viewer"]
    assert minted["expires_at"] <= time.time() + 7200 + 5  # the server's maximum lifetime
    client = SocialSyncClient(api.url, token=minted["token"])
    await client.connect(sync_clock=False)
    try:
        assert client.user is not None
        assert (client.user["id"], client.user["name"], client.user["tenant"]) == (
            "viewer-42",
            "Ada Lovelace",
            "demo",
        )
    finally:
        await client.close()
    status, minted = await _call(
        api, "POST", "/api/v1/tokens", admin, {"user": "mod-2", "name": "M", "role": "moderator"}
    )
    assert status == 201 and minted["roles"] == ["moderator"]
    # Only admins mint; a name must be one visible line; an id the tenant's form.
    moderator = await _token(api, "mod-1", "moderator")
    assert (await _call(api, "POST", "/api/v1/tokens", moderator, {"user": "u", "name": "U"}))[0] == 403
    for bad in (
        {"user": "u", "name": "\u202e"},
        {"user": "a b", "name": "U"},
        {"user": "u", "name": "U", "role": "host"},
    ):
        status, answer = await _call(api, "POST", "/api/v1/tokens", admin, bad)
        assert (status, answer["error"]["code"]) == (400, "bad_request"), bad
