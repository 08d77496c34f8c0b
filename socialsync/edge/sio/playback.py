"""playback.control and playback.status."""

from __future__ import annotations

from typing import Any

from socialsync.domain.party import commands as c
from socialsync.edge.sio.events import Answer, Handlers
from socialsync.protocol import inbound, outbound
from socialsync.services.parties import PartyService


class PlaybackEvents:
    def __init__(self, parties: PartyService) -> None:
        self.parties = parties

    def handlers(self) -> Handlers:
        return {"playback.control": self.control, "playback.status": self.status}

    async def control(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.PlaybackControl, data)
        command = c.Control(
            user_id=self.parties.user_of(sid).id,
            action=c.Action(m.action),
            position_s=m.position,
            rate=m.rate,
            media=m.media.to_domain() if m.media else None,
            seq=m.seq,
            duration_s=m.duration,
        )
        party = await self.parties.command(sid, m.party, command)
        return {"ok": True, "playback": outbound.playback_out(party.id, party.playback)}

    async def status(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.PlaybackStatus, data)
        command = c.ReportStatus(
            self.parties.user_of(sid).id,
            m.position,
            m.playing,
            m.buffering,
            m.at if m.at else received_ms,
            m.seq,
            wait_for_me=m.wait_for_me,
            rtt_ms=m.rtt,
            ad=m.ad,
            edge_delay_s=m.edge_delay,
        )
        party = await self.parties.command(sid, m.party, command)
        return {"ok": True, "seq": party.playback.seq}
