"""Invite links end to end on a real server: made over REST, redeemed by `party.join
{invite}` (each user counted once, refused with `invite: used_up` / `expired`, a revoked
one not_found, another tenant's unknown), their moment (`t`) starting a party that had not
started; host tokens (`host_of`); and the invite page's Open Graph tags, fetched with a
plain GET as a messenger's unfurler does."""

from __future__ import annotations

import html
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from support import VIDEO, Server, running_server

from socialsync.app import SERVICE, STORE
from socialsync.domain.invites import Invite
from socialsync.domain.tenant import Tenant
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient, SocialSyncError

PAGE = "<!doctype html>\n<html><head>\n<title>Demo</title>\n</head><body>demo</body></html>\n"


async def _token(server: Server, user: str, *roles: str, tenant: str = "demo", **claims: Any) -> str:
    found = await server.app[STORE].get_tenant(tenant)
    assert found is not None
    return issue_token(found, user, user.title(), list(roles or ["viewer"]), 600, int(time.time()), **claims)


async def _call(server: Server, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, server.url + path, json=body, headers=headers) as r,
    ):
        return r.status, await r.json()


async def _party(server: Server, admin: str, **fields: Any) -> str:
    body = {"title": "Film club", "media": VIDEO} | fields
    status, answer = await _call(server, "POST", "/api/v1/parties", admin, body)
    assert status == 201, answer
    return str(answer["party"]["id"])


class Clients:
    def __init__(self, server: Server) -> None:
        self.server = server
        self.open: list[SocialSyncClient] = []

    async def __call__(self, user: str, tenant: str = "demo", **claims: Any) -> SocialSyncClient:
        token = await _token(self.server, user, tenant=tenant, **claims)
        client = SocialSyncClient(self.server.url, token=token)
        self.open.append(client)
        await client.connect(sync_clock=False)
        return client


@pytest.fixture
async def clients(server: Server) -> AsyncIterator[Clients]:
    made = Clients(server)
    yield made
    for client in made.open:
        await client.close()


async def _refused(client: SocialSyncClient, payload: dict[str, Any]) -> tuple[str, Any]:
    with pytest.raises(SocialSyncError) as refusal:
        await client.request("party.join", payload)
    return refusal.value.code, refusal.value.answer.get("invite")


async def test_an_invite_lets_each_user_in_once_until_used_up_expired_or_revoked(server, clients):
    admin = await _token(server, "admin-1", "admin")
    party = await _party(server, admin)
    status, made = await _call(
        server,
        "POST",
        f"/api/v1/parties/{party}/invites",
        admin,
        {"max_uses": 2, "expires_in_s": 600, "t": 120},
    )
    assert status == 201, made
    code = made["code"]
    assert made["url"] == f"{server.url}/?invite={code}&t=120"
    assert (made["party"], made["uses"], made["max_uses"], made["t"]) == (party, 0, 2, 120.0)
    assert abs(made["expires_at"] - (time.time() + 600)) < 5
    ann, bob, cy = await clients("ann"), await clients("bob"), await clients("cy")
    joined = await ann.request("party.join", {"invite": code})
    # The first joiner hosts; the party had not started: it starts at the invite's moment.
    assert joined["party"]["id"] == party and joined["you"]["role"] == "host"
    assert (joined["playback"]["position"], joined["playback"]["seq"]) == (120.0, 1)
    await ann.request("party.join", {"invite": code})  # again: not another use
    await bob.request("party.join", {"invite": code, "t": 300})  # started: followed as it is
    assert (await ann.request("party.join", {"party": party}))["playback"]["position"] == 120.0
    assert await _refused(cy, {"invite": code}) == ("forbidden", "used_up")
    status, page = await _call(server, "GET", f"/api/v1/parties/{party}/invites", admin)
    assert status == 200 and [(i["code"], i["uses"]) for i in page["items"]] == [(code, 2)]
    # Another tenant's user does not find it; a revoked invite is gone.
    acme = Tenant("acme", "Acme", "a" * 40, True, int(time.time() * 1000))
    await server.app[STORE].add_tenant(acme)
    assert await _refused(await clients("ann", tenant="acme"), {"invite": code}) == ("not_found", None)
    status, _ = await _call(server, "DELETE", f"/api/v1/parties/{party}/invites/{code}", admin)
    assert status == 200
    assert await _refused(bob, {"invite": code}) == ("not_found", None)
    status, page = await _call(server, "GET", f"/api/v1/parties/{party}/invites", admin)
    assert page["items"] == []
    # Expired: refused, also to a user it let in before (put in the store as it would be).
    now = int(time.time() * 1000)
    store = server.app[SERVICE].invites.store
    await store.add(Invite("old-1", "demo", party, "admin-1", now - 120_000, now - 60_000, None))
    assert await _refused(ann, {"invite": "old-1"}) == ("forbidden", "expired")


async def test_a_join_refused_after_all_gives_the_invites_use_back(server, clients):
    admin = await _token(server, "admin-1", "admin")
    party = await _party(server, admin, settings={"max_members": 1})
    status, made = await _call(server, "POST", f"/api/v1/parties/{party}/invites", admin, {"max_uses": 1})
    code = made["code"]
    ann, bob = await clients("ann"), await clients("bob")
    await ann.request("party.join", {"party": party})
    assert (await _refused(bob, {"invite": code}))[0] == "forbidden"  # the party is full
    await ann.request("party.leave", {"party": party})
    await bob.request("party.join", {"invite": code})  # the use was given back: bob gets in


async def test_who_manages_invites_and_a_host_token(tmp_path):
    async with running_server(tmp_path) as server:
        admin = await _token(server, "admin-1", "admin")
        party = await _party(server, admin)
        clients = Clients(server)
        try:
            ann, member = await clients("ann"), await clients("mia")
            await ann.request("party.join", {"party": party, "t": 42})  # a deep link: the party starts there
            joined = await member.request("party.join", {"party": party, "t": 99})
            assert joined["playback"]["position"] == 42.0
            mia = await _token(server, "mia")
            status, answer = await _call(server, "POST", f"/api/v1/parties/{party}/invites", mia, {})
            assert (status, answer["error"]["code"]) == (403, "forbidden")
            host = await _token(server, "ann")
            status, made = await _call(server, "POST", f"/api/v1/parties/{party}/invites", host, {})
            assert status == 201 and made["max_uses"] is None
            # A host token: minted for the party, its user joins beside the host as cohost.
            body = {"user": "hal", "name": "Hal", "host_of": party}
            status, minted = await _call(server, "POST", "/api/v1/tokens", admin, body)
            assert status == 201 and minted["host_of"] == party
            assert jwt.decode(minted["token"], options={"verify_signature": False})["host_of"] == party
            hal = SocialSyncClient(server.url, token=minted["token"])
            clients.open.append(hal)
            await hal.connect(sync_clock=False)
            assert (await hal.request("party.join", {"party": party}))["you"]["role"] == "cohost"
            # Alone in a new party, it hosts it; another tenant's (or no) party is not found.
            other = await _party(server, admin)
            sam = await clients("sam", host_of=other)
            assert (await sam.request("party.join", {"party": other}))["you"]["role"] == "host"
            status, answer = await _call(server, "POST", "/api/v1/tokens", admin, body | {"host_of": "nope"})
            assert (status, answer["error"]["code"]) == (404, "not_found")
            with pytest.raises(SocialSyncError) as refusal:
                await clients("eve", host_of="not a party!")
            assert refusal.value.code == "unauthorized"
        finally:
            for client in clients.open:
                await client.close()


@pytest.fixture
async def web_server(tmp_path: Path) -> AsyncIterator[Server]:
    (tmp_path / "web" / "demo").mkdir(parents=True)
    (tmp_path / "web" / "demo" / "index.html").write_text(PAGE)
    async with running_server(tmp_path, web_dir=str(tmp_path / "web")) as server:
        yield server


def _tags(page: str) -> dict[str, str]:
    head = page.split("</head>", 1)[0]
    return {
        html.unescape(m[0]): html.unescape(m[1])
        for m in re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">', head)
    }


async def _page(server: Server, query: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/{query}") as r:
        return r.status, r.headers["Content-Type"], await r.text()


async def test_an_invite_link_unfurls_with_the_partys_title_media_and_poster(web_server):
    server = web_server
    admin = await _token(server, "admin-1", "admin")
    title = 'Film <script>alert("x")</script> & "friends"'
    poster = "https://img.example/poster.jpg?w=1200&h=630"
    media = VIDEO | {"title": "Big <Buck> Bunny", "poster": poster}
    party = await _party(server, admin, title=title, media=media)
    _, made = await _call(server, "POST", f"/api/v1/parties/{party}/invites", admin, {})
    status, kind, page = await _page(server, f"?invite={made['code']}")
    assert (status, kind) == (200, "text/html; charset=utf-8")
    assert page.endswith("<body>demo</body></html>\n")
    assert "<script>alert" not in page and "&lt;script&gt;" in page  # escaped, never markup
    tags = _tags(page)
    assert tags["og:title"] == title and tags["og:image"] == poster
    assert tags["og:description"] == "Join the watch party and watch Big <Buck> Bunny together, in sync."
    assert tags["og:url"] == f"{server.url}/?invite={made['code']}"
    assert tags["twitter:card"] == "summary_large_image"
    # By the party's id, without a poster: the bundled default image, served here.
    plain = await _party(server, admin, title="Plain")
    tags = _tags((await _page(server, f"?party={plain}"))[2])
    assert (tags["og:title"], tags["og:image"]) == ("Plain", f"{server.url}/og-image.png")
    assert tags["og:description"] == "Join the watch party and watch together, in sync."
    # An unknown code, or none: the site's own tags, nothing of any party.
    for query in ("?invite=nope", "", "?party=<x>"):
        tags = _tags((await _page(server, query))[2])
        assert (tags["og:title"], tags["og:url"]) == ("SocialSync", f"{server.url}/")
    async with aiohttp.ClientSession() as http, http.get(server.url + "/og-image.png") as r:
        image = await r.read()
        assert r.status == 200 and r.headers["Content-Type"] == "image/png"
        assert image.startswith(b"\x89PNG\r\n\x1a\n") and image[16:24] == (1200).to_bytes(4) + (630).to_bytes(
            4
        )
