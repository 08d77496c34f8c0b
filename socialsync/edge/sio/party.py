"""party.* and member.role: create, join, leave, update, end, roles."""

from __future__ import annotations

from typing import Any

from socialsync.domain.errors import Code, SyncError
from socialsync.domain.model import ControlMode, Party, Role
from socialsync.domain.party import commands as c
from socialsync.edge.sio.events import OK, Answer, Handlers
from socialsync.protocol import inbound, outbound
from socialsync.services.invites import InviteService
from socialsync.services.parties import Joined, PartyService

# Live rooms answer a join with their staff only: a list of 10,000 viewers helps nobody.
LIVE_ROOM_MEMBER_LIST = 100


class PartyEvents:
    def __init__(
        self, parties: PartyService, public_url: str | None, invites: InviteService | None = None
    ) -> None:
        self.parties = parties
        self.public_url = public_url
        self.invites = invites  # party.join by an invite's code

    def handlers(self) -> Handlers:
        return {
            "party.create": self.create,
            "party.join": self.join,
            "party.leave": self.leave,
            "party.update": self.update,
            "party.end": self.end,
            "member.role": self.member_role,
        }

    def _party(self, party: Party) -> dict[str, Any]:
        return outbound.party_out(party, self.public_url)

    async def create(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.PartyCreate, data)
        user = self.parties.user_of(sid)
        party = await self.parties.create(user, m.title, m.media.to_domain(), m.settings.to_domain())
        return {"ok": True, "party": self._party(party)}

    async def join(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.PartyJoin, data)
        if m.invite is not None and self.invites is not None:
            return self._joined(await self.invites.join(sid, m.invite, m.since, m.t))
        if m.party is None:
            raise SyncError(Code.UNAVAILABLE, "this server takes no invites")
        return self._joined(await self.parties.join(sid, m.party, m.since, start_at_s=m.t))

    async def leave(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.PartyRef, data)
        await self.parties.leave(sid, m.party)
        return dict(OK)

    async def update(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.PartyUpdate, data)
        s = m.settings
        command = c.UpdateSettings(
            user_id=self.parties.user_of(sid).id,
            title=m.title,
            control=ControlMode(s.control) if s.control else None,
            wait_for_buffering=s.wait_for_buffering,
            max_members=s.max_members,
            cameras=s.cameras,
            public=s.public,
        )
        party = await self.parties.command(sid, m.party, command)
        return {"ok": True, "party": self._party(party)}

    async def end(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.PartyRef, data)
        await self.parties.command(sid, m.party, c.End(self.parties.user_of(sid).id))
        return dict(OK)

    async def member_role(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.MemberRole, data)
        command = c.SetRole(self.parties.user_of(sid).id, m.user, Role(m.role))
        party = await self.parties.command(sid, m.party, command)
        return {"ok": True, "member": outbound.member_out(party.members[m.user])}

    def _joined(self, joined: Joined) -> Answer:
        party = joined.party
        members = list(party.members.values())
        if party.is_live_room:
            members = [m for m in members if m.role is not Role.MEMBER or m.staff][:LIVE_ROOM_MEMBER_LIST]
        return {
            "ok": True,
            "party": self._party(party),
            "you": outbound.member_out(joined.you),
            "members": [outbound.member_out(m) for m in members],
            "playback": outbound.playback_out(party.id, party.playback),
            "messages": [outbound.message_out(x) for x in joined.messages],
            "has_more": joined.has_more,
            "server_time": joined.server_time_ms,
            "rules": outbound.rules_out(party.settings.chat),
        }
