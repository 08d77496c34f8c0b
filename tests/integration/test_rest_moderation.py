"""Moderation over REST with an API key, on a real server: the tenant's terms, the review
queue (a held link approved, reaching the room), timeouts and bans placed and lifted (each
checked by what the member can do next), and the audit log naming the API key as the actor,
paged and filtered."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import aiohttp
import pytest
from support import VIDEO, Server

from socialsync.app import STORE
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient, SocialSyncError

KEY_NAME = "Trust & Safety"


async def _token(server: Server, user: str, *roles: str) -> str:
    tenant = await server.app[STORE].get_tenant("demo")
    assert tenant is not None
    return issue_token(tenant, user, user.title(), list(roles or ["viewer"]), 600, int(time.time()))


async def _call(server: Server, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, server.url + path, json=body, headers={"Authorization": f"Bearer {token}"}) as r,
    ):
        return r.status, await r.json()


async def _send(client: SocialSyncClient, party: str, text: str) -> dict[str, Any]:
    return await client.request("chat.send", {"party": party, "text": text, "nonce": uuid.uuid4().hex})


async def _refusal(call: Any) -> str:
    with pytest.raises(SocialSyncError) as refused:
        await call
    return refused.value.code


async def test_moderation_by_api_key_and_its_audit_trail(server: Server) -> None:
    admin = await _token(server, "admin-1", "admin")
    status, made = await _call(
        server, "POST", "/api/v1/api-keys", admin, {"name": KEY_NAME, "scopes": ["moderation:write"]}
    )
    assert status == 201, made
    key, key_id = made["api_key"], made["key"]["id"]
    status, created = await _call(
        server,
        "POST",
        "/api/v1/parties",
        admin,
        {"title": "Live", "media": VIDEO, "settings": {"type": "live_room"}},
    )
    party = created["party"]["id"]
    mia = SocialSyncClient(server.url, token=await _token(server, "mia"))
    await mia.connect(sync_clock=False)
    try:
        await mia.join(party)
        # The tenant's terms: replaced, case-folded, one of each.
        body = {"blocked_terms": ["Spoiler*", "spoiler*"], "allowed_terms": []}
        status, terms = await _call(server, "PUT", "/api/v1/moderation/terms", key, body)
        assert (status, terms["blocked_terms"], terms["allowed_terms"]) == (200, ["spoiler*"], [])
        assert (await _call(server, "GET", "/api/v1/moderation/terms", key))[1] == terms
        # A link in a live room waits for review; approved over REST, it reaches the room.
        assert (await _send(mia, party, "look https://unknown.example/x"))["held"] is True
        status, queue = await _call(server, "GET", f"/api/v1/parties/{party}/held", key)
        (held,) = queue["items"]
        assert (held["user"]["id"], held["source"], held["message"]) == ("mia", "filter", None)
        delivered = asyncio.create_task(
            mia.wait_for("chat.message", lambda m: "unknown.example" in m["text"])
        )
        await asyncio.sleep(0)
        review = f"/api/v1/parties/{party}/held/{held['id']}"
        assert await _call(server, "POST", review + "/approve", key, {"reason": "fine"}) == (
            200,
            {"ok": True},
        )
        assert (await delivered)["user"]["id"] == "mia"
        status, answer = await _call(server, "POST", review + "/reject", key)
        assert (status, answer["error"]["code"]) == (409, "conflict")
        # A timeout in the room: the member may not post until it is lifted.
        body = {"user": "mia", "kind": "timeout", "party": party, "seconds": 60, "reason": "calm down"}
        status, placed = await _call(server, "POST", "/api/v1/moderation/sanctions", key, body)
        assert (
            status == 201
            and placed["sanction"]["party"] == party
            and placed["sanction"]["by"] == f"key:{key_id}"
        )
        assert await _refusal(_send(mia, party, "hi")) == "forbidden"
        status, listed = await _call(server, "GET", "/api/v1/moderation/sanctions?kind=timeout&user=mia", key)
        assert [s["id"] for s in listed["items"]] == [placed["sanction"]["id"]]
        sanction = f"/api/v1/moderation/sanctions/{placed['sanction']['id']}"
        assert (await _call(server, "DELETE", sanction, key))[0] == 200
        await _send(mia, party, "hi again")
        assert (await _call(server, "DELETE", sanction, key))[0] == 404  # no longer in force
        status, answer = await _call(
            server, "POST", "/api/v1/moderation/sanctions", key, body | {"seconds": None}
        )
        assert (status, answer["error"]["code"]) == (400, "bad_request")
        # A ban from every room of the tenant: out at once, kept out until lifted.
        kicked = asyncio.create_task(mia.wait_for("party.kicked"))
        await asyncio.sleep(0)
        status, banned = await _call(
            server, "POST", "/api/v1/moderation/sanctions", key, {"user": "mia", "kind": "ban"}
        )
        assert status == 201 and banned["sanction"]["party"] is None and banned["sanction"]["until"] is None
        assert (await kicked)["reason"] == "banned"
        assert await _refusal(mia.request("party.join", {"party": party})) == "forbidden"
        await _call(server, "DELETE", f"/api/v1/moderation/sanctions/{banned['sanction']['id']}", key)
        await mia.request("party.join", {"party": party})
    finally:
        await mia.close()
    # The audit log: the key is the actor of each entry, newest first, paged and filtered.
    audit = f"/api/v1/moderation/audit?actor=key:{key_id}"
    actions, cursor = [], None
    while True:
        status, page = await _call(
            server, "GET", audit + "&limit=2" + (f"&cursor={cursor}" if cursor else ""), key
        )
        assert status == 200 and all(
            e["actor"] == {"id": f"key:{key_id}", "name": KEY_NAME} for e in page["items"]
        )
        actions += [e["action"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert actions == ["unban", "ban_tenant", "end_timeout", "timeout", "review_approved", "tenant_terms"]
    status, page = await _call(server, "GET", audit + "&action=timeout", key)
    assert [e["reason"] for e in page["items"]] == ["calm down"]
    later = int(time.time() * 1000) + 3_600_000
    assert (await _call(server, "GET", f"{audit}&since={later}", key))[1]["items"] == []
    assert len((await _call(server, "GET", f"{audit}&until={later}", key))[1]["items"]) == 6
    # A room's sanction outlives its room: staff lift it after the party ended.
    body = {"user": "mia", "kind": "timeout", "party": party, "seconds": 60}
    status, placed = await _call(server, "POST", "/api/v1/moderation/sanctions", key, body)
    assert (await _call(server, "POST", f"/api/v1/parties/{party}/end", admin))[0] == 200
    lift = f"/api/v1/moderation/sanctions/{placed['sanction']['id']}"
    assert await _call(server, "DELETE", lift, key) == (200, {"ok": True})
    # A person's token without a staff role is refused the tenant's moderation.
    status, answer = await _call(server, "GET", "/api/v1/moderation/audit", await _token(server, "mia"))
    assert (status, answer["error"]["code"]) == (403, "forbidden")
