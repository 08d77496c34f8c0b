"""Tenants' engagement switches in this process (tests; ports/engagement.py)."""

from __future__ import annotations

from socialsync.domain.engagement import Engagement


class MemoryEngagement:
    def __init__(self) -> None:
        self._by_tenant: dict[str, Engagement] = {}

    async def engagement(self, tenant_id: str) -> Engagement | None:
        return self._by_tenant.get(tenant_id)

    async def set_engagement(self, tenant_id: str, engagement: Engagement, now_ms: int) -> None:
        self._by_tenant[tenant_id] = engagement
