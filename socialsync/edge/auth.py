"""Signed tokens and guest logins.

A token is signed either with the tenant's shared secret (HS256, ``kid`` = the tenant
id), or by the platform itself with a key of the JWKS the tenant registered (RS256 or
ES256, ``iss`` = the tenant id, ``kid`` = the key's; docs/api-keys.md). The tenant is
named by exactly one claim in each case, and a token is checked only against that
tenant's own keys, so a key of tenant A can never sign for tenant B.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from socialsync.domain.errors import Code, SyncError
from socialsync.domain.model import TenantRole, User
from socialsync.domain.tenant import Tenant
from socialsync.domain.text import check_name, check_text
from socialsync.edge.jwks import ALGORITHMS, JwksKeys
from socialsync.ports import MessageStore
from socialsync.ports.revocations import Revocation, Revocations

MAX_TOKEN_BYTES = 4096
UNKNOWN_TENANT_TTL_S = 60.0
KNOWN_TENANT_TTL_S = 30.0
MAX_CACHED_TENANTS = 10_000
MAX_NAME_CHARS = 64
GUEST_TOKEN_TTL_S = 24 * 3600
_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
_PARTY_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def unauthorized(message: str) -> SyncError:
    return SyncError(Code.UNAUTHORIZED, message)


def issue_token(
    tenant: Tenant,
    user_id: str,
    name: str,
    roles: list[str],
    ttl_s: int,
    now_s: int,
    *,
    host_of: str | None = None,
) -> str:
    """``host_of``: a party its user joins as host (or cohost beside one)."""
    claims: dict[str, Any] = {
        "sub": user_id,
        "name": name,
        "roles": roles,
        "iat": now_s,
        "exp": now_s + ttl_s,
        "jti": new_jti(),
    }
    if host_of is not None:
        claims["host_of"] = host_of
    return jwt.encode(claims, tenant.secret, algorithm="HS256", headers={"kid": tenant.id})


def _verified(token: str, tenant: Tenant) -> dict[str, Any]:
    """The claims of a token signed with the tenant's secret, or with the previous one
    (after a rotation, until the next)."""
    secrets_ = [tenant.secret] + ([tenant.previous_secret] if tenant.previous_secret else [])
    for i, secret in enumerate(secrets_):
        try:
            claims: dict[str, Any] = jwt.decode(
                token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"]}
            )
            return claims
        except jwt.ExpiredSignatureError:
            raise unauthorized("token expired") from None
        except jwt.InvalidSignatureError:
            if i + 1 < len(secrets_):
                continue
            raise unauthorized("invalid token: Signature verification failed") from None
        except jwt.PyJWTError as exc:
            raise unauthorized(f"invalid token: {exc}") from None
    raise unauthorized("invalid token")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_jti() -> str:
    """A token's id, by which it can be revoked alone. Hex, so it never starts with a
    "-" that a command line would take for an option."""
    return secrets.token_hex(12)


@dataclass(frozen=True, slots=True)
class Credential:
    """Who a socket or request is, and by which token (``jti`` and ``iat`` when it has
    them; a new guest: none and now), so that a revocation can find it."""

    user: User
    jti: str | None
    iat_s: int | None


def _clean_name(value: Any) -> str:
    if not isinstance(value, str):
        raise unauthorized("name must be a string")
    if len(value) > 4 * MAX_NAME_CHARS:
        raise unauthorized(f"name must be 1 to {MAX_NAME_CHARS} characters")
    try:
        check_text(value)  # before white space is folded: "\x00" is not white space
        name = " ".join(value.split())
        if not 1 <= len(name) <= MAX_NAME_CHARS:
            raise ValueError(f"name must be 1 to {MAX_NAME_CHARS} characters")
        return check_name(name)
    except ValueError as exc:
        raise unauthorized(f"name: {exc}") from None


def bearer_token(authorization: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (any case), or None."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return token.strip()


class Authenticator:
    """Turns a Socket.IO ``auth`` payload or a bearer token into a User."""

    def __init__(
        self,
        store: MessageStore,
        default_tenant: str = "demo",
        *,
        clock: Callable[[], float] = time.monotonic,
        unknown_ttl_s: float = UNKNOWN_TENANT_TTL_S,
        known_ttl_s: float = KNOWN_TENANT_TTL_S,
        on_limited: Callable[[str], None] | None = None,
        max_token_lifetime_s: int | None = None,
        revocations: Revocations | None = None,
        jwks: JwksKeys | None = None,
    ) -> None:
        self._store = store
        # Tenants' own signing keys (RS256/ES256); None: HS256 with the shared secret only.
        self._jwks = jwks
        self._revocations = revocations
        # exp - iat beyond this (or the tenant's own) is refused; None: no bound.
        self._max_lifetime_s = max_token_lifetime_s
        self._default_tenant = default_tenant
        self._clock = clock
        self._unknown_ttl_s = unknown_ttl_s
        self._known_ttl_s = known_ttl_s
        self._on_limited = on_limited
        # Tenants (and their secrets) are read again after ``known_ttl_s``; an unknown
        # ``kid`` is remembered as unknown for ``unknown_ttl_s``, so a flood of made-up
        # ones costs no database read each.
        self._tenants: dict[str, tuple[float, Tenant | None]] = {}

    async def _tenant(self, tenant_id: str) -> Tenant | None:
        now = self._clock()
        cached = self._tenants.get(tenant_id)
        if cached is not None:
            until, tenant = cached
            if now < until:
                if tenant is None and self._on_limited is not None:
                    self._on_limited("unknown_kid")
                return tenant
        if len(tenant_id) > 128:
            return None
        tenant = await self._store.get_tenant(tenant_id)
        if len(self._tenants) >= MAX_CACHED_TENANTS:
            self._tenants = {k: v for k, v in self._tenants.items() if v[0] > now}
            if len(self._tenants) >= MAX_CACHED_TENANTS:
                self._tenants.clear()
        ttl = self._known_ttl_s if tenant is not None else self._unknown_ttl_s
        self._tenants[tenant_id] = (now + ttl, tenant)
        return tenant

    async def from_auth(self, auth: Any) -> User:
        return (await self.credential(auth)).user

    async def credential(self, auth: Any) -> Credential:
        """The user of a Socket.IO ``auth`` payload, with its token's id."""
        if not isinstance(auth, Mapping):
            raise unauthorized("send auth: {token} or, where guests are allowed, {guest: name}")
        if "token" in auth:
            return await self._credential(auth["token"])
        if "guest" in auth:
            user = await self._guest(auth["guest"], auth.get("tenant", self._default_tenant))
            return Credential(user, None, int(time.time()))
        raise unauthorized("send auth: {token} or, where guests are allowed, {guest: name}")

    async def from_bearer(self, authorization: str) -> User:
        """The user of an HTTP ``Authorization: Bearer <token>`` header; unauthorized without one."""
        token = bearer_token(authorization)
        if token is None:
            raise unauthorized("send Authorization: Bearer <token>")
        return await self.from_token(token)

    async def from_token(self, token: Any) -> User:
        return (await self._credential(token)).user

    async def _credential(self, token: Any) -> Credential:
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_BYTES:
            raise unauthorized("malformed token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise unauthorized("malformed token") from None
        kid, alg = header.get("kid"), header.get("alg")
        if isinstance(kid, str) and alg == "HS256":
            tenant = await self._tenant(kid)
            if tenant is None:
                raise unauthorized("unknown tenant")
            claims = _verified(token, tenant)
        elif isinstance(kid, str) and alg in ALGORITHMS and self._jwks is not None:
            tenant, claims = await self._platform_signed(token, kid, alg, self._jwks)
        else:
            raise unauthorized(
                "token must be HS256 with the tenant id as kid, or RS256/ES256 with the tenant id "
                "as iss and the kid of a key in the tenant's JWKS"
            )
        self._check_lifetime(claims, tenant)
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
        host_of = claims.get("host_of")
        if host_of is not None and (not isinstance(host_of, str) or not _PARTY_ID.match(host_of)):
            raise unauthorized("host_of must be a party id")
        user = User(
            id=sub,
            name=_clean_name(claims.get("name", sub)),
            tenant_id=tenant.id,
            roles=roles,
            guest=claims.get("guest") is True,
            host_of=host_of,
        )
        jti, iat = claims.get("jti"), claims.get("iat")
        credential = Credential(
            user,
            jti if isinstance(jti, str) else None,
            int(iat) if isinstance(iat, int | float) and not isinstance(iat, bool) else None,
        )
        if self._revocations is not None and await self._revocations.is_revoked(
            user.tenant_id, user.id, credential.jti, credential.iat_s
        ):
            raise unauthorized("token revoked")
        return credential

    async def _platform_signed(
        self, token: str, kid: str, alg: str, jwks: JwksKeys
    ) -> tuple[Tenant, dict[str, Any]]:
        """A token the platform signed with a key of its tenant's JWKS: the tenant is its
        ``iss``, and only that tenant's keys are tried."""
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise unauthorized("malformed token") from None
        iss = unverified.get("iss")
        if not isinstance(iss, str) or not _ID.match(iss):
            raise unauthorized("an RS256/ES256 token must name its tenant in iss")
        tenant = await self._tenant(iss)
        if tenant is None:
            raise unauthorized("unknown tenant")
        key = await jwks.key(tenant.id, kid)
        if key is None:
            raise unauthorized(f"no key {kid[:64]!r} in this tenant's JWKS")
        if key.algorithm_name != alg:
            raise unauthorized(f"key {kid[:64]!r} signs {key.algorithm_name}, not {alg}")
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key.key, algorithms=[alg], issuer=tenant.id, options={"require": ["exp", "sub", "iss"]}
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized("token expired") from None
        except jwt.PyJWTError as exc:
            raise unauthorized(f"invalid token: {exc}") from None
        return tenant, claims

    def tenant_hint(self, authorization: str) -> str | None:
        """The tenant a bearer token names, unverified (for CORS headers only)."""
        token = bearer_token(authorization)
        if not token or len(token) > MAX_TOKEN_BYTES:
            return None
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") == "HS256":
                kid = header.get("kid")
                return kid if isinstance(kid, str) else None
            iss = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError:
            return None
        return iss if isinstance(iss, str) else None

    async def revoke(
        self, tenant_id: str, *, jti: str | None = None, user_id: str | None = None
    ) -> Revocation:
        """Revoke a token of the tenant by its ``jti``, or every token its user holds now.
        Kept as long as the tenant's tokens may live (its maximum lifetime)."""
        if self._revocations is None:
            raise SyncError(Code.UNAVAILABLE, "revocation is not configured")
        tenant = await self._tenant(tenant_id)
        if tenant is None:
            raise unauthorized("unknown tenant")
        revocation = Revocation(tenant.id, int(time.time()), jti, user_id)
        await self._revocations.revoke(revocation, self._lifetime(tenant))
        return revocation

    def _lifetime(self, tenant: Tenant) -> int:
        return tenant.max_token_lifetime_s or self._max_lifetime_s or 10**9

    def _check_lifetime(self, claims: Mapping[str, Any], tenant: Tenant) -> None:
        if tenant.max_token_lifetime_s is None and self._max_lifetime_s is None:
            return
        limit = self._lifetime(tenant)
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int | float) or isinstance(iat, bool):
            iat = time.time()  # without iat: no longer than the limit from now
        if not isinstance(exp, int | float) or exp - iat > limit:
            raise unauthorized(f"token lifetime (exp - iat) is over this tenant's {limit} s")

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
            "exp": now_s + min(GUEST_TOKEN_TTL_S, self._lifetime(tenant)),
            "jti": new_jti(),
        }
        return jwt.encode(claims, tenant.secret, algorithm="HS256", headers={"kid": tenant.id})

    async def mint(
        self,
        tenant_id: str,
        user_id: str,
        name: str,
        roles: list[str],
        ttl_s: int,
        now_s: int,
        *,
        host_of: str | None = None,
    ) -> tuple[str, int]:
        """A token of the tenant for one of its users (services/tokens.py decides who may),
        no longer-lived than the tenant allows; (token, exp)."""
        tenant = await self._tenant(tenant_id)
        if tenant is None:
            raise unauthorized("unknown tenant")
        ttl = min(ttl_s, self._lifetime(tenant))
        return issue_token(tenant, user_id, name, roles, ttl, now_s, host_of=host_of), now_s + ttl

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
