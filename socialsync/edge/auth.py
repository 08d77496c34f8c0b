"""Signed tokens (JWT, HS256, one secret per tenant named by ``kid``) and guest logins."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

import jwt

from socialsync.domain.errors import Code, SyncError
from socialsync.domain.model import TenantRole, User
from socialsync.domain.tenant import Tenant
from socialsync.ports import MessageStore

MAX_TOKEN_BYTES = 4096
MAX_NAME_CHARS = 64
GUEST_TOKEN_TTL_S = 24 * 3600
_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")


def unauthorized(message: str) -> SyncError:
    return SyncError(Code.UNAUTHORIZED, message)


def issue_token(tenant: Tenant, user_id: str, name: str, roles: list[str], ttl_s: int, now_s: int) -> str:
    claims = {"sub": user_id, "name": name, "roles": roles, "iat": now_s, "exp": now_s + ttl_s}
    return jwt.encode(claims, tenant.secret, algorithm="HS256", headers={"kid": tenant.id})


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _clean_name(value: Any) -> str:
    if not isinstance(value, str):
        raise unauthorized("name must be a string")
    name = " ".join(value.split())
    if not 1 <= len(name) <= MAX_NAME_CHARS:
        raise unauthorized(f"name must be 1 to {MAX_NAME_CHARS} characters")
    return name


def bearer_token(authorization: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (any case), or None."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return token.strip()


class Authenticator:
    """Turns a Socket.IO ``auth`` payload or a bearer token into a User."""

    def __init__(self, store: MessageStore, default_tenant: str = "demo") -> None:
        self._store = store
        self._default_tenant = default_tenant
        # Tenants change rarely; secrets are looked up once per process.
        self._tenants: dict[str, Tenant] = {}

    async def _tenant(self, tenant_id: str) -> Tenant | None:
        tenant = self._tenants.get(tenant_id)
        if tenant is None:
            tenant = await self._store.get_tenant(tenant_id)
            if tenant is not None:
                self._tenants[tenant_id] = tenant
        return tenant

    async def from_auth(self, auth: Any) -> User:
        if not isinstance(auth, Mapping):
            raise unauthorized("send auth: {token} or, where guests are allowed, {guest: name}")
        if "token" in auth:
            return await self.from_token(auth["token"])
        if "guest" in auth:
            return await self._guest(auth["guest"], auth.get("tenant", self._default_tenant))
        raise unauthorized("send auth: {token} or, where guests are allowed, {guest: name}")

    async def from_bearer(self, authorization: str) -> User:
        """The user of an HTTP ``Authorization: Bearer <token>`` header; unauthorized without one."""
        token = bearer_token(authorization)
        if token is None:
            raise unauthorized("send Authorization: Bearer <token>")
        return await self.from_token(token)

    async def from_token(self, token: Any) -> User:
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_BYTES:
            raise unauthorized("malformed token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise unauthorized("malformed token") from None
        kid = header.get("kid")
        if not isinstance(kid, str) or header.get("alg") != "HS256":
            raise unauthorized("token must be HS256 with the tenant id as kid")
        tenant = await self._tenant(kid)
        if tenant is None:
            raise unauthorized("unknown tenant")
        try:
            claims = jwt.decode(
                token, tenant.secret, algorithms=["HS256"], options={"require": ["exp", "sub"]}
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized("token expired") from None
        except jwt.PyJWTError as exc:
            raise unauthorized(f"invalid token: {exc}") from None
        sub = claims["sub"]
        if not isinstance(sub, str) or not _ID.match(sub):
            raise unauthorized("sub must be a user id of 1 to 128 letters, digits or _.:@-")
        raw_roles = claims.get("roles", ["viewer"])
        if not isinstance(raw_roles, list) or not raw_roles:
            raise unauthorized("roles must be a non-empty list")
        try:
            roles = frozenset(TenantRole(r) for r in raw_roles)
        except (ValueError, TypeError):
            raise unauthorized("roles may be viewer, moderator, admin") from None
        return User(
            id=sub,
            name=_clean_name(claims.get("name", sub)),
            tenant_id=tenant.id,
            roles=roles,
            guest=claims.get("guest") is True,
        )

    async def guest_token(self, user: User, now_s: int) -> str:
        """A token that brings a guest back as the same guest after a reconnect."""
        tenant = await self._tenant(user.tenant_id)
        if tenant is None:
            raise unauthorized("unknown tenant")
        claims = {
            "sub": user.id,
            "name": user.name,
            "roles": ["viewer"],
            "guest": True,
            "iat": now_s,
            "exp": now_s + GUEST_TOKEN_TTL_S,
        }
        return jwt.encode(claims, tenant.secret, algorithm="HS256", headers={"kid": tenant.id})

    async def _guest(self, name: Any, tenant_id: Any) -> User:
        if not isinstance(tenant_id, str):
            raise unauthorized("tenant must be a string")
        tenant = await self._tenant(tenant_id)
        if tenant is None or not tenant.allow_guests:
            raise unauthorized("this tenant does not allow guests")
        return User(
            id=f"guest-{secrets.token_hex(8)}",
            name=_clean_name(name),
            tenant_id=tenant.id,
            guest=True,
        )
