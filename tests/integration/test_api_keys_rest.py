"""API keys end to end on a real server (docs/api-keys.md): a key made with the CLI (a
real process on the server's database) calls the REST API within its scopes and is
refused beyond them (403); revoked, it is refused (401) within the cache time; each key
has its own rate limit (429 with Retry-After, RateLimit-* headers); an admin manages
keys over REST, and a key never grants more than it holds."""

from __future__ import annotations

import asyncio
import sys
import time

import aiohttp
import pytest
from support import VIDEO, running_server

from socialsync.app import STORE
from socialsync.edge.auth import issue_token

CACHE_S = 1.0


@pytest.fixture
async def server(tmp_path, backend):
    async with running_server(tmp_path, **backend, access_cache_s=CACHE_S) as s:
        yield s


async def cli(server, *args: str) -> str:
    """``socialsync <args>`` as a separate process on the server's database."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "socialsync",
        *args,
        "--database-url",
        server.config.database_url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def admin_headers(server, tenant_id: str = "demo") -> dict[str, str]:
    tenant = await server.app[STORE].get_tenant(tenant_id)
    return {"Authorization": f"Bearer {issue_token(tenant, 'ops', 'Ops', ['admin'], 600, int(time.time()))}"}


def key_headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def call(http, method: str, path: str, headers, body=None) -> tuple[int, dict, aiohttp.ClientResponse]:
    async with http.request(method, path, headers=headers, json=body) as r:
        return r.status, await r.json(), r


async def test_a_cli_key_calls_within_its_scopes_until_revoked(server):
    out = await cli(
        server, "apikey", "create", "--tenant", "demo", "--name", "Portal", "--scope", "parties:write"
    )
    lines = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    key, key_id = lines["api key"].strip(), lines["key id"].strip()
    assert key.startswith(f"ssk_{key_id}_")
    async with aiohttp.ClientSession(server.url) as http:
        status, body, r = await call(
            http, "POST", "/api/v1/parties", key_headers(key), {"title": "T", "media": VIDEO}
        )
        assert status == 201, body
        assert int(r.headers["RateLimit-Limit"]) == 60 and int(r.headers["RateLimit-Remaining"]) == 59
        assert "RateLimit-Reset" in r.headers
        status, body, _ = await call(http, "GET", "/api/v1/api-keys", key_headers(key))
        assert status == 403 and body["error"]["message"] == "this API key lacks the scope users:admin"
        # Listed (never with its secret), by the CLI and by an admin over REST.
        listed = await cli(server, "apikey", "list", "--tenant", "demo")
        assert key_id in listed and key.split("_", 2)[2] not in listed
        status, body, _ = await call(http, "GET", "/api/v1/api-keys", await admin_headers(server))
        assert status == 200 and [k["id"] for k in body["items"]] == [key_id]
        assert body["items"][0]["last_used_at"] is not None
        # Revoked in the database by the CLI: the node's cached copy holds for CACHE_S at most.
        await cli(server, "apikey", "revoke", "--tenant", "demo", key_id)
        revoked_at = time.monotonic()  # committed by now
        while True:
            status, body, _ = await call(http, "GET", "/api/v1/parties", key_headers(key))
            if status == 401:
                break
            assert status == 200 and time.monotonic() - revoked_at < CACHE_S + 1.0
            await asyncio.sleep(0.05)
        assert body["error"] == {"code": "unauthorized", "message": "API key revoked"}
        assert time.monotonic() - revoked_at < CACHE_S + 1.0


async def test_each_key_has_its_own_rate_limit(tmp_path):
    async with (
        running_server(tmp_path, access_cache_s=CACHE_S) as server,
        aiohttp.ClientSession(server.url) as http,
    ):
        admin = await admin_headers(server)
        made = {}
        for name in ("slow", "other"):
            wanted = {"name": name, "scopes": ["parties:write"], "per_minute": 6, "burst": 3}
            status, body, _ = await call(http, "POST", "/api/v1/api-keys", admin, wanted)
            assert status == 201, body
            made[name] = body["api_key"]
        for remaining in (2, 1, 0):
            status, _, r = await call(http, "GET", "/api/v1/parties", key_headers(made["slow"]))
            assert status == 200 and r.headers["RateLimit-Limit"] == "3"
            assert r.headers["RateLimit-Remaining"] == str(remaining)
        status, body, r = await call(http, "GET", "/api/v1/parties", key_headers(made["slow"]))
        assert status == 429 and body["error"]["code"] == "rate_limited"
        assert 1 <= int(r.headers["Retry-After"]) <= 10  # one request back every 10 s
        assert r.headers["RateLimit-Remaining"] == "0" and int(r.headers["RateLimit-Reset"]) >= 1
        # Another key's bucket is its own; a person's token has none.
        status, _, r = await call(http, "GET", "/api/v1/parties", key_headers(made["other"]))
        assert status == 200 and r.headers["RateLimit-Remaining"] == "2"
        status, _, r = await call(http, "GET", "/api/v1/parties", admin)
        assert status == 200 and "RateLimit-Limit" not in r.headers


async def test_keys_over_rest_are_shown_once_and_grant_no_more_than_their_maker(tmp_path):
    async with (
        running_server(tmp_path, access_cache_s=CACHE_S) as server,
        aiohttp.ClientSession(server.url) as http,
    ):
        admin = await admin_headers(server)
        wanted = {
            "name": "Ops",
            "scopes": ["users:admin", "parties:write"],
            "expires_at": int(time.time() + 3600) * 1000,
        }
        status, body, _ = await call(http, "POST", "/api/v1/api-keys", admin, wanted)
        assert status == 201 and body["key"]["scopes"] == ["parties:write", "users:admin"]
        ops = key_headers(body["api_key"])
        # A key with users:admin makes keys within its own scopes, lists and revokes them.
        status, body, _ = await call(
            http, "POST", "/api/v1/api-keys", ops, {"name": "x", "scopes": ["webhooks:admin"]}
        )
        assert status == 403 and "webhooks:admin" in body["error"]["message"]
        status, body, _ = await call(
            http, "POST", "/api/v1/api-keys", ops, {"name": "Child", "scopes": ["parties:write"]}
        )
        assert status == 201
        child, child_id = body["api_key"], body["key"]["id"]
        status, page, _ = await call(http, "GET", "/api/v1/api-keys?limit=1", ops)
        assert status == 200 and len(page["items"]) == 1 and page["next_cursor"]
        status, rest, _ = await call(
            http, "GET", f"/api/v1/api-keys?limit=1&cursor={page['next_cursor']}", ops
        )
        assert len(rest["items"]) == 1 and rest["next_cursor"] is None
        assert all("api_key" not in k and "secret_hash" not in k for k in page["items"] + rest["items"])
        status, body, _ = await call(http, "DELETE", f"/api/v1/api-keys/{child_id}", ops)
        assert status == 200 and body["key"]["revoked_at"] is not None
        status, body, _ = await call(http, "GET", "/api/v1/parties", key_headers(child))  # this node: at once
        assert status == 401 and body["error"]["message"] == "API key revoked"
        # Another tenant's admin sees none of them.
        await server.app[STORE].add_tenant(
            type(await server.app[STORE].get_tenant("demo"))("acme", "Acme", "s" * 32, False, 0)
        )
        status, body, _ = await call(http, "GET", "/api/v1/api-keys", await admin_headers(server, "acme"))
        assert status == 200 and body["items"] == []
        status, body, _ = await call(
            http, "DELETE", f"/api/v1/api-keys/{child_id}", await admin_headers(server, "acme")
        )
        assert status == 404
        # A malformed or made-up key.
        for bad in ("ssk_nope", "ssk_00000000000000ff_" + "A" * 43):
            status, body, _ = await call(http, "GET", "/api/v1/parties", key_headers(bad))
            assert status == 401, bad
