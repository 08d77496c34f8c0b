"""What a backend signs or checks on its own, without a round trip: viewer tokens with
the tenant's shared secret, and webhook deliveries with an endpoint's secret."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable, Mapping
from typing import Any

import jwt

from socialsync.domain.model import TenantRole
from socialsync.domain.webhooks import TOLERANCE_S, WebhookVerificationError, verify

_USER_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
_PARTY_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ROLES = frozenset(r.value for r in TenantRole)

__all__ = ["WebhookVerificationError", "mint_token", "verify_webhook"]


def mint_token(
    tenant_id: str,
    secret: str,
    user_id: str,
    name: str,
    roles: Iterable[str] = ("viewer",),
    ttl_s: int = 3600,
    *,
    now_s: int | None = None,
    jti: str | None = None,
    host_of: str | None = None,
) -> str:
    """A token for ``user_id`` of the tenant, signed with its shared secret: the HS256
    token the server's ``socialsync token`` and ``POST /api/v1/tokens`` make (``kid``: the
    tenant id; claims ``sub``, ``name``, ``roles``, ``iat``, ``exp``, ``jti``). ``roles``:
    of viewer, moderator, admin. The server refuses it if ``ttl_s`` is over the tenant's
    maximum token lifetime. ``jti`` (default: random) is what revokes this token alone.
    ``host_of``: a party (of the tenant, under way) the user joins as its host, or as a
    cohost if it has one: a host token."""
    roles = list(roles)
    if not _USER_ID.match(user_id):
        raise ValueError("user_id: 1 to 128 letters, digits or _.:@-")
    if not name.strip():
        raise ValueError("name: a display name is needed")
    if not roles or not set(roles) <= _ROLES:
        raise ValueError(f"roles: one or more of {sorted(_ROLES)}")
    if ttl_s <= 0:
        raise ValueError("ttl_s must be positive")
    if host_of is not None and not _PARTY_ID.match(host_of):
        raise ValueError("host_of: a party id (1 to 64 letters, digits, _ or -)")
    now = int(time.time()) if now_s is None else now_s
    claims: dict[str, Any] = {
        "sub": user_id,
        "name": name,
        "roles": roles,
        "iat": now,
        "exp": now + ttl_s,
        "jti": jti if jti is not None else secrets.token_hex(12),
    }
    if host_of is not None:
        claims["host_of"] = host_of
    return jwt.encode(claims, secret, algorithm="HS256", headers={"kid": tenant_id})


def verify_webhook(
    secret: str,
    headers: Mapping[str, str],
    body: bytes | str,
    now_s: float | None = None,
    tolerance_s: int = TOLERANCE_S,
) -> Any:
    """The event of a webhook delivery (its JSON), once verified: one of its
    ``webhook-signature``s is ``secret``'s (``whsec_...``; during a rotation either one
    verifies) and its ``webhook-timestamp`` is within ``tolerance_s`` of now. Else
    ``WebhookVerificationError``. Pass the raw body, before any JSON parsing.

    This is socialsync.domain.webhooks' ``verify``, the server's own, with the time
    read for you."""
    return verify(secret, headers, body, time.time() if now_s is None else now_s, tolerance_s)
