"""REST: a party's members (list, kick)."""

from __future__ import annotations

from socialsync.domain.access import Scope
from socialsync.domain.model import Member
from socialsync.edge.http.endpoint import AnyEndpoint, Body, Call, Endpoint, Nothing, Ok, Reply
from socialsync.edge.http.pagination import Page, PageQuery, page_answer, paginate
from socialsync.edge.http.params import MemberPath, PartyPath
from socialsync.ports import Clock
from socialsync.protocol import inbound, outbound, shapes
from socialsync.services.moderation import ModerationService
from socialsync.services.parties import PartyService

TAG = "members"


class KickBody(Body):
    """Optional: why (kept in the audit log)."""

    reason: inbound.Reason | None = None


def _order(member: Member) -> tuple[int, str]:
    return (member.joined_at_ms, member.user_id)


class MemberRoutes:
    def __init__(self, parties: PartyService, moderation: ModerationService, clock: Clock) -> None:
        self.parties = parties
        self.moderation = moderation
        self.clock = clock

    def endpoints(self) -> list[AnyEndpoint]:
        return [
            Endpoint(
                method="GET",
                path="/api/v1/parties/{party}/members",
                handler=self.list,
                summary="A party's members, in the order they joined",
                description="The tenant's staff see everyone; a member sees what its join showed "
                "(in a live room, its hosts and staff only); anybody else is refused.",
                tag=TAG,
                scope=Scope.PARTIES_WRITE,
                path_params=PartyPath,
                query=PageQuery,
                response=Page[shapes.Member],
            ),
            Endpoint(
                method="POST",
                path="/api/v1/parties/{party}/members/{user}/kick",
                handler=self.kick,
                summary="Remove a member from a party now",
                description="Its sockets on every node leave the party (`party.kicked`, reason "
                "`kicked`); it may join again (a ban is what keeps it out). The tenant's "
                "staff, or the party's host while joined. In the audit log.",
                tag=TAG,
                scope=Scope.PARTIES_WRITE,
                path_params=MemberPath,
                body=KickBody,
                example={"reason": "spam"},
                response=Ok,
            ),
        ]

    async def list(self, call: Call[PartyPath, PageQuery]) -> Reply:
        members = await self.parties.member_list(call.caller.user, call.path.party)
        page, cursor = paginate(members, _order, call.query)
        return page_answer([outbound.member_out(m) for m in page], cursor)

    async def kick(self, call: Call[MemberPath, Nothing, KickBody]) -> Reply:
        await self.moderation.kick(
            call.caller.user, call.path.party, call.path.user, call.body.reason, self.clock.now_ms()
        )
        return {"ok": True}
