"""Each tenant's own policy: who may frame its pages (CSP frame-ancestors), its
abuse limits (parties per hour, cameras per user, guests per address) over the
server's defaults, its engagement switches (badges, the feedback prompt) and its chat
hook (docs/chat-hook.md: kept by services/chat_hook.py, changed through here). Read
through a short cache: a change made through another node holds here within
``POLICY_TTL_MS`` (this node's own at once)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from socialsync.domain.chat_hook import ChatHook
from socialsync.domain.engagement import Engagement
from socialsync.domain.errors import bad_request, not_found
from socialsync.domain.model import User
from socialsync.domain.tenant import Tenant, TenantLimits, check_frame_ancestors, limit_or
from socialsync.ports import Clock, MessageStore
from socialsync.ports.engagement import EngagementStore
from socialsync.services.chat_hook import ChatHooks
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
    engagement: Engagement = Engagement()
    # The chat hook, in admins' reads and changes only (the cached policy leaves it out);
    # its new secret only in the answer to the change that made it.
    chat_hook: ChatHook | None = None
    chat_hook_secret: str | None = None

    def to_data(self, defaults: Defaults) -> dict[str, Any]:
        own = self.limits.to_data()
        hook: dict[str, Any] | None = None if self.chat_hook is None else self.chat_hook.to_data()
        if hook is not None and self.chat_hook_secret is not None:
            hook["secret"] = self.chat_hook_secret
        return {
            "frame_ancestors": None if self.frame_ancestors is None else list(self.frame_ancestors),
            "limits": own,
            "effective_limits": {k: limit_or(v, getattr(defaults, k)) for k, v in own.items()},
            "engagement": self.engagement.to_data(),
            "chat_hook": hook,
        }


class TenantPolicies:
    def __init__(
        self,
        store: MessageStore,
        clock: Clock,
        defaults: Defaults,
        engagement: EngagementStore | None = None,
        chat_hooks: ChatHooks | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.defaults = defaults
        # Badges and the feedback prompt (docs/engagement.md); None: always off.
        self.engagement_store = engagement
        # The tenants' chat hooks (docs/chat-hook.md); None: not offered.
        self.chat_hooks = chat_hooks
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
        policy = None if tenant is None else _policy(tenant, await self._engagement(tenant_id))
        self._cache[tenant_id] = (now, policy)
        return policy

    async def engagement(self, tenant_id: str) -> Engagement:
        """The tenant's engagement switches (all off for no such tenant)."""
        policy = await self.policy(tenant_id)
        return Engagement() if policy is None else policy.engagement

    async def _engagement(self, tenant_id: str) -> Engagement:
        if self.engagement_store is None:
            return Engagement()
        return await self.engagement_store.engagement(tenant_id) or Engagement()

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
        known = {"frame_ancestors", "limits", "engagement"}
        if self.chat_hooks is not None:
            known.add("chat_hook")
        if not isinstance(changes, dict) or not changes or set(changes) - known:
            raise bad_request(
                "send {frame_ancestors?: [origin, ...] | null, limits?: {name: n | null},"
                " engagement?: {badges?, feedback?}, chat_hook?: {url?, timeout_ms?, on_timeout?,"
                " enabled?, rotate_secret?} | null}"
            )
        current = await self._read(tenant_id)
        hooks, hook_change = self.chat_hooks, None
        try:
            if hooks is not None and "chat_hook" in changes:
                hook_change = hooks.change(current.chat_hook, changes["chat_hook"], tenant_id)
            ancestors = current.frame_ancestors
            if "frame_ancestors" in changes:
                raw = changes["frame_ancestors"]
                ancestors = None if raw is None else check_frame_ancestors(raw)
            limits = current.limits
            if "limits" in changes:
                limits = TenantLimits.from_data(changes["limits"], current.limits)
            engagement = current.engagement
            if changes.get("engagement") is not None:
                engagement = Engagement.from_data(changes["engagement"], current.engagement)
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        await self.store.set_tenant_policy(tenant_id, ancestors, limits)
        if self.engagement_store is not None and engagement != current.engagement:
            await self.engagement_store.set_engagement(tenant_id, engagement, self.clock.now_ms())
        hook, hook_secret = current.chat_hook, None
        if hooks is not None and hook_change is not None:
            hook, hook_secret = await hooks.apply(tenant_id, hook_change)
        self._cache.pop(tenant_id, None)
        return Policy(ancestors, limits, engagement, hook, hook_secret)

    async def _read(self, tenant_id: str) -> Policy:
        tenant = await self.store.get_tenant(tenant_id)
        if tenant is None:
            raise not_found(f"tenant {tenant_id!r} not found")
        policy = _policy(tenant, await self._engagement(tenant_id))
        self._cache[tenant_id] = (self.clock.now_ms(), policy)
        if self.chat_hooks is not None:
            return replace(policy, chat_hook=await self.chat_hooks.hook_of(tenant_id))
        return policy


def _policy(tenant: Tenant, engagement: Engagement) -> Policy:
    return Policy(tenant.frame_ancestors, tenant.limits, engagement)
