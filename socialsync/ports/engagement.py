"""Each tenant's engagement switches (badges, the feedback prompt): SQL shared by every
node, or memory. A write holds for every node's next read; readers cache for a few
seconds (services/tenants.py)."""

from __future__ import annotations

from typing import Protocol

from socialsync.domain.engagement import Engagement


class EngagementStore(Protocol):
    async def engagement(self, tenant_id: str) -> Engagement | None:
        """The tenant's switches (None: never set, so all off)."""
        ...

    async def set_engagement(self, tenant_id: str, engagement: Engagement, now_ms: int) -> None: ...
