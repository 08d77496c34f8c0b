"""Cameras: the rtc.* requests, between the party's rules (the state machine decides
who may publish) and the media relay (which holds the peer connections).

In a cluster the relay work runs on the party's media node (media/routing.py);
the rules run here, on the node that received the request.

Order matters at both ends. A publisher's connection is negotiated before its
camera is announced, so that members who subscribe on the announcement find it;
a camera that was on is announced off first, so that subscribers drop the old
connection before the new one is offered.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from socialsync.domain.errors import Code, Reason, SyncError, bad_request, forbidden, not_found
from socialsync.domain.identity import UserKey
from socialsync.domain.model import Camera, Member
from socialsync.domain.notices import CamerasReset
from socialsync.domain.party import commands as c
from socialsync.domain.privacy import Consent, ConsentKind
from socialsync.ports import Observer
from socialsync.ports.media import IceServer, MediaRelay
from socialsync.services.parties import PartyService

IceServers = Callable[[str], list[IceServer]]
# What an SDP offer's media sections are (audio, video): the relay's parser, injected.
MediaKinds = Callable[[str], list[str]]


@dataclass(frozen=True)
class RtcConfig:
    ice_servers: list[IceServer]
    max_cameras: int


@dataclass(frozen=True)
class Published:
    sdp: str
    camera: Camera | None


class CameraService:
    def __init__(
        self,
        parties: PartyService,
        relay: MediaRelay | None,
        max_cameras: int,
        media_kinds: MediaKinds,
        ice_servers: IceServers | None = None,
        *,
        per_user: int = 2,
        per_user_of: Callable[[str], Awaitable[int]] | None = None,
        observer: Observer | None = None,
        record_consent: Callable[[Consent], Awaitable[None]] | None = None,
    ) -> None:
        self.parties = parties
        # Who consented to publish what, when, in which party (docs/privacy.md).
        self.record_consent = record_consent
        # At most this many cameras of one user at once (in different parties); the
        # parties' rules bound them per party, the relay per node.
        self.per_user = per_user
        # The tenant's own limit, by tenant id, where it has one (services/tenants.py).
        self.per_user_of = per_user_of
        self.observer = observer
        self._publishing: dict[UserKey, set[str]] = {}
        self.relay = relay
        self.max_cameras = max_cameras
        self.media_kinds = media_kinds
        # The ICE servers of a user's peer connections (TURN credentials are per user).
        self.ice_servers = ice_servers

    def _relay(self) -> MediaRelay:
        if self.relay is None:
            raise SyncError(Code.UNAVAILABLE, "this server does not relay cameras", reason=Reason.NO_RELAY)
        return self.relay

    async def config(self, session: str, party_id: str) -> RtcConfig:
        await self.parties.joined_party(session, party_id)
        relay = self._relay()
        user = self.parties.user_of(session)
        servers = self.ice_servers(user.id) if self.ice_servers else relay.ice_servers
        return RtcConfig(servers, self.max_cameras)

    async def publish(
        self, session: str, party_id: str, sdp: str, *, audio: bool, video: bool, consent: bool
    ) -> Published:
        user = self.parties.user_of(session)
        party = await self.parties.joined_party(session, party_id)
        if not consent:
            raise forbidden(
                "a camera goes on only when its member chooses to (consent: true)", Reason.CAMERA_CONSENT
            )
        wanted = {kind for kind, on in (("audio", audio), ("video", video)) if on}
        if not wanted:
            raise bad_request("publish audio, video or both")
        if set(self.media_kinds(sdp)) != wanted:
            raise bad_request(f"sdp: its media sections must be exactly {' and '.join(sorted(wanted))}")
        relay = self._relay()
        command = c.Publish(user.id, session, audio, video, consent)
        await self.parties.check(session, party_id, command)  # the rules before the media work
        key = UserKey(user.tenant_id, user.id)
        await self._check_per_user(key, party_id)
        member = party.members.get(user.id)
        if member is not None and member.camera is not None:
            await self.parties.command(session, party_id, c.Unpublish(user.id))
        answer = await relay.publish(party_id, user.id, session, sdp)
        try:
            party = await self.parties.command(session, party_id, command)
        except BaseException:
            await relay.unpublish(party_id, user.id)
            raise
        self._publishing.setdefault(key, set()).add(party_id)
        if self.record_consent is not None:
            details: dict[str, object] = {"audio": audio, "video": video}
            now = self.parties.clock.now_ms()
            record = Consent(user.tenant_id, party_id, user.id, ConsentKind.CAMERA, now, details)
            await self.record_consent(record)
        return Published(answer, party.members[user.id].camera)

    async def _check_per_user(self, key: UserKey, party_id: str) -> None:
        """Refuse a camera beyond ``per_user`` of this user's (its others still on)."""
        others = self._publishing.get(key, set()) - {party_id}
        for other in list(others):
            party = await self.parties.live(other)
            member = party.members.get(key.user_id) if party is not None else None
            if member is None or member.camera is None:
                others.discard(other)
                self._publishing.get(key, set()).discard(other)
        per_user = self.per_user if self.per_user_of is None else await self.per_user_of(key.tenant_id)
        if len(others) >= per_user:
            if self.observer is not None:
                self.observer.limited("cameras_per_user")
            raise SyncError(
                Code.RATE_LIMITED,
                f"at most {per_user} cameras of yours at once: turn one off first",
                reason=Reason.CAMERAS_PER_USER,
                params={"max": per_user},
            )

    async def expired(self, party_id: str, user_id: str) -> None:
        """The relay closed a publication whose ICE never connected: its camera is off."""
        party = await self.parties.live(party_id)
        member = party.members.get(user_id) if party is not None else None
        if member is not None and member.camera is not None:
            with contextlib.suppress(SyncError):
                await self.parties.run_command(party_id, c.Unpublish(user_id))

    async def unpublish(self, session: str, party_id: str) -> None:
        user = self.parties.user_of(session)
        await self.parties.command(session, party_id, c.Unpublish(user.id))
        if self.relay is not None:
            await self.relay.unpublish(party_id, user.id)

    async def mute(
        self, session: str, party_id: str, audio: bool | None, video: bool | None
    ) -> Camera | None:
        user = self.parties.user_of(session)
        party = await self.parties.command(session, party_id, c.Mute(user.id, audio, video))
        return party.members[user.id].camera

    async def subscribe(self, session: str, party_id: str, publisher_id: str) -> str:
        user = self.parties.user_of(session)
        party = await self.parties.joined_party(session, party_id)
        if publisher_id == user.id:
            raise bad_request("publisher: your own camera is yours already")
        publisher = party.members.get(publisher_id)
        if publisher is None or publisher.camera is None:
            raise not_found(f"no camera of {publisher_id!r} is on in this party")
        return await self._relay().subscribe(party_id, session, publisher_id)

    async def answer(self, session: str, party_id: str, publisher_id: str, sdp: str) -> None:
        await self.parties.joined_party(session, party_id)
        await self._relay().answer(party_id, session, publisher_id, sdp)

    async def unsubscribe(self, session: str, party_id: str, publisher_id: str) -> None:
        await self.parties.joined_party(session, party_id)
        if self.relay is not None:
            await self.relay.unsubscribe(party_id, session, publisher_id)

    async def stage(self, session: str, party_id: str, user_id: str, on: bool) -> Member:
        user = self.parties.user_of(session)
        party = await self.parties.command(session, party_id, c.SetStage(user.id, user_id, on))
        return party.members[user_id]

    async def reset(self, party_id: str, reason: str = "media_node_lost") -> None:
        """The party's media node is gone: its cameras are off. Members are told first
        (`rtc.reset` names the cameras), then each camera goes off, so a publisher
        republishes once it sees its own camera off and the reset can never turn off
        a camera published anew."""
        party = await self.parties.live(party_id)
        if party is None or party.ended is not None:
            return
        users = tuple(sorted(u for u, member in party.members.items() if member.camera is not None))
        if not users:
            return
        await self.parties.publish(party_id, CamerasReset(party_id, reason, users))
        for user_id in users:
            await self.parties.run_command(party_id, c.Unpublish(user_id))
