"""The tenant's API keys: create, list, revoke (scope ``users:admin``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from socialsync.platform._models import ApiKey, NewApiKey, Page, page_of, reader
from socialsync.platform._request import M, Resource, Spec, call, compact, pages

Scope = Literal["parties:write", "moderation:write", "analytics:read", "users:admin", "webhooks:admin"]


class ApiKeys(Resource[M]):
    """``client.api_keys``: keys grant only scopes their creator holds."""

    @call("POST", "/api/v1/api-keys")
    def create(
        self,
        name: str,
        scopes: Sequence[Scope],
        *,
        expires_at: int | None = None,
        per_minute: int | None = None,
        burst: int | None = None,
    ) -> Spec[NewApiKey]:
        """A new key; its text (``.api_key``) is in this answer only. ``expires_at``: Unix
        ms; ``per_minute``/``burst``: its own rate limit (None: the server's)."""
        body = compact(name=name, scopes=[*scopes], expires_at=expires_at, per_minute=per_minute, burst=burst)
        return Spec(reader(NewApiKey), body=body)

    @call("DELETE", "/api/v1/api-keys/{key}")
    def revoke(self, key: str) -> Spec[ApiKey]:
        """Revoke a key by its id: every node refuses it within 30 s."""
        return Spec(reader(ApiKey, "key"), path={"key": key})

    @call("GET", "/api/v1/api-keys")
    def list(self, *, limit: int | None = None, cursor: str | None = None) -> Spec[Page[ApiKey]]:
        """One page of the tenant's keys (revoked ones too; never their secrets)."""
        return Spec(page_of(ApiKey), query={"limit": limit, "cursor": cursor})

    iter = pages(list)
