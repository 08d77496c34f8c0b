"""What discovery reads of the analytics (docs/engagement.md): committed events and
aggregates, nothing recorded for it. Reads see only the tenant asked about."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from socialsync.domain.discovery import Activity, History


class DiscoverySource(Protocol):
    async def activity(self, tenant_id: str, party_ids: Sequence[str], since_ms: int) -> dict[str, Activity]:
        """Messages and reactions per party since ``since_ms`` (parties without any are
        left out)."""
        ...

    async def history(self, tenant_id: str, viewers: Sequence[str], since_ms: int) -> History:
        """The viewers' watch time per media item and the viewers they watched with (a
        session in the same party overlapping theirs), from sessions since ``since_ms``."""
        ...
