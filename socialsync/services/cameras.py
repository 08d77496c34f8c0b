"""Cameras: the rtc.* events, between the party's rules (the state machine decides
who may publish) and this node's media relay (which holds the peer connections).

In a cluster the relay work runs on the party's media node (media_routing.py);
the rules run here, on the node that received the request.

Order matters at both ends. A publisher's connection is negotiated before its
camera is announced, so that members who subscribe on the announcement find it;
a camera that was on is announced off first, so that subscribers drop the old
connection before the new one is offered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from socialsync.domain.errors import Code, SyncError, bad_request, forbidden, not_found
from socialsync.domain.party import commands as c
from socialsync.media.relay import media_kinds
from socialsync.media.routing import RoutedRelay
from socialsync.ports import Envelope
from socialsync.protocol import wire
from socialsync.services.parties import PartyService

Answer = dict[str, Any]
IceServers = Callable[[str], list[dict[str, Any]]]


class CameraService:
    def __init__(
        self,
        parties: PartyService,
        relay: RoutedRelay | None,
        max_cameras: int,
        ice_servers: IceServers | None = None,
    ) -> None:
        self.parties = parties
        self.relay = relay
        self.max_cameras = max_cameras
        # The ICE servers of a user's peer connections (TURN credentials are per user).
        self.ice_servers = ice_servers

    def _relay(self) -> RoutedRelay:
        if self.relay is None:
            raise SyncError(Code.UNAVAILABLE, "this server does not relay cameras")
        return self.relay

    async def config(self, session: str, party_id: str) -> Answer:
        await self.parties.joined_party(session, party_id)
        relay = self._relay()
        user = self.parties.user_of(session)
        servers = self.ice_servers(user.id) if self.ice_servers else relay.ice_servers
        return {"ok": True, "ice_servers": servers, "max_cameras": self.max_cameras}

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
        return {"ok": True, "sdp": await self._relay().subscribe(m.party, session, m.publisher)}

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

    async def reset(self, party_id: str, reason: str = "media_node_lost") -> None:
        """The party's media node is gone (media_nodes_redis.py): its cameras are off.
        Members are told first (`rtc.reset` names the cameras), then each camera goes
        off, so a publisher republishes once it sees its own camera off and the
        reset can never turn off a camera published anew."""
        party = await self.parties.parties.get(party_id)
        if party is None or party.ended is not None:
            return
        users = sorted(u for u, member in party.members.items() if member.camera is not None)
        if not users:
            return
        await self.parties.publish(
            Envelope(party_id, "rtc.reset", {"party": party_id, "reason": reason, "users": users})
        )
        for user_id in users:
            await self.parties.run_command(party_id, c.Unpublish(user_id))
