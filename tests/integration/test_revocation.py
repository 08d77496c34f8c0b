"""Token revocation (by ``jti`` or by user): a revoked token's CONNECT and REST calls
are refused ``unauthorized`` and its open sockets are closed on every node, within a
bounded wait; another token of the user (by jti), another user, and another tenant's
user with the same ``sub`` keep working. Embedded and as a cluster node (``server``),
across two nodes, and through the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import jwt
import pytest
from support import Server, cluster_backend, running_server

from socialsync.app import STORE
from socialsync.domain.tenant import Tenant
from socialsync.edge.auth import issue_token
from socialsync.ports.revocations import FOLLOW_BOUND_S
from socialsync.sdk.client import SocialSyncClient, SocialSyncError

SUB = "u-42"
# Every node learns within FOLLOW_BOUND_S; a loaded machine gets a margin on top.
CLOSED_WITHIN_S = FOLLOW_BOUND_S + 3.0


async def _tenants(server: Server) -> tuple[Tenant, Tenant]:
    store = server.app[STORE]
    if await store.get_tenant("acme") is None:
        await store.add_tenant(Tenant("acme", "Acme TV", "a" * 40, True, int(time.time() * 1000)))
    demo, acme = await store.get_tenant("demo"), await store.get_tenant("acme")
    assert demo is not None and acme is not None
    return demo, acme


def _jti(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["jti"])


class Tokens:
    def __init__(self, demo: Tenant, acme: Tenant, now: int) -> None:
        self.first = issue_token(demo, SUB, "Una", ["viewer"], 600, now)
        self.second = issue_token(demo, SUB, "Una", ["viewer"], 600, now)  # same user, own jti
        self.other_user = issue_token(demo, "u-43", "Otto", ["viewer"], 600, now)
        self.other_tenant = issue_token(acme, SUB, "Abe", ["viewer"], 600, now)  # same sub
        self.admin = issue_token(demo, "admin-1", "Ada", ["admin"], 600, now)


@contextlib.asynccontextmanager
async def sockets(urls: dict[str, str]) -> AsyncIterator[dict[str, SocialSyncClient]]:
    """{name: token} -> connected clients that do not reconnect (a closed socket stays closed)."""
    clients = {
        name: SocialSyncClient(url, token=token, reconnection=False) for name, (url, token) in urls.items()
    }
    try:
        for client in clients.values():
            await client.connect(sync_clock=False)
        yield clients
    finally:
        for client in clients.values():
            await client.close()


async def _closed(client: SocialSyncClient) -> None:
    deadline = time.monotonic() + CLOSED_WITHIN_S
    while client.connected:
        assert time.monotonic() < deadline, f"socket still open {CLOSED_WITHIN_S} s after the revocation"
        await asyncio.sleep(0.05)


async def _works(client: SocialSyncClient) -> None:
    assert client.connected
    answer = await client.request("time.sync", {"t0": 1})
    assert answer.get("ok") is not False


async def _revoke(url: str, admin: str, body: dict[str, str]) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/api/v1/revocations", json=body, headers={"Authorization": f"Bearer {admin}"}) as r,
    ):
        answer: dict[str, Any] = await r.json()
        assert r.status == 200, answer
        return answer


async def _rest_code(url: str, token: str) -> str:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{url}/api/v1/parties", headers={"Authorization": f"Bearer {token}"}) as r,
    ):
        answer = await r.json()
        return (
            "ok" if r.status == 200 else str(answer["error"]["code"] if "error" in answer else answer["code"])
        )


async def _connect_code(url: str, token: str) -> str:
    client = SocialSyncClient(url, token=token, reconnection=False)
    try:
        await client.connect(sync_clock=False)
        return "ok"
    except SocialSyncError as exc:
        return exc.code
    finally:
        await client.close()


async def test_revoking_a_jti_closes_that_token_only(server):
    demo, acme = await _tenants(server)
    t = Tokens(demo, acme, int(time.time()))
    url = server.url
    names = {"first": t.first, "second": t.second, "other_user": t.other_user, "other_tenant": t.other_tenant}
    async with sockets({n: (url, tok) for n, tok in names.items()}) as c:
        answer = await _revoke(url, t.admin, {"jti": _jti(t.first)})
        assert answer["ok"] and answer["jti"] == _jti(t.first)
        await _closed(c["first"])
        assert await _connect_code(url, t.first) == "unauthorized"
        assert await _rest_code(url, t.first) == "unauthorized"
        for name in ("second", "other_user", "other_tenant"):
            await _works(c[name])
            assert await _rest_code(url, names[name]) == "ok"


async def test_revoking_a_user_closes_all_their_tokens_in_their_tenant_only(server):
    demo, acme = await _tenants(server)
    t = Tokens(demo, acme, int(time.time()))
    url = server.url
    guest = SocialSyncClient(url, guest="Gus", reconnection=False)
    async with sockets(
        {
            "first": (url, t.first),
            "second": (url, t.second),
            "other_user": (url, t.other_user),
            "other_tenant": (url, t.other_tenant),
        }
    ) as c:
        await guest.connect(sync_clock=False)
        try:
            answer = await _revoke(url, t.admin, {"user": SUB})
            await _closed(c["first"])
            await _closed(c["second"])
            for token in (t.first, t.second):
                assert await _connect_code(url, token) == "unauthorized"
                assert await _rest_code(url, token) == "unauthorized"
            await _works(c["other_user"])
            await _works(c["other_tenant"])  # tenant acme's "u-42" is someone else
            assert await _rest_code(url, t.other_tenant) == "ok"
            await _works(guest)
            # A token issued after the revocation (from its next second: one of the
            # same second counts as before it) is the user's new sign-in: it works.
            await asyncio.sleep(max(0.0, answer["at"] + 1 - time.time()))  # at most a second
            fresh = issue_token(demo, SUB, "Una", ["viewer"], 600, answer["at"] + 1)
            assert await _connect_code(url, fresh) == "ok"
        finally:
            await guest.close()


async def test_revocations_are_for_admins_of_the_callers_tenant_with_one_id(server):
    demo, acme = await _tenants(server)
    t = Tokens(demo, acme, int(time.time()))
    other_admin = issue_token(acme, "admin-1", "Abe", ["admin"], 600, int(time.time()))
    async with aiohttp.ClientSession() as http:

        async def post(token: str, body: Any) -> tuple[int, str]:
            headers = {"Authorization": f"Bearer {token}"}
            async with http.post(f"{server.url}/api/v1/revocations", json=body, headers=headers) as r:
                answer = await r.json()
                return r.status, answer.get("error", answer).get("code", "ok") if not answer.get(
                    "ok"
                ) else "ok"

        assert (await post(t.first, {"user": "u-43"}))[1] == "forbidden"
        for bad in ({}, {"jti": "a", "user": "b"}, {"user": "a b"}, {"jti": 5}, ["jti"]):
            assert (await post(t.admin, bad))[1] == "bad_request", bad
        # Another tenant's admin revokes "u-42" of its own tenant: demo's u-42 is untouched.
        assert (await post(other_admin, {"user": SUB}))[1] == "ok"
    assert await _connect_code(server.url, t.first) == "ok"
    assert await _connect_code(server.url, t.other_tenant) == "unauthorized"


async def test_an_embedded_servers_revocations_outlive_its_restart(tmp_path):
    """Embedded (no Redis) revocations are in the database: the same SQLite file, after
    a restart, still refuses the revoked tokens (by jti and by user), and only them."""
    async with running_server(tmp_path) as first:
        demo, acme = await _tenants(first)
        t = Tokens(demo, acme, int(time.time()))
        await _revoke(first.url, t.admin, {"jti": _jti(t.first)})
        await _revoke(first.url, t.admin, {"user": "u-43"})
        assert await _connect_code(first.url, t.first) == "unauthorized"
    async with running_server(tmp_path) as again:
        assert await _connect_code(again.url, t.first) == "unauthorized"
        assert await _rest_code(again.url, t.first) == "unauthorized"
        assert await _connect_code(again.url, t.other_user) == "unauthorized"
        assert await _rest_code(again.url, t.other_user) == "unauthorized"
        assert await _connect_code(again.url, t.second) == "ok"
        assert await _rest_code(again.url, t.other_tenant) == "ok"


@pytest.mark.redis
@pytest.mark.postgres
async def test_a_revocation_on_one_node_closes_sockets_on_the_other(tmp_path):
    async with cluster_backend() as shared:
        async with (
            running_server(tmp_path / "a", node_id="node-a", **shared) as a,
            running_server(tmp_path / "b", node_id="node-b", **shared) as b,
        ):
            demo, acme = await _tenants(a)
            t = Tokens(demo, acme, int(time.time()))
            async with sockets(
                {
                    "on_a": (a.url, t.first),
                    "on_b": (b.url, t.second),
                    "kept": (b.url, t.other_user),
                    "other_tenant": (b.url, t.other_tenant),
                }
            ) as c:
                await _revoke(a.url, t.admin, {"user": SUB})
                await _closed(c["on_a"])
                await _closed(c["on_b"])
                assert await _connect_code(b.url, t.second) == "unauthorized"
                assert await _rest_code(b.url, t.first) == "unauthorized"
                await _works(c["kept"])
                await _works(c["other_tenant"])
                # By jti, from node b: node a closes it.
                async with sockets({"other": (a.url, t.other_user)}) as d:
                    await _revoke(b.url, t.admin, {"jti": _jti(t.other_user)})
                    await _closed(d["other"])
                    await _closed(c["kept"])  # the same token, on node b


async def test_the_cli_revokes_through_a_running_node(server):
    demo, acme = await _tenants(server)
    t = Tokens(demo, acme, int(time.time()))
    env = {**os.environ, "SOCIALSYNC_DATABASE_URL": server.config.database_url}
    if server.config.secret_key:
        env["SOCIALSYNC_SECRET_KEY"] = server.config.secret_key
    async with sockets({"first": (server.url, t.first), "kept": (server.url, t.second)}) as c:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "socialsync", "token", "revoke", "--tenant", "demo",
            f"--jti={_jti(t.first)}", "--url", server.url,
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
        assert '"ok": true' in out.decode()
        await _closed(c["first"])
        await _works(c["kept"])
    assert await _connect_code(server.url, t.first) == "unauthorized"
