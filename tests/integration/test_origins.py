"""Allowed origins per tenant (docs/api-keys.md) on a real server: a Socket.IO handshake
from a page of another origin is refused with a clear error; REST answers CORS for the
tenant's origins only (a preflight, then the request); a tenant that lists none, and a
client that sends no Origin, are served as before."""

from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp
import pytest
import socketio
from support import running_server

from socialsync.app import STORE
from socialsync.domain.tenant import Tenant
from socialsync.edge.auth import issue_token

TV = "https://tv.example"
EVIL = "https://evil.example"


@pytest.fixture
async def server(tmp_path):
    async with running_server(tmp_path) as s:
        await s.app[STORE].add_tenant(Tenant("acme", "Acme", "s" * 32, True, 0))
        yield s


async def token(server, tenant_id: str = "demo", roles: tuple[str, ...] = ("admin",)) -> str:
    tenant = await server.app[STORE].get_tenant(tenant_id)
    return issue_token(tenant, "u1", "Ada", list(roles), 600, int(time.time()))


async def handshake(server, auth: dict, origin: str | None) -> dict | None:
    """None when the socket connects, else the refusal's data."""
    client = socketio.AsyncClient(reconnection=False)
    refusal: dict = {}
    client.on("connect_error", lambda data=None: refusal.update(data or {}))
    headers = {"Origin": origin} if origin else {}
    try:
        await client.connect(server.url, auth=auth, headers=headers, transports=["websocket"], wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        return refusal.get("data")
    await client.disconnect()
    return None


async def test_a_socket_from_an_origin_the_tenant_does_not_allow_is_refused(server):
    # Set by the operator's CLI (a separate process, on the server's database).
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "socialsync", "tenant", "access", "demo"),
        *("--allowed-origin", TV, "--allowed-origin", "https://*.TV.example"),
        *("--database-url", server.config.database_url),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    assert process.returncode == 0
    assert json.loads(out)["allowed_origins"] == [TV, "https://*.tv.example"]
    viewer = {"token": await token(server, roles=("viewer",))}
    refused = await handshake(server, viewer, EVIL)
    assert refused == {"code": "forbidden", "message": f"origin {EVIL} is not allowed for this tenant"}
    assert await handshake(server, {"guest": "Gus", "tenant": "demo"}, EVIL) == refused
    for allowed in (TV, "https://m.tv.example", server.url, None):  # None: not a browser
        assert await handshake(server, viewer, allowed) is None, allowed
    # A tenant without a list: any origin, as before.
    assert await handshake(server, {"token": await token(server, "acme")}, EVIL) is None


async def test_rest_answers_cors_for_the_tenants_origins_only(server):
    demo = {"Authorization": f"Bearer {await token(server)}"}
    acme = {"Authorization": f"Bearer {await token(server, 'acme')}"}
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    async with aiohttp.ClientSession(server.url) as http:
        # No tenant lists origins: no CORS, as before.
        async with http.options("/api/v1/parties", headers=preflight | {"Origin": TV}) as r:
            assert r.status >= 400 and "Access-Control-Allow-Origin" not in r.headers
        async with http.put("/api/v1/tenant/access", json={"allowed_origins": [TV]}, headers=demo) as r:
            assert r.status == 200
        async with http.options("/api/v1/parties", headers=preflight | {"Origin": TV}) as r:
            assert r.status == 204 and r.headers["Access-Control-Allow-Origin"] == TV
            assert "Authorization" in r.headers["Access-Control-Allow-Headers"]
            assert "POST" in r.headers["Access-Control-Allow-Methods"]
        async with http.options("/api/v1/parties", headers=preflight | {"Origin": EVIL}) as r:
            assert r.status == 403 and "Access-Control-Allow-Origin" not in r.headers
        async with http.get("/api/v1/parties", headers=demo | {"Origin": TV}) as r:
            assert r.status == 200 and r.headers["Access-Control-Allow-Origin"] == TV
            assert "RateLimit-Remaining" in r.headers["Access-Control-Expose-Headers"]
            assert "Origin" in r.headers.getall("Vary")
        async with http.get("/api/v1/parties", headers=demo | {"Origin": EVIL}) as r:
            assert r.status == 403 and "Access-Control-Allow-Origin" not in r.headers
            assert (await r.json())["error"]["message"] == f"origin {EVIL} is not allowed for this tenant"
        # A refusal to an allowed origin is readable by its page.
        async with http.get("/api/v1/parties/nope", headers=demo | {"Origin": TV}) as r:
            assert r.status == 404 and r.headers["Access-Control-Allow-Origin"] == TV
        # Another tenant (no list): served, without CORS. No Origin: served, without CORS.
        async with http.get("/api/v1/parties", headers=acme | {"Origin": TV}) as r:
            assert r.status == 200 and "Access-Control-Allow-Origin" not in r.headers
        async with http.get("/api/v1/parties", headers=demo) as r:
            assert r.status == 200 and "Access-Control-Allow-Origin" not in r.headers
        # Back to any origin.
        async with http.put("/api/v1/tenant/access", json={"allowed_origins": None}, headers=demo) as r:
            assert r.status == 200
        async with http.get("/api/v1/parties", headers=demo | {"Origin": EVIL}) as r:
            assert r.status == 200 and "Access-Control-Allow-Origin" not in r.headers
