"""Cameras: the rtc.* events, between the party's rules (the state machine decides
who may publish) and this node's media relay (which holds the peer connections).

Order matters at both ends. A publisher's connection is negotiated before its
camera is announced, so that members who subscribe on the announcement find it;
a camera that was on is announced off first, so that subscribers drop the old
connection before the new one is offered.
"""

from __future__ import annotations

from typing import Any

from . import wire
from .adapters.rtc_sfu import MediaRelay, media_kinds
from .domain import commands as c
from .domain.errors import Code, SyncError, bad_request, forbidden, not_found
from .service import PartyService

Answer = dict[str, Any]


class CameraService:
    def __init__(self, parties: PartyService, relay: MediaRelay | None, max_cameras: int) -> None:
        self.parties = parties
        self.relay = relay
        self.max_cameras = max_cameras

    def _relay(self) -> MediaRelay:
        if self.relay is None:
            raise SyncError(Code.UNAVAILABLE, "this server does not relay cameras")
        return self.relay

    async def config(self, session: str, party_id: str) -> Answer:
        await self.parties.joined_party(session, party_id)
        relay = self._relay()
        return {"ok": True, "ice_servers": relay.ice_servers, "max_cameras": self.max_cameras}

    async def publish(self, session: str, m: wire.RtcPublish) -> Answer:
        user = self.parties.user_of(session)
        party = await self.parties.joined_party(session, m.party)
        if not m.consent:
            raise forbidden("a camera goes on only when its member chooses to (consent: true)")
        wanted = {kind for kind, on in (("audio", m.audio), ("video", m.video)) if on}
        if not wanted:
            raise bad_request("publish audio, video or both")
        if set(media_kinds(m.sdp)) != wanted:
            raise bad_request(f"sdp: its media sections must be exactly {' and '.join(sorted(wanted))}")
        relay = self._relay()
        command = c.Publish(user.id, session, m.audio, m.video, m.consent)
        await self.parties.check(session, m.party, command)  # the rules before the media work
        member = party.members.get(user.id)
        if member is not None and member.camera is not None:
            await self.parties.command(session, m.party, c.Unpublish(user.id))
        answer = await relay.publish(m.party, user.id, session, m.sdp)
        try:
            party = await self.parties.command(session, m.party, command)
        except BaseException:
            await relay.unpublish(m.party, user.id)
            raise
        return {"ok": True, "sdp": answer, "camera": wire.camera_out(party.members[user.id].camera)}

    async def unpublish(self, session: str, party_id: str) -> Answer:
        user = self.parties.user_of(session)
        await self.parties.command(session, party_id, c.Unpublish(user.id))
        if self.relay is not None:
            await self.relay.unpublish(party_id, user.id)
        return {"ok": True}

    async def mute(self, session: str, m: wire.RtcMute) -> Answer:
        user = self.parties.user_of(session)
        party = await self.parties.command(session, m.party, c.Mute(user.id, m.audio, m.video))
        return {"ok": True, "camera": wire.camera_out(party.members[user.id].camera)}

    async def subscribe(self, session: str, m: wire.RtcPeer) -> Answer:
        user = self.parties.user_of(session)
        party = await self.parties.joined_party(session, m.party)
        if m.publisher == user.id:
            raise bad_request("publisher: your own camera is yours already")
        publisher = party.members.get(m.publisher)
        if publisher is None or publisher.camera is None:
            raise not_found(f"no camera of {m.publisher!r} is on in this party")
        relay = self._relay()
        if not relay.publishing(m.party, m.publisher):
            # In a cluster, a camera is relayed by the node its publisher is on.
            raise SyncError(Code.UNAVAILABLE, "that camera is relayed by another node")
        return {"ok": True, "sdp": await relay.subscribe(m.party, session, m.publisher)}

    async def answer(self, session: str, m: wire.RtcAnswer) -> Answer:
        await self.parties.joined_party(session, m.party)
        await self._relay().answer(m.party, session, m.publisher, m.sdp)
        return {"ok": True}

    async def unsubscribe(self, session: str, m: wire.RtcPeer) -> Answer:
        await self.parties.joined_party(session, m.party)
        if self.relay is not None:
            await self.relay.unsubscribe(m.party, session, m.publisher)
        return {"ok": True}

    async def stage(self, session: str, m: wire.RtcStage) -> Answer:
        user = self.parties.user_of(session)
        party = await self.parties.command(session, m.party, c.SetStage(user.id, m.user, m.on))
        return {"ok": True, "member": wire.member_out(party.members[m.user])}
