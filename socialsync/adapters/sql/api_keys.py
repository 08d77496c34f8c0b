"""API keys and tenants' access settings (JWKS, allowed origins) on the store's database
(tables of migration 0010)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from socialsync.adapters.sql.engine import metadata
from socialsync.adapters.sql.store import SqlStore, _dialect_insert, _translate_errors
from socialsync.domain.access import Scope
from socialsync.domain.api_keys import ApiKey, TenantAccess
from socialsync.domain.errors import Code, SyncError, not_found

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column(
        "tenant_id", sa.String(), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("secret_hash", sa.String(), nullable=False),
    sa.Column("scopes", sa.JSON(), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    sa.Column("expires_at_ms", sa.BigInteger(), nullable=True),
    sa.Column("revoked_at_ms", sa.BigInteger(), nullable=True),
    sa.Column("last_used_ms", sa.BigInteger(), nullable=True),
    sa.Column("per_minute", sa.Integer(), nullable=True),
    sa.Column("burst", sa.Integer(), nullable=True),
)

tenant_access = sa.Table(
    "tenant_access",
    metadata,
    sa.Column("tenant_id", sa.String(), sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("jwks_url", sa.Text(), nullable=True),
    sa.Column("jwks", sa.JSON(), nullable=True),
    sa.Column("allowed_origins", sa.JSON(), nullable=True),
    sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
)


class SqlApiKeys:
    """``ApiKeyStore`` and ``AccessStore`` on the store's engine."""

    def __init__(self, store: SqlStore) -> None:
        self._engine = store._engine
        self._writer = store._writer
        self._gate = store._write_gate

    async def _write(self, statement: Any) -> Any:
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                return await conn.execute(statement)

    async def _read(self, query: Any) -> list[sa.Row[Any]]:
        with _translate_errors():
            async with self._engine.connect() as conn:
                return list(await conn.execute(query))

    # --- keys -------------------------------------------------------------------------

    async def add(self, key: ApiKey) -> None:
        row = {
            "id": key.id,
            "tenant_id": key.tenant_id,
            "name": key.name,
            "secret_hash": key.secret_hash,
            "scopes": sorted(s.value for s in key.scopes),
            "created_at_ms": key.created_at_ms,
            "expires_at_ms": key.expires_at_ms,
            "revoked_at_ms": key.revoked_at_ms,
            "last_used_ms": key.last_used_ms,
            "per_minute": key.per_minute,
            "burst": key.burst,
        }
        try:
            await self._write(sa.insert(api_keys).values(row))
        except SyncError as exc:
            if not isinstance(exc.__cause__, sa_exc.IntegrityError):
                raise
            if await self.get(key.id) is not None:
                raise SyncError(Code.CONFLICT, f"API key {key.id!r} already exists") from None
            raise not_found(f"tenant {key.tenant_id!r} not found") from None

    async def get(self, key_id: str) -> ApiKey | None:
        rows = await self._read(sa.select(api_keys).where(api_keys.c.id == key_id))
        return _key(rows[0]) if rows else None

    async def of_tenant(self, tenant_id: str, after: str | None = None, limit: int = 100) -> list[ApiKey]:
        if limit <= 0:
            return []
        query = sa.select(api_keys).where(api_keys.c.tenant_id == tenant_id)
        if after is not None:
            query = query.where(api_keys.c.id > after)
        rows = await self._read(query.order_by(api_keys.c.id).limit(limit))
        return [_key(row) for row in rows]

    async def revoke(self, tenant_id: str, key_id: str, at_ms: int) -> ApiKey | None:
        mine = sa.and_(api_keys.c.id == key_id, api_keys.c.tenant_id == tenant_id)
        await self._write(
            sa.update(api_keys).where(mine, api_keys.c.revoked_at_ms.is_(None)).values(revoked_at_ms=at_ms)
        )
        rows = await self._read(sa.select(api_keys).where(mine))
        return _key(rows[0]) if rows else None

    async def touch(self, key_id: str, at_ms: int, every_ms: int) -> None:
        stale = sa.or_(api_keys.c.last_used_ms.is_(None), api_keys.c.last_used_ms <= at_ms - every_ms)
        await self._write(
            sa.update(api_keys).where(api_keys.c.id == key_id, stale).values(last_used_ms=at_ms)
        )

    # --- access settings ----------------------------------------------------------------

    async def access(self, tenant_id: str) -> TenantAccess:
        rows = await self._read(sa.select(tenant_access).where(tenant_access.c.tenant_id == tenant_id))
        if not rows:
            return TenantAccess()
        row = rows[0]
        origins = row.allowed_origins
        return TenantAccess(
            jwks_url=row.jwks_url,
            jwks=row.jwks,
            allowed_origins=None if origins is None else tuple(origins),
        )

    async def set_access(self, tenant_id: str, access: TenantAccess, at_ms: int) -> None:
        values = {
            "jwks_url": access.jwks_url,
            "jwks": access.jwks,
            "allowed_origins": None if access.allowed_origins is None else list(access.allowed_origins),
            "updated_at_ms": at_ms,
        }
        insert = _dialect_insert(self._engine)(tenant_access).values(tenant_id=tenant_id, **values)
        upsert = insert.on_conflict_do_update(index_elements=[tenant_access.c.tenant_id], set_=values)
        try:
            await self._write(upsert)
        except SyncError as exc:
            if isinstance(exc.__cause__, sa_exc.IntegrityError):
                raise not_found(f"tenant {tenant_id!r} not found") from None
            raise

    async def origins_in_use(self) -> frozenset[str]:
        query = sa.select(tenant_access.c.allowed_origins).where(tenant_access.c.allowed_origins.is_not(None))
        found: set[str] = set()
        for row in await self._read(query):
            if isinstance(row.allowed_origins, list):
                found.update(o for o in row.allowed_origins if isinstance(o, str))
        return frozenset(found)


def _key(row: sa.Row[Any]) -> ApiKey:
    return ApiKey(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        secret_hash=row.secret_hash,
        scopes=frozenset(Scope(s) for s in row.scopes),
        created_at_ms=row.created_at_ms,
        expires_at_ms=row.expires_at_ms,
        revoked_at_ms=row.revoked_at_ms,
        last_used_ms=row.last_used_ms,
        per_minute=row.per_minute,
        burst=row.burst,
    )
