"""Tokens the platform signs itself (RS256/ES256) with a key of the JWKS its tenant
registered (docs/api-keys.md): a real server fetches the JWKS from a real local
HTTP server, follows a key rotation (old and new both valid, then the old removed),
refuses unknown kids (fetching again at most once per interval), never takes a key
of tenant A for tenant B, and keeps HS256 as it was. A slow JWKS server holds up no
other tenant."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from support import running_server

from socialsync.adapters.sql.api_keys import SqlApiKeys
from socialsync.app import STORE
from socialsync.domain.api_keys import TenantAccess
from socialsync.domain.tenant import Tenant
from socialsync.edge.auth import issue_token
from socialsync.edge.jwks import JwksKeys
from socialsync.sdk.client import SocialSyncClient

REFETCH_S = 1.0
MAX_AGE_S = 2


class Platform:
    """The platform's signing keys, and the JWKS server it publishes them on."""

    def __init__(self) -> None:
        self.private: dict[str, Any] = {}
        self.published: dict[str, list[str]] = {}  # tenant -> the kids in its JWKS
        self.fetches: dict[str, int] = {}
        self.release_slow = asyncio.Event()
        self.url = ""

    def new_key(self, kid: str, kind: str = "EC") -> None:
        if kind == "EC":
            self.private[kid] = ec.generate_private_key(ec.SECP256R1())
        else:
            self.private[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self, kid: str) -> dict[str, Any]:
        key = self.private[kid]
        algorithm = jwt.algorithms.ECAlgorithm if isinstance(key, ec.EllipticCurvePrivateKey) else None
        data = (algorithm or jwt.algorithms.RSAAlgorithm).to_jwk(key.public_key(), as_dict=True)
        return data | {"kid": kid, "use": "sig"}

    def token(self, kid: str, iss: str, sub: str = "u1", roles: tuple[str, ...] = ("admin",)) -> str:
        alg = "ES256" if isinstance(self.private[kid], ec.EllipticCurvePrivateKey) else "RS256"
        now = int(time.time())
        claims = {"iss": iss, "sub": sub, "name": "Ada", "roles": list(roles), "iat": now, "exp": now + 600}
        return jwt.encode(claims, self.private[kid], algorithm=alg, headers={"kid": kid})

    async def serve(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        self.fetches[tenant] = self.fetches.get(tenant, 0) + 1
        if tenant == "slow":
            await self.release_slow.wait()
        keys = [self.jwk(kid) for kid in self.published.get(tenant, [])]
        return web.json_response({"keys": keys}, headers={"Cache-Control": f"public, max-age={MAX_AGE_S}"})


@pytest.fixture
async def platform() -> AsyncIterator[Platform]:
    made = Platform()
    app = web.Application()
    app.router.add_get("/jwks/{tenant}", made.serve)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    made.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield made
    finally:
        made.release_slow.set()
        await runner.cleanup()


@pytest.fixture
async def server(tmp_path, platform):
    async with running_server(tmp_path, jwks_refetch_s=REFETCH_S, jwks_timeout_s=30.0) as s:
        store = s.app[STORE]
        keys = SqlApiKeys(store)
        for tenant_id in ("acme", "beta", "slow"):
            await store.add_tenant(Tenant(tenant_id, tenant_id, "s" * 32, False, 0))
            await keys.set_access(tenant_id, TenantAccess(jwks_url=f"{platform.url}/jwks/{tenant_id}"), 0)
        yield s


async def status(server, token: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{server.url}/api/v1/parties", headers={"Authorization": f"Bearer {token}"}) as r,
    ):
        body = await r.json()
        return r.status, "" if r.status == 200 else body["error"]["message"]


async def until(condition, timeout_s: float = 6.0) -> float:
    """Poll ``condition`` (async) until true; the seconds it took."""
    started = time.monotonic()
    while not await condition():
        assert time.monotonic() - started < timeout_s, "timed out"
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def test_a_key_rotation_with_two_active_keys(server, platform):
    platform.new_key("k1")
    platform.new_key("k2", "RSA")
    platform.published["acme"] = ["k1"]
    assert await status(server, platform.token("k1", "acme")) == (200, "")
    # The new key is not published yet: refused, and a flood of unknown kids costs at
    # most one more fetch a REFETCH_S.
    for i in range(10):
        code, message = await status(server, platform.token("k2", "acme", sub=f"u{i}"))
        assert code == 401 and "no key 'k2'" in message
    assert platform.fetches["acme"] <= 2
    # Published beside the old one: accepted once the JWKS is fetched again (an
    # unknown kid sends for it, at most once a REFETCH_S), and the old key still is.
    platform.published["acme"] = ["k1", "k2"]
    await until(lambda: _accepted(server, platform.token("k2", "acme")))
    assert await status(server, platform.token("k1", "acme")) == (200, "")
    # A socket handshake takes it too.
    client = SocialSyncClient(
        server.url, token=platform.token("k2", "acme", sub="viewer-7", roles=("viewer",))
    )
    await client.connect(sync_clock=False)
    assert client.user is not None and (client.user["id"], client.user["tenant"]) == ("viewer-7", "acme")
    await client.close()
    # The old key withdrawn: refused once the JWKS's max-age has run out.
    platform.published["acme"] = ["k2"]
    took = await until(lambda: _refused(server, platform.token("k1", "acme")))
    assert took <= MAX_AGE_S + 1.5
    assert await status(server, platform.token("k2", "acme")) == (200, "")


async def _accepted(server, token: str) -> bool:
    return (await status(server, token))[0] == 200


async def _refused(server, token: str) -> bool:
    return (await status(server, token))[0] == 401


async def test_a_token_is_checked_against_the_keys_of_the_tenant_it_names_only(server, platform):
    platform.new_key("a1")
    platform.new_key("b1")
    platform.published |= {"acme": ["a1"], "beta": ["b1"]}
    assert await status(server, platform.token("a1", "acme")) == (200, "")
    assert await status(server, platform.token("b1", "beta")) == (200, "")
    # Tenant A's key claiming tenant B: B's JWKS has no such key.
    code, message = await status(server, platform.token("a1", "beta"))
    assert code == 401 and "no key 'a1'" in message
    # B's key under A's kid: the signature is A's key's to check, and fails.
    forged = jwt.encode(
        jwt.decode(platform.token("b1", "acme"), options={"verify_signature": False}),
        platform.private["b1"],
        algorithm="ES256",
        headers={"kid": "a1"},
    )
    code, message = await status(server, forged)
    assert code == 401 and "Signature verification failed" in message
    # Without iss, for an unknown tenant, for a tenant without a JWKS.
    no_iss = jwt.encode(
        {"sub": "u", "exp": int(time.time()) + 60}, platform.private["a1"], "ES256", {"kid": "a1"}
    )
    assert (await status(server, no_iss))[1] == "an RS256/ES256 token must name its tenant in iss"
    assert (await status(server, platform.token("a1", "nobody")))[1] == "unknown tenant"
    assert (await status(server, platform.token("a1", "demo")))[1] == "no key 'a1' in this tenant's JWKS"
    # The shared secret works as before, and never for RS/ES tokens' tenants' JWKS.
    demo = await server.app[STORE].get_tenant("demo")
    assert await status(server, issue_token(demo, "u1", "Ada", ["admin"], 600, int(time.time()))) == (200, "")
    hs_as_es = jwt.encode(
        {"iss": "acme", "sub": "u", "exp": int(time.time()) + 60}, "s" * 32, "HS256", {"kid": "a1"}
    )
    assert (await status(server, hs_as_es))[1] == "unknown tenant"  # HS256: the kid is the tenant


async def test_a_slow_jwks_server_holds_up_no_other_tenant(server, platform):
    platform.new_key("a1")
    platform.new_key("s1")
    platform.published |= {"acme": ["a1"], "slow": ["s1"]}
    slow = [asyncio.create_task(status(server, platform.token("s1", "slow", sub=f"u{i}"))) for i in range(3)]
    await until(lambda: _fetched(platform, "slow"))
    # The slow tenant's JWKS server has not answered yet; another tenant is served.
    assert await status(server, platform.token("a1", "acme")) == (200, "")
    assert not any(task.done() for task in slow)
    # It answers: the slow tenant's requests, which shared its one fetch, are served.
    platform.release_slow.set()
    assert await asyncio.gather(*slow) == [(200, "")] * 3
    assert platform.fetches["slow"] == 1


async def _fetched(platform: Platform, tenant: str) -> bool:
    return platform.fetches.get(tenant, 0) > 0


async def test_a_jwks_server_that_never_answers_times_out_and_the_known_keys_stay(platform):
    """JwksKeys alone, with a short timeout: a fetch that times out refuses an unknown
    kid, and keeps the keys an earlier fetch found."""
    platform.new_key("s1")
    platform.published["slow"] = ["s1"]
    access = TenantAccess(jwks_url=f"{platform.url}/jwks/slow")

    async def access_of(tenant_id: str) -> TenantAccess:
        return access

    keys = JwksKeys(access_of, timeout_s=0.2, refetch_s=0.0)
    try:
        started = time.monotonic()
        assert await keys.key("slow", "s1") is None
        assert 0.2 <= time.monotonic() - started < 2.0
        platform.release_slow.set()
        assert await keys.key("slow", "s1") is not None
        platform.release_slow.clear()
        assert await keys.key("slow", "s2") is None  # refetched (refetch_s=0): timed out
        assert await keys.key("slow", "s1") is not None
    finally:
        platform.release_slow.set()
        await keys.close()
