"""A tenant's own policy (issue 13): who may frame its pages (CSP frame-ancestors),
its abuse limits over the server's; and guest bans that hold across new guest
identities by a keyed, expiring fingerprint of the client (never its address)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
import socketio
from aiortc import RTCPeerConnection
from aiortc.mediastreams import VideoStreamTrack
from support import VIDEO, running_server

from socialsync.app import STORE
from socialsync.domain.tenant import Tenant
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient, SocialSyncError


@pytest.fixture
async def server(tmp_path, backend):
    # Behind a balancer (as deployed): the client address is X-Forwarded-For's last hop.
    async with running_server(tmp_path, **backend, forwarded_for=True) as s:
        yield s


async def bearer(server, roles: list[str], tenant_id: str = "demo") -> dict[str, str]:
    tenant = await server.app[STORE].get_tenant(tenant_id)
    token = issue_token(tenant, f"u-{roles[0]}", "Ada", roles, 600, int(time.time()))
    return {"Authorization": f"Bearer {token}"}


async def put_settings(http: aiohttp.ClientSession, headers: dict[str, str], body: Any) -> tuple[int, Any]:
    async with http.put("/api/v1/tenant/settings", json=body, headers=headers) as r:
        return r.status, await r.json()


def frame_ancestors(response: aiohttp.ClientResponse) -> str:
    csp = response.headers["Content-Security-Policy"]
    return csp.split("frame-ancestors", 1)[1].split(";", 1)[0].strip()


async def test_a_tenants_embedders_frame_its_pages_and_only_its(server):
    admin = await bearer(server, ["admin"])
    other = Tenant("other", "Other", "s" * 32, True, 0)
    await server.app[STORE].add_tenant(other)
    async with aiohttp.ClientSession(server.url) as http:
        status, body = await put_settings(http, admin, {"frame_ancestors": ["https://tv.example", "'self'"]})
        assert status == 200 and body["settings"]["frame_ancestors"] == ["https://tv.example", "'self'"]
        for path in ("/?tenant=demo", "/?party=abc&tenant=demo", "/widget/app.js?tenant=demo"):
            async with http.get(path) as r:
                assert frame_ancestors(r) == "https://tv.example 'self'", path
                assert "X-Frame-Options" not in r.headers
        # Without the tenant, for another tenant or an unknown one, and for the panel
        # and the API: the server's.
        for path in (
            "/",
            "/?tenant=other",
            "/?tenant=nobody",
            "/moderation/?tenant=demo",
            "/healthz?tenant=demo",
        ):
            async with http.get(path) as r:
                assert frame_ancestors(r) == "'self'", path
        # Nobody may frame them: 'none', and X-Frame-Options for old browsers.
        status, _ = await put_settings(http, admin, {"frame_ancestors": []})
        assert status == 200
        async with http.get("/?tenant=demo") as r:
            assert frame_ancestors(r) == "'none'" and r.headers["X-Frame-Options"] == "DENY"
        # Back to the server's.
        assert (await put_settings(http, admin, {"frame_ancestors": None}))[0] == 200
        async with http.get("/?tenant=demo") as r:
            assert frame_ancestors(r) == "'self'"


@pytest.mark.parametrize(
    "origins",
    [["https://x.example; script-src *"], ["*"], ["javascript:alert(1)"], ["https://a b"], "https://x"],
)
async def test_embedders_must_be_origins(server, origins):
    async with aiohttp.ClientSession(server.url) as http:
        status, body = await put_settings(http, await bearer(server, ["admin"]), {"frame_ancestors": origins})
    assert status == 400 and body["error"]["code"] == "bad_request"


@pytest.mark.parametrize("roles", [["viewer"], ["moderator"]])
async def test_only_admins_change_the_tenants_settings(server, roles):
    async with aiohttp.ClientSession(server.url) as http:
        status, body = await put_settings(
            http, await bearer(server, roles), {"frame_ancestors": ["https://x.io"]}
        )
        assert status == 403 and body["error"]["code"] == "forbidden"
        async with http.get("/api/v1/tenant/settings", headers=await bearer(server, roles)) as r:
            assert r.status == 403


async def test_a_tenants_own_limits_override_the_servers(server, connect):
    admin = await bearer(server, ["admin"])
    async with aiohttp.ClientSession(server.url) as http:
        limits = {"parties_per_hour": 2, "guests_per_address_per_hour": 3, "cameras_per_user": 0}
        status, body = await put_settings(http, admin, {"limits": limits})
        assert status == 200 and body["settings"]["limits"] == limits
        async with http.get("/api/v1/tenant/settings", headers=admin) as r:
            assert (await r.json())["settings"]["effective_limits"] == limits
        status, body = await put_settings(http, admin, {"limits": {"parties_per_hour": -1}})
        assert status == 400
    # Parties per hour: 2 (the server's is 20).
    a = await connect("A")
    await a.create_party("One", VIDEO)
    second = await a.create_party("Two", VIDEO)
    with pytest.raises(SocialSyncError) as err:
        await a.create_party("Three", VIDEO)
    assert err.value.code == "rate_limited" and "at most 2" in err.value.message
    # Cameras per user: 0, none at all (the server's is 2).
    await a.join(second["id"])
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        payload = {"party": second["id"], "sdp": sdp, "audio": False, "video": True, "consent": True}
        with pytest.raises(SocialSyncError) as err:
            await a.request("rtc.publish", payload)
        assert err.value.code == "rate_limited"
    finally:
        await pc.close()
    # Guests per address an hour: 3 (A was the first).
    await connect("B")
    await connect("C")
    extra = SocialSyncClient(server.url, guest="D", reconnection=False)
    try:
        with pytest.raises(SocialSyncError) as err:
            await extra.connect()
        assert err.value.code == "rate_limited"
    finally:
        await extra.close()


async def test_another_tenant_keeps_the_servers_limits(server):
    await server.app[STORE].add_tenant(Tenant("other", "Other", "s" * 32, True, 0))
    async with aiohttp.ClientSession(server.url) as http:
        status, _ = await put_settings(
            http, await bearer(server, ["admin"]), {"limits": {"parties_per_hour": 0}}
        )
        assert status == 200
        async with http.get("/api/v1/tenant/settings", headers=await bearer(server, ["admin"], "other")) as r:
            body = await r.json()
    assert body["settings"]["limits"]["parties_per_hour"] is None
    assert body["settings"]["effective_limits"]["parties_per_hour"] == 20
    client = SocialSyncClient(server.url, guest="Olga", tenant="other")
    try:
        await client.connect()
        await client.create_party("Theirs", VIDEO)
    finally:
        await client.close()


# --- guest bans across new guest identities ----------------------------------------


class Guest:
    """A raw Socket.IO guest from a chosen address and user agent (via X-Forwarded-For)."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.session: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.sio.on("session", lambda data: self.session.done() or self.session.set_result(data))

    @classmethod
    async def connect(cls, url: str, name: str, address: str, agent: str = "Browser/1.0") -> Guest:
        guest = cls()
        headers = {"X-Forwarded-For": address, "User-Agent": agent}
        await guest.sio.connect(url, headers=headers, auth={"guest": name}, transports=["websocket"])
        async with asyncio.timeout(5):
            await guest.session
        return guest

    @property
    def user_id(self) -> str:
        return str(self.session.result()["user"]["id"])

    async def call(self, event: str, data: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = await self.sio.call(event, data, timeout=5)
        return answer

    async def close(self) -> None:
        await self.sio.disconnect()


@pytest.fixture
async def guests():
    opened: list[Guest] = []

    async def make(name: str, address: str, agent: str = "Browser/1.0") -> Guest:
        guest = await Guest.connect(server_url[0], name, address, agent)
        opened.append(guest)
        return guest

    server_url: list[str] = []
    yield make, server_url
    for guest in opened:
        await guest.close()


def code(answer: dict[str, Any]) -> str:
    return "ok" if answer.get("ok") else str(answer["error"]["code"])


async def test_a_banned_guest_coming_back_as_a_new_guest_is_refused(server, connect, moderator, guests):
    make, url = guests
    url.append(server.url)
    host = await connect("Host")
    party = (await host.create_party("Movie night", VIDEO))["id"]
    await host.join(party)
    mallory = await make("Mallory", "203.0.113.7")
    assert code(await mallory.call("party.join", {"party": party})) == "ok"
    await moderator.request("mod.ban", {"party": party, "user": mallory.user_id})

    # The same client as a new guest identity: refused in that room...
    again = await make("Not Mallory", "203.0.113.7")
    assert again.user_id != mallory.user_id
    assert code(await again.call("party.join", {"party": party})) == "forbidden"
    # ...but not elsewhere (a room ban), and another address is welcome.
    elsewhere = await again.call("party.create", {"title": "Mine", "media": VIDEO})
    assert code(elsewhere) == "ok"
    neighbour = await make("Neighbour", "198.51.100.9")
    assert code(await neighbour.call("party.join", {"party": party})) == "ok"

    # A tenant-wide ban: no room and no new party for that client either.
    await moderator.request("mod.ban", {"party": party, "user": neighbour.user_id, "scope": "tenant"})
    back = await make("Neighbour again", "198.51.100.9")
    assert code(await back.call("party.join", {"party": elsewhere["party"]["id"]})) == "forbidden"
    assert code(await back.call("party.create", {"title": "Mine", "media": VIDEO})) == "forbidden"
    # Same address, another browser: another client.
    other_browser = await make("Other browser", "198.51.100.9", "OtherBrowser/2.0")
    assert code(await other_browser.call("party.join", {"party": party})) == "ok"

    # Lifting the ban lifts the fingerprint's too.
    await moderator.request("mod.unban", {"party": party, "user": neighbour.user_id, "scope": "tenant"})
    assert code(await back.call("party.join", {"party": party})) == "ok"
