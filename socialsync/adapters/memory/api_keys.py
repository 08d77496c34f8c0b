"""API keys and tenants' access settings in memory: the test double of adapters/sql/api_keys.py
(a real server keeps them in its database, where the CLI writes them)."""

from __future__ import annotations

from dataclasses import replace

from socialsync.domain.api_keys import ApiKey, TenantAccess
from socialsync.domain.errors import Code, SyncError, not_found


class MemoryApiKeys:
    """``ApiKeyStore`` and ``AccessStore``. ``tenants``: the known tenant ids (None: any)."""

    def __init__(self, tenants: set[str] | None = None) -> None:
        self._tenants = tenants
        self._keys: dict[str, ApiKey] = {}
        self._access: dict[str, TenantAccess] = {}

    def _check_tenant(self, tenant_id: str) -> None:
        if self._tenants is not None and tenant_id not in self._tenants:
            raise not_found(f"tenant {tenant_id!r} not found")

    async def add(self, key: ApiKey) -> None:
        if key.id in self._keys:
            raise SyncError(Code.CONFLICT, f"API key {key.id!r} already exists")
        self._check_tenant(key.tenant_id)
        self._keys[key.id] = key

    async def get(self, key_id: str) -> ApiKey | None:
        return self._keys.get(key_id)

    async def of_tenant(self, tenant_id: str, after: str | None = None, limit: int = 100) -> list[ApiKey]:
        mine = sorted(
            (k for k in self._keys.values() if k.tenant_id == tenant_id and (after is None or k.id > after)),
            key=lambda k: k.id,
        )
        return mine[: max(0, limit)]

    async def revoke(self, tenant_id: str, key_id: str, at_ms: int) -> ApiKey | None:
        key = self._keys.get(key_id)
        if key is None or key.tenant_id != tenant_id:
            return None
        if key.revoked_at_ms is None:
            key = self._keys[key_id] = replace(key, revoked_at_ms=at_ms)
        return key

    async def touch(self, key_id: str, at_ms: int, every_ms: int) -> None:
        key = self._keys.get(key_id)
        if key is not None and (key.last_used_ms is None or key.last_used_ms <= at_ms - every_ms):
            self._keys[key_id] = replace(key, last_used_ms=at_ms)

    async def access(self, tenant_id: str) -> TenantAccess:
        return self._access.get(tenant_id, TenantAccess())

    async def set_access(self, tenant_id: str, access: TenantAccess, at_ms: int) -> None:
        self._check_tenant(tenant_id)
        self._access[tenant_id] = access

    async def origins_in_use(self) -> frozenset[str]:
        return frozenset(o for a in self._access.values() for o in a.allowed_origins or ())
