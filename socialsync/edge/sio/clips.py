"""clip.* and mod.clip_review: reaction clips."""

from __future__ import annotations

from typing import Any

from socialsync.edge.sio.events import OK, Answer, Handlers
from socialsync.protocol import inbound, outbound
from socialsync.services.clips import ClipService


class ClipEvents:
    def __init__(self, clips: ClipService) -> None:
        self.clips = clips

    def handlers(self) -> Handlers:
        return {
            "clip.start": self.start,
            "clip.stop": self.stop,
            "clip.list": self.list,
            "clip.delete": self.delete,
            "clip.report": self.report,
            "mod.clip_review": self.review,
        }

    async def start(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.ClipStart, data)
        started = await self.clips.start(sid, m.party, m.consent)
        recording = {
            "id": started.clip_id,
            "started_at": started.started_at_ms,
            "max_duration": started.max_duration_s,
            "mime_type": started.mime_type,
        }
        return {"ok": True, "recording": recording}

    async def stop(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.PartyRef, data)
        return {"ok": True, "clip": outbound.clip_out(await self.clips.stop(sid, m.party))}

    async def list(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.ClipList, data)
        clips = await self.clips.list(sid, m.party, m.media_url)
        return {"ok": True, "clips": [outbound.clip_out(c) for c in clips]}

    async def delete(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.ClipDelete, data)
        await self.clips.delete(sid, m.party, m.id, m.reason)
        return dict(OK)

    async def report(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.ClipReport, data)
        await self.clips.report(sid, m.party, m.id, m.reason)
        return dict(OK)

    async def review(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.ModClipReview, data)
        await self.clips.review(sid, m.party, m.id, m.decision == "approve", m.reason)
        return dict(OK)
