"""Tenants' own signing keys: each tenant's JWKS (by URL, or inline), fetched with a
timeout and kept for its ``Cache-Control: max-age`` (bounded).

A kid the keys do not have sends for the JWKS again, at most once every ``refetch_s``
per tenant: a platform that starts signing with a new key (two active keys during a
rotation) is followed within that, and a flood of made-up kids costs one fetch a
minute. Each tenant's fetch is its own (concurrent requests of one tenant share it),
so a slow JWKS server never holds up another tenant's tokens. A failed refresh keeps
the keys already known.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt

from socialsync.domain.api_keys import MAX_JWKS_KEYS, TenantAccess, check_jwks
from socialsync.tasks import stop

log = logging.getLogger("socialsync.jwks")

ALGORITHMS = ("RS256", "ES256")
MAX_JWKS_BYTES = 64 * 1024
MIN_RSA_BITS = 2048
_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)")

AccessOf = Callable[[str], Awaitable[TenantAccess]]


def read_jwks(jwks: Any) -> dict[str, jwt.PyJWK]:
    """kid -> key of a JWK Set's usable signing keys: RSA (RS256, 2048 bits or more)
    and EC P-256 (ES256). Others, and keys not for signatures, are left out."""
    keys: dict[str, jwt.PyJWK] = {}
    for data in check_jwks(jwks)["keys"][:MAX_JWKS_KEYS]:
        if data.get("use", "sig") != "sig" or data.get("alg", None) not in (None, *ALGORITHMS):
            continue
        algorithm = "RS256" if data["kty"] == "RSA" else "ES256"
        if data["kty"] == "EC" and data.get("crv") != "P-256":
            continue
        try:
            key = jwt.PyJWK(data, algorithm=algorithm)
        except jwt.PyJWTError:
            continue
        if algorithm == "RS256" and getattr(key.key, "key_size", 0) < MIN_RSA_BITS:
            continue
        keys[data["kid"]] = key
    return keys


@dataclass
class _Keys:
    url: str
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    fetched_at: float = float("-inf")  # the last attempt (monotonic s)
    good_until: float = float("-inf")
    fetched_ok: bool = False


class JwksKeys:
    """The key a tenant's token names by ``kid``: ``await key(tenant_id, kid)``."""

    def __init__(
        self,
        access_of: AccessOf,
        *,
        timeout_s: float = 5.0,
        ttl_s: float = 300.0,
        refetch_s: float = 60.0,
        max_ttl_s: float = 86_400.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._access_of = access_of
        self.timeout_s = timeout_s
        self.ttl_s = ttl_s
        self.refetch_s = refetch_s
        self.max_ttl_s = max_ttl_s
        self._clock = clock
        self._fetched: dict[str, _Keys] = {}
        self._inline: dict[str, tuple[dict[str, Any], dict[str, jwt.PyJWK]]] = {}
        self._fetching: dict[str, asyncio.Task[None]] = {}
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        for task in list(self._fetching.values()):
            await stop(task)
        if self._session is not None:
            await self._session.close()

    async def has_keys(self, tenant_id: str) -> bool:
        access = await self._access_of(tenant_id)
        return access.jwks is not None or access.jwks_url is not None

    async def key(self, tenant_id: str, kid: str) -> jwt.PyJWK | None:
        """The tenant's key ``kid``, or None (no JWKS, no such key, or it cannot be fetched)."""
        access = await self._access_of(tenant_id)
        if access.jwks is not None:
            return self._inline_keys(tenant_id, access.jwks).get(kid)
        if access.jwks_url is None:
            return None
        entry = self._fetched.get(tenant_id)
        if entry is None or entry.url != access.jwks_url:
            entry = self._fetched[tenant_id] = _Keys(access.jwks_url)
        now = self._clock()
        stale = now >= entry.good_until
        unknown = kid not in entry.keys and now - entry.fetched_at >= self.refetch_s
        if stale or unknown:
            await self._refresh(tenant_id, entry)
        return entry.keys.get(kid)

    def _inline_keys(self, tenant_id: str, jwks: dict[str, Any]) -> dict[str, jwt.PyJWK]:
        cached = self._inline.get(tenant_id)
        if cached is None or cached[0] != jwks:
            try:
                cached = (jwks, read_jwks(jwks))
            except ValueError:
                cached = (jwks, {})
            self._inline[tenant_id] = cached
        return cached[1]

    async def _refresh(self, tenant_id: str, entry: _Keys) -> None:
        task = self._fetching.get(tenant_id)
        if task is None:
            task = asyncio.create_task(self._fetch(entry))
            self._fetching[tenant_id] = task
            task.add_done_callback(lambda _: self._fetching.pop(tenant_id, None))
        # A request that gives up waiting leaves the fetch running for the others.
        await asyncio.shield(task)

    async def _fetch(self, entry: _Keys) -> None:
        entry.fetched_at = self._clock()
        try:
            keys, max_age = await self._get(entry.url)
        except Exception as exc:
            # Keep the keys known; try again after refetch_s.
            log.warning("fetching a JWKS failed", extra={"url": entry.url, "error": repr(exc)[:200]})
            entry.good_until = entry.fetched_at + self.refetch_s
            return
        entry.keys = keys
        entry.fetched_ok = True
        ttl = self.ttl_s if max_age is None else float(max_age)
        entry.good_until = entry.fetched_at + min(self.max_ttl_s, max(self.refetch_s, ttl))

    async def _get(self, url: str) -> tuple[dict[str, jwt.PyJWK], int | None]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        async with self._session.get(url, timeout=timeout, allow_redirects=False) as response:
            if response.status != 200:
                raise ValueError(f"HTTP {response.status}")
            body = await response.content.read(MAX_JWKS_BYTES + 1)
            if len(body) > MAX_JWKS_BYTES:
                raise ValueError(f"a JWKS over {MAX_JWKS_BYTES} bytes")
            match = _MAX_AGE.search(response.headers.get("Cache-Control", ""))
        keys = read_jwks(json.loads(body))
        return keys, int(match.group(1)) if match else None
