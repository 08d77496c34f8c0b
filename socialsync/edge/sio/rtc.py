"""rtc.*: camera signalling."""

from __future__ import annotations

from typing import Any

from socialsync.edge.sio.events import OK, Answer, Handlers
from socialsync.protocol import inbound, outbound
from socialsync.services.cameras import CameraService


class RtcEvents:
    def __init__(self, cameras: CameraService) -> None:
        self.cameras = cameras

    def handlers(self) -> Handlers:
        return {
            "rtc.config": self.config,
            "rtc.publish": self.publish,
            "rtc.unpublish": self.unpublish,
            "rtc.mute": self.mute,
            "rtc.subscribe": self.subscribe,
            "rtc.answer": self.answer,
            "rtc.unsubscribe": self.unsubscribe,
            "rtc.stage": self.stage,
        }

    async def config(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.PartyRef, data)
        config = await self.cameras.config(sid, m.party)
        return {"ok": True, "ice_servers": config.ice_servers, "max_cameras": config.max_cameras}

    async def publish(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.RtcPublish, data)
        done = await self.cameras.publish(
            sid, m.party, m.sdp, audio=m.audio, video=m.video, consent=m.consent
        )
        return {"ok": True, "sdp": done.sdp, "camera": outbound.camera_out(done.camera)}

    async def unpublish(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.PartyRef, data)
        await self.cameras.unpublish(sid, m.party)
        return dict(OK)

    async def mute(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.RtcMute, data)
        camera = await self.cameras.mute(sid, m.party, m.audio, m.video)
        return {"ok": True, "camera": outbound.camera_out(camera)}

    async def subscribe(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.RtcPeer, data)
        return {"ok": True, "sdp": await self.cameras.subscribe(sid, m.party, m.publisher)}

    async def answer(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.RtcAnswer, data)
        await self.cameras.answer(sid, m.party, m.publisher, m.sdp)
        return dict(OK)

    async def unsubscribe(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.RtcPeer, data)
        await self.cameras.unsubscribe(sid, m.party, m.publisher)
        return dict(OK)

    async def stage(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.RtcStage, data)
        member = await self.cameras.stage(sid, m.party, m.user, m.on)
        return {"ok": True, "member": outbound.member_out(member)}
