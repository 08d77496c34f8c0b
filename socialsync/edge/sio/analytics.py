"""analytics.*: what a party's members see of its analytics (protocol 18): the top
moments of its media item, and how many members are present now."""

from __future__ import annotations

from typing import Any

from socialsync.edge.sio.events import Answer, Handlers
from socialsync.protocol import inbound, outbound
from socialsync.services.analytics import AnalyticsService
from socialsync.services.parties import PartyService


class AnalyticsEvents:
    def __init__(self, parties: PartyService, analytics: AnalyticsService) -> None:
        self.parties = parties
        self.analytics = analytics

    def handlers(self) -> Handlers:
        return {"analytics.moments": self.moments, "analytics.watching": self.watching}

    async def moments(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.AnalyticsMoments, data)
        party = await self.parties.joined_party(sid, m.party)  # members only
        found = await self.analytics.member_moments(party, m.bucket_s, m.top)
        return {
            "ok": True,
            "media": found.media_id,
            "views": found.views,
            "bucket_s": m.bucket_s,
            "moments": [outbound.key_moment_out(x) for x in found.top],
        }

    async def watching(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.PartyRef, data)
        party = await self.parties.joined_party(sid, m.party)
        return {"ok": True, "watching": self.analytics.watching(party)}
