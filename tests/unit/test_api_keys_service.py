"""API keys (services/api_keys.py, domain/api_keys.py) on the memory store with a clock the
test moves: the key's text, verification and its cache (revocation on another node
holds within it, unknown ids are cached too), expiry, the last use written at most a
minute, the per-key token bucket, who may manage keys; and the access settings' rules."""

from __future__ import annotations

import pytest

from socialsync.adapters.memory.api_keys import MemoryApiKeys
from socialsync.domain.access import Caller, Scope
from socialsync.domain.api_keys import (
    Quota,
    QuotaExceeded,
    check_jwks,
    check_jwks_url,
    check_origins,
    origin_allowed,
    parse_key,
)
from socialsync.domain.errors import Code, SyncError
from socialsync.domain.model import TenantRole, User
from socialsync.services.api_keys import AccessSettings, ApiKeys, KeySettings

NOW = 1_700_000_000_000


class Clock:
    def __init__(self) -> None:
        self.ms = NOW

    def now_ms(self) -> int:
        return self.ms


class CountingStore(MemoryApiKeys):
    def __init__(self) -> None:
        super().__init__({"demo", "acme"})
        self.reads = 0
        self.touches = 0

    async def get(self, key_id):
        self.reads += 1
        return await super().get(key_id)

    async def touch(self, key_id, at_ms, every_ms):
        self.touches += 1
        await super().touch(key_id, at_ms, every_ms)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> CountingStore:
    return CountingStore()


@pytest.fixture
def keys(store, clock) -> ApiKeys:
    return ApiKeys(store, clock, KeySettings(per_minute=60, burst=3, cache_ms=30_000))


def bearer(text: str) -> str:
    return f"Bearer {text}"


async def refused(coro) -> SyncError:
    with pytest.raises(SyncError) as caught:
        await coro
    return caught.value


def test_a_keys_text_names_its_id_and_carries_its_secret():
    assert parse_key("ssk_0123456789abcdef_" + "A" * 43) == ("0123456789abcdef", "A" * 43)
    malformed = ("", "ssk_", "ssk_0123456789abcdef", "sk_x_y", "ssk_01_" + "A" * 43)
    for bad in (*malformed, "ssk_0123456789ABCDEF_" + "A" * 43, "ssk_0123456789abcdef_short"):
        assert parse_key(bad) is None, bad


async def test_a_key_becomes_a_staff_caller_of_its_tenant_with_its_scopes(keys, store):
    made = await keys.create("demo", "  Billing   backend ", ["parties:write", "analytics:read"])
    assert made.text.startswith(f"ssk_{made.key.id}_") and len(made.text) > 50
    assert made.text.split("_", 2)[2] not in repr(made.key)  # only the hash is kept
    caller = await keys.caller(bearer(made.text))
    assert caller is not None
    assert caller.user == User(f"key:{made.key.id}", "Billing backend", "demo", frozenset({TenantRole.ADMIN}))
    assert caller.scopes == {Scope.PARTIES_WRITE, Scope.ANALYTICS_READ}
    assert caller.key_id == made.key.id
    caller.require(Scope.PARTIES_WRITE)
    with pytest.raises(SyncError) as lacking:
        caller.require(Scope.USERS_ADMIN)
    assert lacking.value.code is Code.FORBIDDEN
    # Not an API key: the Authenticator's business.
    assert await keys.caller("Bearer eyJhbGciOi.x.y") is None
    assert await keys.caller("") is None
    assert await keys.caller(f"Basic {made.text}") is None


async def test_a_wrong_secret_or_unknown_id_is_refused_and_unknown_ids_are_cached(keys, store, clock):
    made = await keys.create("demo", "k", ["parties:write"])
    wrong = made.text[:-4] + ("AAAA" if not made.text.endswith("AAAA") else "BBBB")
    assert (await refused(keys.caller(bearer(wrong)))).code is Code.UNAUTHORIZED
    assert (await refused(keys.caller(bearer("ssk_nothex_" + "A" * 43)))).message == "malformed API key"
    unknown = bearer("ssk_00000000000000ff_" + "A" * 43)
    reads = store.reads
    for _ in range(5):
        assert (await refused(keys.caller(unknown))).message == "unknown API key"
    assert store.reads == reads + 1
    clock.ms += 30_000
    await refused(keys.caller(unknown))
    assert store.reads == reads + 2


async def test_a_revocation_holds_at_once_here_and_within_the_cache_elsewhere(store, clock):
    here = ApiKeys(store, clock, KeySettings(cache_ms=30_000))
    there = ApiKeys(store, clock, KeySettings(cache_ms=30_000))  # another node
    made = await here.create("demo", "k", ["parties:write"])
    assert await there.caller(bearer(made.text)) is not None
    with pytest.raises(SyncError) as other_tenant:
        await here.revoke("acme", made.key.id)
    assert other_tenant.value.code is Code.NOT_FOUND
    await here.revoke("demo", made.key.id)
    assert (await refused(here.caller(bearer(made.text)))).message == "API key revoked"
    clock.ms += 29_999
    assert await there.caller(bearer(made.text)) is not None  # its cached copy, for now
    clock.ms += 1
    assert (await refused(there.caller(bearer(made.text)))).message == "API key revoked"


async def test_an_expired_key_is_refused(keys, clock):
    with pytest.raises(SyncError):
        await keys.create("demo", "k", ["parties:write"], expires_at_ms=NOW)
    made = await keys.create("demo", "k", ["parties:write"], expires_at_ms=NOW + 1_000)
    assert await keys.caller(bearer(made.text)) is not None
    clock.ms += 1_000
    assert (await refused(keys.caller(bearer(made.text)))).message == "API key expired"


async def test_the_last_use_is_written_at_most_once_a_minute(keys, store, clock):
    made = await keys.create("demo", "k", ["parties:write"])
    for _ in range(20):
        await keys.caller(bearer(made.text))
        clock.ms += 1_000
    assert store.touches == 1
    assert (await store.get(made.key.id)).last_used_ms == NOW
    clock.ms = NOW + 60_000
    await keys.caller(bearer(made.text))
    assert store.touches == 2


async def test_each_key_has_its_own_bucket_and_its_own_limits(keys, clock):
    made = await keys.create("demo", "k", ["parties:write"])
    own = await keys.create("demo", "fast", ["parties:write"], per_minute=600, burst=10)
    await keys.caller(bearer(made.text))
    await keys.caller(bearer(own.text))
    quotas = [keys.quota(made.key.id, NOW) for _ in range(3)]
    assert [(q.limit, q.remaining) for q in quotas] == [(3, 2), (3, 1), (3, 0)]
    assert quotas[-1].reset_s == 3  # a minute's 60 refill one a second
    with pytest.raises(QuotaExceeded) as spent:
        keys.quota(made.key.id, NOW + 500)
    assert spent.value.code is Code.RATE_LIMITED
    assert spent.value.retry_after_s == pytest.approx(0.5)
    assert spent.value.quota.remaining == 0
    assert keys.quota(made.key.id, NOW + 1_000).remaining == 0  # one refilled, and spent
    # Another key is not touched by the first's spending, and has its own limits.
    assert keys.quota(own.key.id, NOW + 1_000) == Quota(limit=10, remaining=9, reset_s=1)


async def test_who_may_manage_keys(keys):
    admin = Caller(User("a", "Ada", "demo", frozenset({TenantRole.ADMIN})))
    moderator = Caller(User("m", "Moe", "demo", frozenset({TenantRole.MODERATOR})))
    made = await keys.create_for(admin, {"name": "ops", "scopes": ["users:admin", "parties:write"]})
    assert made.key.tenant_id == "demo"
    ops = await keys.caller(bearer(made.text))
    assert ops is not None
    # A key with users:admin makes keys, within its own scopes only.
    child = await keys.create_for(ops, {"name": "child", "scopes": ["parties:write"]})
    assert child.key.scopes == {Scope.PARTIES_WRITE}
    wider = await refused(keys.create_for(ops, {"name": "wider", "scopes": ["webhooks:admin"]}))
    assert wider.code is Code.FORBIDDEN and "webhooks:admin" in wider.message
    limited = await keys.caller(bearer(child.text))
    assert (await refused(keys.keys_for(limited))).code is Code.FORBIDDEN
    assert (await refused(keys.keys_for(moderator))).code is Code.FORBIDDEN
    assert [k.id for k in await keys.keys_for(admin)] == sorted([made.key.id, child.key.id])
    assert (await refused(keys.create_for(admin, {"name": "x", "scopes": ["root"]}))).code is Code.BAD_REQUEST
    assert (await keys.revoke_for(ops, child.key.id)).revoked_at_ms == NOW
    acme = Caller(User("a", "Ada", "acme", frozenset({TenantRole.ADMIN})))
    assert (await refused(keys.revoke_for(acme, made.key.id))).code is Code.NOT_FOUND


def test_origins_are_checked_and_matched_exactly_or_by_subdomain():
    allowed = check_origins(["https://TV.example/", "https://*.acme.example", "http://localhost:3000"])
    assert allowed == ("https://tv.example", "https://*.acme.example", "http://localhost:3000")
    assert origin_allowed("https://tv.example", allowed)
    assert origin_allowed("https://play.acme.example", allowed)
    assert origin_allowed("https://a.b.acme.example", allowed)
    assert origin_allowed("http://localhost:3000", allowed)
    for other in (
        "https://acme.example",  # a wildcard is for subdomains only
        "http://play.acme.example",
        "https://play.acme.example:8443",
        "https://evilacme.example",
        "https://tv.example.evil",
        "http://tv.example",
        "http://localhost:3001",
        "null",
    ):
        assert not origin_allowed(other, allowed), other
    for bad in (["tv.example"], ["https://tv.example/p"], ["https://a.example; x"], "https://a.example", [1]):
        with pytest.raises(ValueError):
            check_origins(bad)


def test_a_jwks_is_public_keys_at_an_https_url():
    assert check_jwks_url("https://tv.example/jwks.json")
    assert check_jwks_url("http://127.0.0.1:8123/jwks")
    for bad in ("http://tv.example/jwks", "ftp://x", "https://", "https://a b", 5):
        with pytest.raises(ValueError):
            check_jwks_url(bad)
    ec = {"kty": "EC", "kid": "k1", "crv": "P-256", "x": "a", "y": "b"}
    assert check_jwks({"keys": [ec]})
    symmetric = {"kty": "oct", "kid": "h", "k": "x"}
    for bad in ({"keys": []}, {"keys": [ec | {"d": "secret"}]}, {"keys": [symmetric]}, []):
        with pytest.raises(ValueError):
            check_jwks(bad)


async def test_access_settings_change_field_by_field_and_a_key_needs_every_scope_for_the_jwks(clock):
    store = MemoryApiKeys({"demo"})
    access = AccessSettings(store, clock, cache_ms=30_000)
    admin = Caller(User("a", "Ada", "demo", frozenset({TenantRole.ADMIN})))
    assert await access.allowed_origins("demo") is None
    await access.update_for(admin, {"allowed_origins": ["https://tv.example"]})
    assert await access.allowed_origins("demo") == ("https://tv.example",)
    assert await access.origin_in_use("https://tv.example")
    assert not await access.origin_in_use("https://evil.example")
    await access.update_for(admin, {"jwks_url": "https://tv.example/jwks"})
    settings = await access.get_for(admin)
    assert settings.jwks_url == "https://tv.example/jwks" and settings.allowed_origins == (
        "https://tv.example",
    )
    inline = {"keys": [{"kty": "EC", "kid": "k1", "crv": "P-256", "x": "a", "y": "b"}]}
    settings = await access.update_for(admin, {"jwks": inline})
    assert settings.jwks == inline and settings.jwks_url is None  # alternatives
    for bad in ({}, {"nope": 1}, {"jwks_url": "https://a", "jwks": inline}, {"allowed_origins": ["x"]}):
        assert (await refused(access.update_for(admin, bad))).code is Code.BAD_REQUEST
    some = Caller(admin.user, scopes=frozenset({Scope.USERS_ADMIN}), key_id="k")
    assert (await refused(access.update_for(some, {"jwks": None}))).code is Code.FORBIDDEN
    await access.update_for(some, {"allowed_origins": None})
    every = Caller(admin.user, scopes=frozenset(Scope), key_id="k")
    assert (await access.update_for(every, {"jwks": None})).jwks is None
