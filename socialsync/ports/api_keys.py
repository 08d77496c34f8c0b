"""Where API keys and each tenant's access settings (its JWKS, its allowed origins) are kept.

Durable: SQL (SQLite embedded, PostgreSQL in a cluster), so a key made with the CLI
works on every node and after a restart; memory for tests. Every node reads through
a short cache (services/api_keys.py), so what is written here holds everywhere within
that cache's lifetime.
"""

from __future__ import annotations

from typing import Protocol

from socialsync.domain.api_keys import ApiKey, TenantAccess


class ApiKeyStore(Protocol):
    """- ``add`` stores a new key: SyncError(conflict) when its id is taken,
      SyncError(not_found) when its tenant is unknown.
    - ``get`` is one read by the primary key (the id in the key's text).
    - ``of_tenant`` lists a tenant's keys (revoked ones too) by id, after ``after``.
    - ``revoke`` marks the tenant's key revoked once (a second revocation keeps the
      first time) and returns it; None when the tenant has no such key.
    - ``touch`` records a use at ``at_ms`` unless one was recorded within ``every_ms``
      (so a busy key costs a write a minute, and nodes do not fight over it).
    - A store that cannot answer raises SyncError(unavailable): the key is then refused.
    """

    async def add(self, key: ApiKey) -> None: ...

    async def get(self, key_id: str) -> ApiKey | None: ...

    async def of_tenant(self, tenant_id: str, after: str | None = None, limit: int = 100) -> list[ApiKey]: ...

    async def revoke(self, tenant_id: str, key_id: str, at_ms: int) -> ApiKey | None: ...

    async def touch(self, key_id: str, at_ms: int, every_ms: int) -> None: ...


class AccessStore(Protocol):
    """- ``access`` is the tenant's settings (an empty ``TenantAccess`` when it set none).
    - ``set_access`` replaces them: SyncError(not_found) for an unknown tenant.
    - ``origins_in_use`` is every origin some tenant allows (answering a CORS preflight,
      which carries no credentials, needs it).
    """

    async def access(self, tenant_id: str) -> TenantAccess: ...

    async def set_access(self, tenant_id: str, access: TenantAccess, at_ms: int) -> None: ...

    async def origins_in_use(self) -> frozenset[str]: ...
