"""Each tenant's own policy: who may frame its pages (CSP frame-ancestors) and its
abuse limits (parties per hour, cameras per user, guests per address), over the
server's defaults. Read through a short cache: a change made through another node
holds here within ``POLICY_TTL_MS`` (this node's own at once)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from socialsync.domain.errors import bad_request, not_found
from socialsync.domain.model import User
from socialsync.domain.tenant import Tenant, TenantLimits, check_frame_ancestors, limit_or
from socialsync.ports import Clock, MessageStore
from socialsync.services.privacy import require_admin

POLICY_TTL_MS = 5_000
MAX_CACHED = 10_000
_TENANT_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")


@dataclass(frozen=True)
class Defaults:
    """The server's limits (socialsync/config.py), where a tenant has none of its own."""

    parties_per_hour: int = 20
    cameras_per_user: int = 2
    guests_per_address_per_hour: int = 20


@dataclass(frozen=True)
class Policy:
    frame_ancestors: tuple[str, ...] | None
    limits: TenantLimits

    def to_data(self, defaults: Defaults) -> dict[str, Any]:
        own = self.limits.to_data()
        return {
            "frame_ancestors": None if self.frame_ancestors is None else list(self.frame_ancestors),
            "limits": own,
            "effective_limits": {k: limit_or(v, getattr(defaults, k)) for k, v in own.items()},
        }


class TenantPolicies:
    def __init__(self, store: MessageStore, clock: Clock, defaults: Defaults) -> None:
        self.store = store
        self.clock = clock
        self.defaults = defaults
        self._cache: dict[str, tuple[int, Policy | None]] = {}

    async def policy(self, tenant_id: str) -> Policy | None:
        """The tenant's policy (None: no such tenant), from the cache when fresh."""
        if not _TENANT_ID.match(tenant_id):
            return None
        now = self.clock.now_ms()
        cached = self._cache.get(tenant_id)
        if cached is not None and now - cached[0] < POLICY_TTL_MS:
            return cached[1]
        tenant = await self.store.get_tenant(tenant_id)
        if len(self._cache) >= MAX_CACHED:
            self._cache.clear()
        policy = None if tenant is None else _policy(tenant)
        self._cache[tenant_id] = (now, policy)
        return policy

    async def limits(self, tenant_id: str) -> Defaults:
        """The limits that hold for the tenant: its own, else the server's."""
        policy = await self.policy(tenant_id)
        if policy is None:
            return self.defaults
        own = policy.limits
        d = self.defaults
        return Defaults(
            parties_per_hour=limit_or(own.parties_per_hour, d.parties_per_hour),
            cameras_per_user=limit_or(own.cameras_per_user, d.cameras_per_user),
            guests_per_address_per_hour=limit_or(
                own.guests_per_address_per_hour, d.guests_per_address_per_hour
            ),
        )

    async def frame_ancestors(self, tenant_id: str) -> tuple[str, ...] | None:
        """The tenant's embedders, or None (unknown tenant, or none of its own)."""
        policy = await self.policy(tenant_id)
        return None if policy is None else policy.frame_ancestors

    async def get(self, admin: User) -> Policy:
        require_admin(admin)
        return await self._read(admin.tenant_id)

    async def policy_of(self, tenant_id: str) -> Policy:
        """The operator's (CLI) read: not_found for no such tenant."""
        return await self._read(tenant_id)

    async def update(self, admin: User, changes: Any) -> Policy:
        """Fields left out keep their value; ``frame_ancestors: null`` and a limit's
        null go back to the server's."""
        require_admin(admin)
        return await self.set(admin.tenant_id, changes)

    async def set(self, tenant_id: str, changes: Any) -> Policy:
        """The operator's (CLI) and the admins' change, validated."""
        if not isinstance(changes, dict) or not changes or set(changes) - {"frame_ancestors", "limits"}:
            raise bad_request("send {frame_ancestors?: [origin, ...] | null, limits?: {name: n | null}}")
        current = await self._read(tenant_id)
        try:
            ancestors = current.frame_ancestors
            if "frame_ancestors" in changes:
                raw = changes["frame_ancestors"]
                ancestors = None if raw is None else check_frame_ancestors(raw)
            limits = current.limits
            if "limits" in changes:
                limits = TenantLimits.from_data(changes["limits"], current.limits)
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        await self.store.set_tenant_policy(tenant_id, ancestors, limits)
        self._cache.pop(tenant_id, None)
        return Policy(ancestors, limits)

    async def _read(self, tenant_id: str) -> Policy:
        tenant = await self.store.get_tenant(tenant_id)
        if tenant is None:
            raise not_found(f"tenant {tenant_id!r} not found")
        policy = _policy(tenant)
        self._cache[tenant_id] = (self.clock.now_ms(), policy)
        return policy


def _policy(tenant: Tenant) -> Policy:
    return Policy(tenant.frame_ancestors, tenant.limits)
