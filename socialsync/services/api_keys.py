"""API keys per tenant (who calls the REST API without a person's token), and each
tenant's access settings: its JWKS and the origins its pages may use (docs/api-keys.md).

Both are read through a short cache (``cache_ms``, at most 30 s by default): a key
revoked, or a setting changed, through another node holds here within it (on this
node at once). Unknown key ids are cached as unknown too, so a flood of made-up keys
costs no database read each.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from socialsync.domain.access import Caller, Scope
from socialsync.domain.api_keys import (
    KEY_PREFIX,
    ApiKey,
    Quota,
    QuotaExceeded,
    TenantAccess,
    check_jwks,
    check_jwks_url,
    check_key_name,
    check_origins,
    check_rate,
    check_scopes,
    format_key,
    hash_secret,
    is_key_id,
    origin_allowed,
    parse_key,
    quota_of,
    secret_matches,
)
from socialsync.domain.errors import Code, SyncError, bad_request, forbidden, not_found
from socialsync.domain.model import TenantRole, User
from socialsync.domain.ratelimit import Buckets, Limit
from socialsync.ports import Clock
from socialsync.ports.api_keys import AccessStore, ApiKeyStore
from socialsync.services.privacy import require_admin

__all__ = ["AccessSettings", "ApiKeys", "KeySettings", "NewKey", "Quota"]

log = logging.getLogger("socialsync.api_keys")

CACHE_MS = 30_000
# A key's last use is written at most this often (per node; the store skips a write
# when another node wrote within it).
TOUCH_EVERY_MS = 60_000
MAX_CACHED = 10_000
MAX_LIST = 1_000
KEY_FIELDS = ("name", "scopes", "expires_at", "per_minute", "burst")
_TENANT_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")


def unauthorized(message: str) -> SyncError:
    return SyncError(Code.UNAUTHORIZED, message)


@dataclass(frozen=True)
class KeySettings:
    """The server's rate per key where a key has none of its own (600 a minute, bursts
    of 60), and how long a verified key is trusted before it is read again."""

    per_minute: int = 600
    burst: int = 60
    cache_ms: int = CACHE_MS


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    text: str  # ssk_<id>_<secret>: shown once, never stored


class _Cache:
    """tenant or key id -> (read at ms, value), bounded."""

    def __init__(self, ttl_ms: int) -> None:
        self.ttl_ms = ttl_ms
        self._items: dict[str, tuple[int, Any]] = {}

    def get(self, name: str, now_ms: int) -> tuple[bool, Any]:
        item = self._items.get(name)
        if item is None or now_ms - item[0] >= self.ttl_ms:
            return False, None
        return True, item[1]

    def put(self, name: str, value: Any, now_ms: int) -> None:
        if len(self._items) >= MAX_CACHED:
            self._items = {k: v for k, v in self._items.items() if now_ms - v[0] < self.ttl_ms}
            if len(self._items) >= MAX_CACHED:
                self._items.clear()
        self._items[name] = (now_ms, value)

    def peek(self, name: str) -> Any:
        item = self._items.get(name)
        return None if item is None else item[1]

    def drop(self, name: str) -> None:
        self._items.pop(name, None)


def _require_manager(caller: Caller, scope: Scope) -> None:
    """A person's admin token, or a key with ``scope``."""
    caller.require(scope)
    require_admin(caller.user)


class ApiKeys:
    def __init__(self, store: ApiKeyStore, clock: Clock, settings: KeySettings | None = None) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings or KeySettings()
        self._keys = _Cache(self.settings.cache_ms)
        self._buckets: Buckets[str] = Buckets(MAX_CACHED)
        self._touched: dict[str, int] = {}  # key id -> when this node last wrote its use

    # --- verification (every request) -------------------------------------------------

    async def caller(self, authorization: str) -> Caller | None:
        """The caller of ``Authorization: Bearer ssk_...``; None for any other header (a
        person's token: the Authenticator's); unauthorized for a bad, revoked or expired key."""
        text = _bearer_key(authorization)
        if text is None:
            return None
        parsed = parse_key(text)
        if parsed is None:
            raise unauthorized("malformed API key")
        key_id, secret = parsed
        now = self.clock.now_ms()
        key = await self._key(key_id, now)
        # One answer for an unknown id and a wrong secret: nothing to tell them apart by.
        if key is None or not secret_matches(key, secret):
            raise unauthorized("unknown API key")
        refusal = key.refusal(now)
        if refusal is not None:
            raise unauthorized(refusal)
        await self._touch(key, now)
        admin = frozenset({TenantRole.ADMIN})
        user = User(id=f"key:{key.id}", name=key.name, tenant_id=key.tenant_id, roles=admin)
        return Caller(user, scopes=key.scopes, key_id=key.id)

    def quota(self, key_id: str, now_ms: int) -> Quota:
        """Spend one request of the key's bucket (this node's); QuotaExceeded
        (rate_limited, with ``retry_after_s``) when it is empty."""
        key: ApiKey | None = self._keys.peek(key_id)
        per_minute = (key.per_minute if key else None) or self.settings.per_minute
        burst = (key.burst if key else None) or self.settings.burst
        limit = Limit(burst=burst, per_s=per_minute / 60)
        bucket = self._buckets.bucket(key_id, limit, now_ms)
        bucket.limit = limit  # the key's limits may have changed since the bucket was made
        wait_s = bucket.take(now_ms)
        quota = quota_of(limit.burst, bucket.tokens, limit.per_s)
        if wait_s:
            raise QuotaExceeded(quota, wait_s)
        return quota

    async def tenant_of(self, authorization: str) -> str | None:
        """The tenant a key names (unverified: for CORS headers only)."""
        parsed = parse_key(_bearer_key(authorization) or "")
        if parsed is None:
            return None
        try:
            key = await self._key(parsed[0], self.clock.now_ms())
        except SyncError:
            return None
        return None if key is None else key.tenant_id

    async def _key(self, key_id: str, now_ms: int) -> ApiKey | None:
        found, cached = self._keys.get(key_id, now_ms)
        if found:
            return cached  # type: ignore[no-any-return]
        key = await self.store.get(key_id)
        self._keys.put(key_id, key, now_ms)
        return key

    async def _touch(self, key: ApiKey, now_ms: int) -> None:
        last = self._touched.get(key.id)
        if last is not None and now_ms - last < TOUCH_EVERY_MS:
            return
        if len(self._touched) >= MAX_CACHED:
            self._touched.clear()
        self._touched[key.id] = now_ms
        try:
            await self.store.touch(key.id, now_ms, TOUCH_EVERY_MS)
        except SyncError as exc:  # the last use is a hint: never refuse a request for it
            log.warning("recording an API key's use failed: %s", exc.message)

    # --- management: the operator (CLI) -------------------------------------------------

    async def create(
        self,
        tenant_id: str,
        name: Any,
        scopes: Any,
        *,
        expires_at_ms: Any = None,
        per_minute: Any = None,
        burst: Any = None,
    ) -> NewKey:
        """A new key of the tenant; its text (``ssk_<id>_<secret>``) is in the answer only."""
        now = self.clock.now_ms()
        try:
            key_name, key_scopes = check_key_name(name), check_scopes(scopes)
            rate, key_burst = check_rate("per_minute", per_minute), check_rate("burst", burst)
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        if expires_at_ms is not None and (
            not isinstance(expires_at_ms, int) or isinstance(expires_at_ms, bool) or expires_at_ms <= now
        ):
            raise bad_request("expires_at: a time in the future (Unix milliseconds), or null")
        key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        key = ApiKey(
            id=key_id,
            tenant_id=tenant_id,
            name=key_name,
            secret_hash=hash_secret(secret),
            scopes=key_scopes,
            created_at_ms=now,
            expires_at_ms=expires_at_ms,
            per_minute=rate,
            burst=key_burst,
        )
        await self.store.add(key)
        self._keys.drop(key_id)
        return NewKey(key, format_key(key_id, secret))

    async def keys(self, tenant_id: str, after: str | None = None, limit: int = MAX_LIST) -> list[ApiKey]:
        return await self.store.of_tenant(tenant_id, after, max(1, min(limit, MAX_LIST)))

    async def revoke(self, tenant_id: str, key_id: str) -> ApiKey:
        """Revoke the tenant's key: at once on this node, within ``cache_ms`` on the others."""
        key = await self.store.revoke(tenant_id, key_id, self.clock.now_ms()) if is_key_id(key_id) else None
        if key is None:
            raise not_found(f"no API key {key_id[:40]!r} in this tenant")
        self._keys.drop(key_id)
        return key

    # --- management: the REST API ------------------------------------------------------

    async def create_for(self, caller: Caller, body: Any) -> NewKey:
        """A tenant's admin (or a key with users:admin) makes a key of its tenant; a key
        may grant only scopes it holds itself."""
        _require_manager(caller, Scope.USERS_ADMIN)
        if not isinstance(body, Mapping) or set(body) - set(KEY_FIELDS):
            raise bad_request("send {name, scopes: [scope, ...], expires_at?: ms, per_minute?: n, burst?: n}")
        try:
            wanted = check_scopes(body.get("scopes"))
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        if caller.scopes is not None and not wanted <= caller.scopes:
            extra = ", ".join(sorted(s.value for s in wanted - caller.scopes))
            raise forbidden(f"an API key may not grant scopes it lacks: {extra}")
        return await self.create(
            caller.user.tenant_id,
            body.get("name"),
            sorted(wanted),
            expires_at_ms=body.get("expires_at"),
            per_minute=body.get("per_minute"),
            burst=body.get("burst"),
        )

    async def keys_for(self, caller: Caller, after: str | None = None, limit: int = MAX_LIST) -> list[ApiKey]:
        _require_manager(caller, Scope.USERS_ADMIN)
        return await self.keys(caller.user.tenant_id, after, limit)

    async def revoke_for(self, caller: Caller, key_id: str) -> ApiKey:
        _require_manager(caller, Scope.USERS_ADMIN)
        return await self.revoke(caller.user.tenant_id, key_id)


def _bearer_key(authorization: str) -> str | None:
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(KEY_PREFIX):
        return None
    return token


# --- a tenant's access settings: its JWKS, its origins -----------------------------------

ACCESS_FIELDS = ("jwks_url", "jwks", "allowed_origins")


class AccessSettings:
    def __init__(self, store: AccessStore, clock: Clock, cache_ms: int = CACHE_MS) -> None:
        self.store = store
        self.clock = clock
        self._cache = _Cache(cache_ms)

    async def access(self, tenant_id: str) -> TenantAccess:
        """The tenant's settings (empty for an unknown tenant), from the cache when fresh."""
        if not _TENANT_ID.match(tenant_id):
            return TenantAccess()
        now = self.clock.now_ms()
        found, access = self._cache.get(tenant_id, now)
        if not found:
            access = await self.store.access(tenant_id)
            self._cache.put(tenant_id, access, now)
        assert isinstance(access, TenantAccess)
        return access

    async def allowed_origins(self, tenant_id: str) -> tuple[str, ...] | None:
        """The origins the tenant's pages may use; None: any (it set none)."""
        return (await self.access(tenant_id)).allowed_origins

    async def origin_in_use(self, origin: str) -> bool:
        """Whether some tenant allows ``origin`` (a CORS preflight names no tenant)."""
        now = self.clock.now_ms()
        found, in_use = self._cache.get("\x00origins", now)
        if not found:
            in_use = await self.store.origins_in_use()
            self._cache.put("\x00origins", in_use, now)
        return origin_allowed(origin, tuple(in_use))

    async def get_for(self, caller: Caller) -> TenantAccess:
        _require_manager(caller, Scope.USERS_ADMIN)
        return await self.store.access(caller.user.tenant_id)

    async def update_for(self, caller: Caller, changes: Any) -> TenantAccess:
        """Registering signing keys lets their holder mint admin tokens (which no scope
        limits), so a key changes ``jwks_url``/``jwks`` only if it holds every scope."""
        _require_manager(caller, Scope.USERS_ADMIN)
        if isinstance(changes, Mapping) and caller.scopes is not None and {"jwks_url", "jwks"} & set(changes):
            if caller.scopes != frozenset(Scope):
                raise forbidden("only an admin's token, or a key with every scope, may change the JWKS")
        return await self.set(caller.user.tenant_id, changes)

    async def set(self, tenant_id: str, changes: Any) -> TenantAccess:
        """Fields left out keep their value; null clears one. ``jwks_url`` and ``jwks`` are
        alternatives: setting one clears the other."""
        if not isinstance(changes, Mapping) or not changes or set(changes) - set(ACCESS_FIELDS):
            raise bad_request(
                "send {jwks_url?: url | null, jwks?: {keys: [...]} | null, allowed_origins?: [...] | null}"
            )
        current = await self.store.access(tenant_id)
        try:
            access = _changed(current, changes)
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        await self.store.set_access(tenant_id, access, self.clock.now_ms())
        self._cache.drop(tenant_id)
        self._cache.drop("\x00origins")
        return access


def _changed(current: TenantAccess, changes: Mapping[str, Any]) -> TenantAccess:
    if changes.get("jwks_url") is not None and changes.get("jwks") is not None:
        raise ValueError("give jwks_url or jwks, not both")
    access = current
    if "jwks_url" in changes:
        url = changes["jwks_url"]
        access = replace(access, jwks_url=None if url is None else check_jwks_url(url))
        if url is not None:
            access = replace(access, jwks=None)
    if "jwks" in changes:
        jwks = changes["jwks"]
        access = replace(access, jwks=None if jwks is None else check_jwks(jwks))
        if jwks is not None:
            access = replace(access, jwks_url=None)
    if "allowed_origins" in changes:
        origins = changes["allowed_origins"]
        access = replace(access, allowed_origins=None if origins is None else check_origins(origins))
    return access
