"""How a platform's backend and pages get in: API keys, its own signing keys (a JWKS),
the origins its pages are served from (docs/api-keys.md).

An API key reads ``ssk_<id>_<secret>``: ``id`` names its row (one indexed read), the
secret is 32 random bytes of which only the SHA-256 is stored, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from dataclasses import dataclass
from typing import Any

from socialsync.domain.access import Scope
from socialsync.domain.errors import Code, SyncError

KEY_PREFIX = "ssk_"
_KEY_ID = re.compile(r"^[0-9a-f]{16}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
MAX_KEY_NAME = 64
MAX_PER_MINUTE = 1_000_000


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A key as stored: never its secret, only the secret's SHA-256 (hex)."""

    id: str
    tenant_id: str
    name: str
    secret_hash: str
    scopes: frozenset[Scope]
    created_at_ms: int
    expires_at_ms: int | None = None
    revoked_at_ms: int | None = None
    last_used_ms: int | None = None
    # Its own rate (requests a minute) and burst; None: the server's defaults.
    per_minute: int | None = None
    burst: int | None = None

    def refusal(self, now_ms: int) -> str | None:
        """Why the key cannot be used now, or None."""
        if self.revoked_at_ms is not None:
            return "API key revoked"
        if self.expires_at_ms is not None and now_ms >= self.expires_at_ms:
            return "API key expired"
        return None

    def to_data(self) -> dict[str, Any]:
        """What listing shows: everything but the hash."""
        return {
            "id": self.id,
            "name": self.name,
            "scopes": sorted(s.value for s in self.scopes),
            "created_at": self.created_at_ms,
            "expires_at": self.expires_at_ms,
            "revoked_at": self.revoked_at_ms,
            "last_used_at": self.last_used_ms,
            "per_minute": self.per_minute,
            "burst": self.burst,
            "prefix": f"{KEY_PREFIX}{self.id}_",
        }


def format_key(key_id: str, secret: str) -> str:
    return f"{KEY_PREFIX}{key_id}_{secret}"


def parse_key(text: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed ``ssk_<id>_<secret>``, else None."""
    if not text.startswith(KEY_PREFIX):
        return None
    key_id, sep, secret = text[len(KEY_PREFIX) :].partition("_")
    if not sep or not _KEY_ID.match(key_id) or not _SECRET.match(secret):
        return None
    return key_id, secret


def is_key_id(value: str) -> bool:
    return bool(_KEY_ID.match(value))


def hash_secret(secret: str) -> str:
    # The secret is 256 random bits: a plain hash is enough (no stretching needed).
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(key: ApiKey, secret: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), key.secret_hash)


def check_scopes(values: object) -> frozenset[Scope]:
    """At least one known scope; ValueError otherwise."""
    if not isinstance(values, list | tuple | set | frozenset) or not values or len(values) > len(Scope):
        raise ValueError(f"scopes: a non-empty list of {', '.join(s.value for s in Scope)}")
    try:
        return frozenset(Scope(v) for v in values)
    except ValueError:
        raise ValueError(f"scopes: each one of {', '.join(s.value for s in Scope)}") from None


def check_key_name(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("name: a string")
    name = " ".join(value.split())
    if not 1 <= len(name) <= MAX_KEY_NAME or not name.isprintable():
        raise ValueError(f"name: 1 to {MAX_KEY_NAME} printable characters")
    return name


def check_rate(name: str, value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_PER_MINUTE:
        raise ValueError(f"{name}: an integer 1..{MAX_PER_MINUTE}, or null for the server's")
    return value


@dataclass(frozen=True, slots=True)
class Quota:
    """A key's rate limit after a request: the burst it may spend at once, what is left
    of it, and the seconds until the bucket is full again (RateLimit-* headers)."""

    limit: int
    remaining: int
    reset_s: int


def quota_of(burst: float, tokens: float, per_s: float) -> Quota:
    missing = max(0.0, burst - tokens)
    return Quota(int(burst), max(0, math.floor(tokens)), math.ceil(missing / per_s) if per_s > 0 else 0)


# --- a tenant's own signing keys and its origins --------------------------------------

# An origin as browsers send it (scheme, host, optional port), or with "*." before the
# host for every subdomain of it.
_ORIGIN = re.compile(r"^https?://(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:[0-9]{1,5})?$")
MAX_ORIGINS = 32
MAX_JWKS_KEYS = 16
MAX_URL = 2048
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


@dataclass(frozen=True, slots=True)
class TenantAccess:
    """A tenant's ways in besides its shared secret: a JWKS (by URL, or inline) whose
    keys sign RS256/ES256 tokens with ``iss`` = the tenant id, and the origins its
    pages may connect and call the API from (None: any, as without the setting)."""

    jwks_url: str | None = None
    jwks: dict[str, Any] | None = None
    allowed_origins: tuple[str, ...] | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "jwks_url": self.jwks_url,
            "jwks": self.jwks,
            "allowed_origins": None if self.allowed_origins is None else list(self.allowed_origins),
        }


def check_origins(values: object) -> tuple[str, ...]:
    """Origins (``https://tv.example``, ``https://*.tv.example``, ``http://localhost:3000``),
    lower-cased; ValueError otherwise."""
    if not isinstance(values, list | tuple) or len(values) > MAX_ORIGINS:
        raise ValueError(f"allowed_origins: a list of at most {MAX_ORIGINS} origins, or null")
    out: list[str] = []
    for value in values:
        origin = value.lower().rstrip("/") if isinstance(value, str) else ""
        if not _ORIGIN.match(origin):
            raise ValueError("allowed_origins: each an origin such as https://tv.example")
        if origin not in out:
            out.append(origin)
    return tuple(out)


def origin_allowed(origin: str, allowed: tuple[str, ...]) -> bool:
    """Whether ``origin`` (as the browser sent it) is one of ``allowed``, a wildcard
    entry matching any subdomain (never the bare domain) on the same scheme and port."""
    origin = origin.lower()
    for entry in allowed:
        if entry == origin:
            return True
        scheme, _, rest = entry.partition("://*.")
        if rest:
            o_scheme, sep, o_host = origin.partition("://")
            if sep and o_scheme == scheme and o_host.endswith("." + rest) and "/" not in o_host:
                return True
    return False


def check_jwks_url(value: object) -> str:
    """An https URL (http only to this machine, for development); ValueError otherwise."""
    if not isinstance(value, str) or len(value) > MAX_URL or any(c.isspace() for c in value):
        raise ValueError("jwks_url: an https URL")
    if value.startswith("https://") and len(value) > len("https://"):
        return value
    if value.startswith("http://"):
        host = value[len("http://") :].split("/", 1)[0]
        if host.rsplit(":", 1)[0] in _LOOPBACK or host in _LOOPBACK:
            return value
    raise ValueError("jwks_url: an https URL (http only to 127.0.0.1 or localhost)")


def check_jwks(value: object) -> dict[str, Any]:
    """A JWK Set's shape: ``{"keys": [{"kty": ..., "kid": ...}, ...]}``; the keys themselves
    are read where they are used."""
    keys = value.get("keys") if isinstance(value, dict) else None
    if not isinstance(value, dict) or not isinstance(keys, list) or not 1 <= len(keys) <= MAX_JWKS_KEYS:
        raise ValueError(f'jwks: a JWK Set, {{"keys": [...]}} with 1 to {MAX_JWKS_KEYS} keys')
    for key in keys:
        if (
            not isinstance(key, dict)
            or not isinstance(key.get("kid"), str)
            or key.get("kty")
            not in (
                "RSA",
                "EC",
            )
        ):
            raise ValueError("jwks: each key an RSA or EC public key with a kid")
        if any(name in key for name in ("d", "p", "q", "dp", "dq", "qi", "k")):
            raise ValueError("jwks: public keys only (a private key was given)")
    return value


class QuotaExceeded(SyncError):
    """rate_limited, with the key's quota (for the RateLimit-* headers of the 429)."""

    def __init__(self, quota: Quota, retry_after_s: float) -> None:
        super().__init__(
            Code.RATE_LIMITED,
            f"this API key's rate limit is spent (a burst of {quota.limit})",
            retry_after_s=retry_after_s,
        )
        self.quota = quota
