"""HTTP edge: health, readiness, metrics and the REST API, over a real socket."""

from __future__ import annotations

import time

import aiohttp
import pytest
from support import VIDEO, running_server

from socialsync.app import STORE
from socialsync.domain.tenant import Tenant
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient


async def _tenant(server) -> Tenant:
    tenant = Tenant("acme", "Acme TV", "s" * 40, False, int(time.time() * 1000))
    await server.app[STORE].add_tenant(tenant)
    return tenant


def _bearer(tenant: Tenant, *roles: str) -> dict[str, str]:
    token = issue_token(tenant, "backend", "Backend", list(roles or ["viewer"]), 60, int(time.time()))
    return {"Authorization": f"Bearer {token}"}


async def test_health_and_readiness(server):
    async with aiohttp.ClientSession(server.url) as http:
        async with http.get("/healthz") as r:
            assert r.status == 200 and await r.json() == {"ok": True}
        async with http.get("/readyz") as r:
            assert r.status == 200


@pytest.fixture
async def metered(tmp_path, backend):
    async with running_server(tmp_path, **backend, metrics_token="m" * 32) as s:
        yield s


async def test_metrics_count_events_and_sockets(metered):
    server = metered
    a, b = SocialSyncClient(server.url, guest="A"), SocialSyncClient(server.url, guest="B")
    try:
        await a.connect()
        await b.connect()
        party_id = (await a.create_party("Movie night", VIDEO))["id"]
        await a.join(party_id)
        await b.join(party_id)
        await a.control(party_id, "play")
        async with aiohttp.ClientSession(server.url) as http:
            async with http.get("/metrics") as r:
                assert r.status == 404  # behind its token (issue 13)
            async with http.get("/metrics", headers={"Authorization": "Bearer " + "m" * 32}) as r:
                text = await r.text()
    finally:
        await a.close()
        await b.close()
    assert "socialsync_sockets 2.0" in text
    assert "socialsync_parties 1.0" in text
    assert "socialsync_members 2.0" in text
    assert 'socialsync_events_total{event="playback.control",outcome="ok"} 1.0' in text
    assert 'socialsync_ack_seconds_count{event="party.join"} 2.0' in text


async def test_rest_create_then_socket_join(server, connect):
    tenant = await _tenant(server)
    async with aiohttp.ClientSession(server.url) as http:
        body = {"title": "Launch", "media": VIDEO, "settings": {"type": "live_room"}}
        async with http.post("/api/v1/parties", json=body, headers=_bearer(tenant)) as r:
            assert r.status == 201
            created = (await r.json())["party"]
        assert created["settings"]["max_members"] == 10_000
        async with http.get(f"/api/v1/parties/{created['id']}", headers=_bearer(tenant)) as r:
            got = await r.json()
            assert got["party"]["id"] == created["id"] and got["playback"]["seq"] == 0
        async with http.get("/api/v1/parties?type=live_room", headers=_bearer(tenant)) as r:
            assert [p["id"] for p in (await r.json())["items"]] == [created["id"]]


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "code"),
    [
        ("post", "/api/v1/parties", {"title": "x", "media": VIDEO}, {}, 401, "unauthorized"),
        (
            "post",
            "/api/v1/parties",
            {"title": "x", "media": VIDEO},
            {"Authorization": "Bearer junk"},
            401,
            "unauthorized",
        ),
        ("post", "/api/v1/parties", {"title": "", "media": VIDEO}, "auth", 400, "bad_request"),
        ("post", "/api/v1/parties", "not json", "auth", 400, "bad_request"),
        ("post", "/api/v1/parties", {"title": "x" * 100_000, "media": VIDEO}, "auth", 413, "too_large"),
        ("get", "/api/v1/parties/nope", None, "auth", 404, "not_found"),
        ("get", "/api/v1/parties/bad%20id", None, "auth", 400, "bad_request"),
        ("get", "/api/v1/parties?type=radio", None, "auth", 400, "bad_request"),
        ("get", "/api/v1/nothing-here", None, "auth", 404, "not_found"),
    ],
)
async def test_rest_errors_are_structured(server, method, path, body, headers, status, code):
    tenant = await _tenant(server)
    if headers == "auth":
        headers = _bearer(tenant)
    async with aiohttp.ClientSession(server.url) as http:
        kwargs = {"data": body} if isinstance(body, str) else {"json": body} if body is not None else {}
        async with http.request(method, path, headers=headers, **kwargs) as r:
            assert r.status == status
            answer = await r.json()
    assert answer["ok"] is False and answer["error"]["code"] == code and answer["error"]["message"]


async def test_rest_hides_other_tenants_parties(server, connect):
    tenant = await _tenant(server)
    guest = await connect("Demo guest")
    created = await guest.create_party("Demo party", VIDEO)
    async with aiohttp.ClientSession(server.url) as http:
        async with http.get(f"/api/v1/parties/{created['id']}", headers=_bearer(tenant, "admin")) as r:
            assert r.status == 404


async def test_a_rest_created_party_is_hosted_by_its_first_viewer(server, connect):
    tenant = await _tenant(server)
    async with aiohttp.ClientSession(server.url) as http:
        body = {"title": "For viewers", "media": VIDEO}
        async with http.post("/api/v1/parties", json=body, headers=_bearer(tenant)) as r:
            created = (await r.json())["party"]
    assert created["host"] is None and created["member_count"] == 0
    viewer = SocialSyncClient(
        server.url, token=issue_token(tenant, "v1", "Vi", ["viewer"], 60, int(time.time()))
    )
    await viewer.connect()
    try:
        answer = await viewer.join(created["id"])
        assert answer["you"]["role"] == "host"
        assert [m["id"] for m in answer["members"]] == ["v1"]
    finally:
        await viewer.close()
