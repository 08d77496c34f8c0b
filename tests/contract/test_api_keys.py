"""The ApiKeyStore and AccessStore ports on memory, SQLite and PostgreSQL: a key is read
back whole by its id, listed and revoked only within its tenant, its last use written
at most once per interval; a tenant's access settings round-trip, and the origins
every tenant allows are found for a CORS preflight."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from services import scratch_postgres_database

from socialsync.adapters.memory.api_keys import MemoryApiKeys
from socialsync.adapters.sql.api_keys import SqlApiKeys
from socialsync.adapters.sql.store import SqlStore, upgrade_database
from socialsync.domain.access import Scope
from socialsync.domain.api_keys import ApiKey, TenantAccess, hash_secret
from socialsync.domain.errors import Code, SyncError
from socialsync.domain.tenant import Tenant

NOW = 1_700_000_000_000
JWKS = {"keys": [{"kty": "EC", "kid": "k1", "crv": "P-256", "x": "AAAA", "y": "BBBB"}]}


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def keys(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MemoryApiKeys | SqlApiKeys]:
    """An empty store with the tenants "demo" and "acme"."""
    if request.param == "memory":
        yield MemoryApiKeys({"demo", "acme"})
        return
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'store.db'}"
        else:
            url = await stack.enter_async_context(scratch_postgres_database())
        await upgrade_database(url)
        store = await SqlStore.open(url)
        stack.push_async_callback(store.close)
        for tenant_id in ("demo", "acme"):
            await store.add_tenant(Tenant(tenant_id, tenant_id, "s" * 32, False, NOW))
        yield SqlApiKeys(store)


def key(key_id: str, tenant_id: str = "demo", **fields) -> ApiKey:
    base = {
        "id": key_id,
        "tenant_id": tenant_id,
        "name": f"Key {key_id}",
        "secret_hash": hash_secret("secret-" + key_id),
        "scopes": frozenset({Scope.PARTIES_WRITE}),
        "created_at_ms": NOW,
    }
    return ApiKey(**base | fields)


async def test_a_key_is_read_back_whole_by_its_id(keys):
    full = key(
        "00000000000000a1",
        scopes=frozenset({Scope.PARTIES_WRITE, Scope.USERS_ADMIN}),
        expires_at_ms=NOW + 86_400_000,
        per_minute=120,
        burst=10,
    )
    await keys.add(full)
    await keys.add(key("00000000000000a2"))
    assert await keys.get(full.id) == full
    assert (await keys.get("00000000000000a2")).expires_at_ms is None
    assert await keys.get("00000000000000ff") is None


async def test_a_taken_id_conflicts_and_an_unknown_tenant_is_not_found(keys):
    await keys.add(key("00000000000000b1"))
    with pytest.raises(SyncError) as taken:
        await keys.add(key("00000000000000b1", tenant_id="acme"))
    assert taken.value.code is Code.CONFLICT
    with pytest.raises(SyncError) as unknown:
        await keys.add(key("00000000000000b2", tenant_id="nobody"))
    assert unknown.value.code is Code.NOT_FOUND
    assert await keys.get("00000000000000b2") is None


async def test_a_tenant_lists_its_own_keys_by_id_in_pages(keys):
    ids = [f"00000000000000c{i}" for i in range(5)]
    for key_id in reversed(ids):
        await keys.add(key(key_id))
    await keys.add(key("00000000000000c9", tenant_id="acme"))
    assert [k.id for k in await keys.of_tenant("demo")] == ids
    assert [k.id for k in await keys.of_tenant("demo", limit=2)] == ids[:2]
    assert [k.id for k in await keys.of_tenant("demo", after=ids[1], limit=2)] == ids[2:4]
    assert [k.id for k in await keys.of_tenant("acme")] == ["00000000000000c9"]
    assert await keys.of_tenant("nobody") == []


async def test_a_key_is_revoked_once_and_only_by_its_tenant(keys):
    await keys.add(key("00000000000000d1"))
    assert await keys.revoke("acme", "00000000000000d1", NOW + 5) is None
    assert (await keys.get("00000000000000d1")).revoked_at_ms is None
    revoked = await keys.revoke("demo", "00000000000000d1", NOW + 10)
    assert revoked is not None and revoked.revoked_at_ms == NOW + 10
    again = await keys.revoke("demo", "00000000000000d1", NOW + 20)
    assert again is not None and again.revoked_at_ms == NOW + 10
    assert (await keys.get("00000000000000d1")).revoked_at_ms == NOW + 10
    assert await keys.revoke("demo", "00000000000000ff", NOW) is None


async def test_a_use_is_written_at_most_once_an_interval(keys):
    await keys.add(key("00000000000000e1"))
    await keys.touch("00000000000000e1", NOW, 60_000)
    assert (await keys.get("00000000000000e1")).last_used_ms == NOW
    await keys.touch("00000000000000e1", NOW + 59_999, 60_000)
    assert (await keys.get("00000000000000e1")).last_used_ms == NOW
    await keys.touch("00000000000000e1", NOW + 60_000, 60_000)
    assert (await keys.get("00000000000000e1")).last_used_ms == NOW + 60_000
    await keys.touch("00000000000000ff", NOW, 60_000)  # no such key: nothing happens


async def test_access_settings_round_trip_per_tenant(keys):
    assert await keys.access("demo") == TenantAccess()
    settings = TenantAccess(jwks=JWKS, allowed_origins=("https://tv.example", "https://*.acme.example"))
    await keys.set_access("demo", settings, NOW)
    assert await keys.access("demo") == settings
    assert await keys.access("acme") == TenantAccess()
    by_url = TenantAccess(jwks_url="https://tv.example/.well-known/jwks.json")
    await keys.set_access("demo", by_url, NOW + 1)
    assert await keys.access("demo") == by_url
    with pytest.raises(SyncError) as unknown:
        await keys.set_access("nobody", settings, NOW)
    assert unknown.value.code is Code.NOT_FOUND


async def test_the_origins_in_use_are_every_tenants(keys):
    assert await keys.origins_in_use() == frozenset()
    await keys.set_access("demo", TenantAccess(allowed_origins=("https://tv.example",)), NOW)
    both = TenantAccess(allowed_origins=("https://a.example", "https://tv.example"))
    await keys.set_access("acme", both, NOW)
    assert await keys.origins_in_use() == {"https://tv.example", "https://a.example"}
    await keys.set_access("acme", TenantAccess(), NOW)
    assert await keys.origins_in_use() == {"https://tv.example"}
