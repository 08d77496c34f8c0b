"""Reaction clips over REST on a real server: the tenant's clips paged oldest first (ended
parties' too, one party's on request), and a clip deleted with its file, its party's
members told at once, the deletion audited; another tenant's clip does not exist."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from support import VIDEO, Server

from socialsync.app import SERVICE, STORE
from socialsync.domain.clips import Clip, ClipStatus
from socialsync.domain.tenant import Tenant
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient


async def _token(server: Server, user: str, *roles: str, tenant: str = "demo") -> str:
    found = await server.app[STORE].get_tenant(tenant)
    assert found is not None
    return issue_token(found, user, user.title(), list(roles or ["viewer"]), 600, int(time.time()))


async def _call(server: Server, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, server.url + path, json=body, headers={"Authorization": f"Bearer {token}"}) as r,
    ):
        return r.status, await r.json()


async def _clip(server: Server, party: str, created_at_ms: int) -> tuple[str, Path]:
    """A clip of ``party`` by ``ann``, its file on disk (its bytes matter not)."""
    clip_id = uuid.uuid4().hex
    path = Path(server.config.clips_path) / party / f"{clip_id}.webm"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(6))
    clip = Clip(
        clip_id, "demo", party, "ann", "Ann", VIDEO["url"], 1.0, 2.0, created_at_ms,
        f"{party}/{clip_id}.webm", "video/webm", 10, 2, 2, ClipStatus.VISIBLE,
    )  # fmt: skip
    await server.app[SERVICE].clips.store.add(clip)
    return clip_id, path


async def _ids(server: Server, query: str, token: str) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        status, page = await _call(
            server, "GET", "/api/v1/clips" + query + (f"&cursor={cursor}" if cursor else ""), token
        )
        assert status == 200, page
        assert all(
            c["url"].startswith(f"{server.url}/api/v1/clips/{c['id']}/media?exp=") for c in page["items"]
        )
        pages.append([c["id"] for c in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


async def test_the_tenants_clips_and_a_rest_delete_with_its_file(server: Server) -> None:
    admin = await _token(server, "admin-1", "admin")
    parties = []
    for title in ("One", "Two"):
        status, made = await _call(server, "POST", "/api/v1/parties", admin, {"title": title, "media": VIDEO})
        parties.append(made["party"]["id"])
    now = int(time.time() * 1000)
    (a1, file_a1), (b1, file_b1), (a2, _) = [
        await _clip(server, parties[0], now),
        await _clip(server, parties[1], now + 1),
        await _clip(server, parties[0], now + 2),
    ]
    assert await _ids(server, "?limit=2", admin) == [[a1, b1], [a2]]
    assert await _ids(server, f"?party={parties[0]}", admin) == [[a1, a2]]
    status, answer = await _call(server, "GET", "/api/v1/clips", await _token(server, "ann"))
    assert (status, answer["error"]["code"]) == (403, "forbidden")
    # Another tenant's admin: the clip does not exist for it.
    await server.app[STORE].add_tenant(Tenant("acme", "Acme", "a" * 40, True, now))
    other = await _token(server, "admin-1", "admin", tenant="acme")
    assert (await _call(server, "DELETE", f"/api/v1/clips/{a1}", other))[0] == 404
    assert (await _call(server, "GET", "/api/v1/clips", other))[1]["items"] == []
    # Deleted: the party's members see it go at once; the file goes with it; audited.
    member = SocialSyncClient(server.url, token=await _token(server, "mia"))
    await member.connect(sync_clock=False)
    try:
        await member.join(parties[0])
        removed = asyncio.create_task(member.wait_for("clip.removed", lambda p: p["id"] == a1))
        await asyncio.sleep(0)
        assert await _call(server, "DELETE", f"/api/v1/clips/{a1}?reason=rude", admin) == (200, {"ok": True})
        assert (await removed)["reason"] == "deleted"
    finally:
        await member.close()
    assert not file_a1.exists()
    assert (await _call(server, "DELETE", f"/api/v1/clips/{a1}", admin))[0] == 404
    status, audit = await _call(server, "GET", "/api/v1/moderation/audit?action=clip_delete", admin)
    (entry,) = audit["items"]
    assert (entry["actor"]["id"], entry["target_user"], entry["reason"]) == ("admin-1", "ann", "rude")
    # An ended party's clip: still listed, still deleted by staff.
    await _call(server, "POST", f"/api/v1/parties/{parties[1]}/end", admin)
    assert await _ids(server, "?limit=50", admin) == [[b1, a2]]
    assert (await _call(server, "DELETE", f"/api/v1/clips/{b1}", admin))[0] == 200
    assert not file_b1.exists() and await _ids(server, "?limit=50", admin) == [[a2]]
