"""A party's chat over REST on a real server: exported in message order (JSON pages and
NDJSON, each message once across pages, an ended party's too), and a message deleted the
way a moderator's `mod.delete` does it: gone from every member's chat at once, audited."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import aiohttp
from support import VIDEO, Server

from socialsync.app import STORE
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient


async def _token(server: Server, user: str, *roles: str) -> str:
    tenant = await server.app[STORE].get_tenant("demo")
    assert tenant is not None
    return issue_token(tenant, user, user.title(), list(roles or ["viewer"]), 600, int(time.time()))


async def _get(server: Server, path: str, token: str) -> tuple[int, dict[str, str], str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(server.url + path, headers={"Authorization": f"Bearer {token}"}) as r,
    ):
        return r.status, dict(r.headers), await r.text()


async def _call(server: Server, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, server.url + path, json=body, headers={"Authorization": f"Bearer {token}"}) as r,
    ):
        return r.status, await r.json()


async def _pages(server: Server, path: str, token: str) -> list[list[int]]:
    """The ids of each JSON page, following the cursors."""
    pages, cursor = [], None
    while True:
        status, _, text = await _get(server, path + (f"&cursor={cursor}" if cursor else ""), token)
        assert status == 200, text
        answer = json.loads(text)
        pages.append([m["id"] for m in answer["items"]])
        cursor = answer["next_cursor"]
        if cursor is None:
            return pages


async def test_export_pages_in_order_and_a_rest_delete_reaches_every_member(server: Server) -> None:
    admin = await _token(server, "admin-1", "admin")
    status, made = await _call(server, "POST", "/api/v1/parties", admin, {"title": "Chat", "media": VIDEO})
    party = made["party"]["id"]
    ann = SocialSyncClient(server.url, token=await _token(server, "ann"))
    bob = SocialSyncClient(server.url, token=await _token(server, "bob"))
    try:
        for client in (ann, bob):
            await client.connect(sync_clock=False)
            await client.join(party)
        for n in range(5):
            await ann.request("chat.send", {"party": party, "text": f"hello {n}", "nonce": uuid.uuid4().hex})
        base = f"/api/v1/parties/{party}/messages"
        assert await _pages(server, base + "?limit=2", admin) == [[1, 2], [3, 4], [5]]
        status, _, text = await _get(server, base, admin)
        first = json.loads(text)["items"][0]
        assert (
            first["text"] == "hello 0"
            and first["user"] == {"id": "ann", "name": "Ann"}
            and not first["hidden"]
        )
        # NDJSON: a message a line, the next page's cursor in a header.
        status, headers, text = await _get(server, base + "?format=ndjson&limit=3", admin)
        assert status == 200 and headers["Content-Type"].startswith("application/x-ndjson")
        assert [json.loads(line)["id"] for line in text.splitlines()] == [1, 2, 3]
        status, headers, text = await _get(
            server, f"{base}?format=ndjson&cursor={headers['Next-Cursor']}", admin
        )
        assert [json.loads(line)["id"] for line in text.splitlines()] == [
            4,
            5,
        ] and "Next-Cursor" not in headers
        status, _, text = await _get(server, base + "?limit=500", admin)
        assert status == 400 and "limit" in json.loads(text)["error"]["message"]
        # A viewer of the tenant may not export; a member may not delete.
        status, _, _ = await _get(server, base, await _token(server, "ann"))
        assert status == 403
        status, _ = await _call(server, "DELETE", f"{base}/2", await _token(server, "bob"))
        assert status == 403
        # Deleted over REST: both members' chats lose it at once.
        gone = [
            asyncio.create_task(client.wait_for("chat.deleted", lambda p: p["id"] == 2))
            for client in (ann, bob)
        ]
        await asyncio.sleep(0)  # the waiters are registered once their tasks have started
        status, answer = await _call(server, "DELETE", f"{base}/2?reason=spoiler", admin)
        assert (status, answer) == (200, {"ok": True})
        for waiting in gone:
            assert (await waiting)["party"] == party
        status, _ = await _call(server, "DELETE", f"{base}/2", admin)
        assert status == 404
        status, audit = await _call(server, "GET", f"/api/v1/moderation/audit?party={party}", admin)
        (entry,) = audit["items"]
        assert (entry["action"], entry["actor"]["id"], entry["target_message"], entry["reason"]) == (
            "delete",
            "admin-1",
            2,
            "spoiler",
        )
        # The party ends: its chat is still exported.
        await _call(server, "POST", f"/api/v1/parties/{party}/end", admin)
        assert await _pages(server, base + "?limit=50", admin) == [[1, 3, 4, 5]]
    finally:
        await ann.close()
        await bob.close()
