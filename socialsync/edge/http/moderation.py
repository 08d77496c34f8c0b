"""REST: moderation, as the panel's socket events do it (services/moderation.py): the
tenant's blocked and allowed terms, bans and timeouts, a room's review queue, the audit
log. An API key acts as a staff user named after it: the audit log names the key
(``actor.id`` ``key:<key id>``, ``actor.name`` the key's name)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field
from typing_extensions import TypedDict

from socialsync.domain.access import Scope
from socialsync.domain.errors import bad_request
from socialsync.domain.model import MAX_ROOM_TERMS
from socialsync.domain.moderation.sanctions import Sanction, SanctionKind
from socialsync.edge.http.endpoint import (
    AnyEndpoint,
    Body,
    Call,
    Endpoint,
    Nothing,
    Ok,
    PathParams,
    QueryParams,
    Reply,
)
from socialsync.edge.http.pagination import (
    Page,
    PageQuery,
    decode_cursor,
    encode_cursor,
    page_answer,
    paginate,
)
from socialsync.edge.http.params import PartyPath, UserId
from socialsync.ports import Clock
from socialsync.ports.moderation_store import AuditFilter
from socialsync.protocol import inbound, outbound, shapes
from socialsync.services.moderation import ModerationService

TAG = "moderation"
SanctionKindName = Literal["ban", "timeout", "shadow_mute"]
Ms = Annotated[int, Field(ge=0, le=inbound.MAX_SAFE_INT)]
Terms = Annotated[list[inbound.Term], Field(max_length=MAX_ROOM_TERMS)]


class TermsAnswer(TypedDict):
    """The tenant's terms, beside each room's own (docs/moderation.md): blocked terms
    (`*` wildcards) hold or refuse a message; allowed terms are never blocked."""

    ok: Literal[True]
    blocked_terms: list[str]
    allowed_terms: list[str]


class TermsBody(Body):
    """Either list replaces the tenant's (case-folded, one of each); left out: unchanged."""

    blocked_terms: Terms | None = None
    allowed_terms: Terms | None = None


class SanctionInfo(TypedDict):
    """A sanction in force. `party` null: every room of the tenant; `until` (ms) null:
    until lifted."""

    id: int
    kind: SanctionKindName
    user: str
    party: str | None
    until: int | None
    reason: str | None
    by: str
    created_at: int


class SanctionAnswer(TypedDict):
    ok: Literal[True]
    sanction: SanctionInfo


class SanctionQuery(PageQuery):
    kind: SanctionKindName | None = None
    user: UserId | None = None
    party: inbound.PartyId | None = None


class SanctionBody(Body):
    """`party` given: that room (its moderators, or its host while joined); left out: every
    room of the tenant (its staff). A timeout lasts 1 to 86 400 s; a ban or shadow mute
    without `seconds` lasts until lifted."""

    user: UserId
    kind: SanctionKindName
    party: inbound.PartyId | None = None
    seconds: Annotated[int, Field(ge=1, le=31_536_000)] | None = None
    reason: inbound.Reason | None = None


class SanctionPath(PathParams):
    sanction: Annotated[int, Field(ge=1, le=inbound.MAX_SAFE_INT)]


class ReasonQuery(QueryParams):
    reason: Annotated[inbound.Reason | None, Field(description="Why (kept in the audit log).")] = None


class HeldInfo(TypedDict):
    """A message waiting for review: held by the filter (`source: filter`) or taken down by
    reports (`source: reports`, `message`: the delivered message's id)."""

    party: str
    id: int
    user: shapes.UserRef
    text: str
    ts: int
    reasons: list[str]
    source: str
    message: int | None


class HeldPath(PathParams):
    party: inbound.PartyId
    held: Annotated[int, Field(ge=1, le=inbound.MAX_SAFE_INT)]


class ReviewBody(Body):
    reason: inbound.Reason | None = None


class AuditInfo(TypedDict):
    """An entry of the audit log: who (`actor`: a user, an API key `key:<id>`, or `reports`)
    did what (`action`) to whom, when (`ts`, ms)."""

    id: int
    party: str | None
    actor: shapes.UserRef
    action: str
    target_user: str | None
    target_message: int | None
    reason: str | None
    details: dict[str, Any]
    ts: int


class AuditQuery(PageQuery):
    """Newest first; every filter given must match."""

    party: inbound.PartyId | None = None
    actor: Annotated[str, Field(min_length=1, max_length=140)] | None = None
    action: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z_]+$")] | None = None
    since: Annotated[Ms | None, Field(description="Entries at or after this server time, ms.")] = None
    until: Annotated[Ms | None, Field(description="Entries before this server time, ms.")] = None


def sanction_out(s: Sanction) -> dict[str, Any]:
    return {
        "id": s.id,
        "kind": s.kind.value,
        "user": s.user_id,
        "party": s.party_id,
        "until": s.until_ms,
        "reason": s.reason,
        "by": s.by_user,
        "created_at": s.created_at_ms,
    }


class ModerationRoutes:
    def __init__(self, moderation: ModerationService, clock: Clock) -> None:
        self.moderation = moderation
        self.clock = clock

    def endpoints(self) -> list[AnyEndpoint]:
        def declare(method: Any, path: str, handler: Any, summary: str, **more: Any) -> AnyEndpoint:
            return Endpoint(
                method=method,
                path=path,
                handler=handler,
                summary=summary,
                tag=TAG,
                scope=Scope.MODERATION_WRITE,
                **more,
            )

        terms = "/api/v1/moderation/terms"
        sanctions = "/api/v1/moderation/sanctions"
        held = "/api/v1/parties/{party}/held"
        staff = "The tenant's moderators and admins."
        hosts = "The tenant's staff, or the party's host while joined."
        return [
            declare(
                "GET",
                terms,
                self.terms,
                "The tenant's blocked and allowed terms",
                description=staff,
                response=TermsAnswer,
            ),
            declare(
                "PUT",
                terms,
                self.set_terms,
                "Replace the tenant's blocked or allowed terms",
                description=f"{staff} In the audit log (`tenant_terms`).",
                body=TermsBody,
                example={"blocked_terms": ["spoiler*"], "allowed_terms": ["scunthorpe"]},
                response=TermsAnswer,
            ),
            declare(
                "GET",
                sanctions,
                self.sanctions,
                "The tenant's bans, timeouts and shadow mutes in force",
                description=f"{staff} By id.",
                query=SanctionQuery,
                response=Page[SanctionInfo],
            ),
            declare(
                "POST",
                sanctions,
                self.sanction,
                "Ban, time out or shadow-mute a user",
                description="As `mod.ban`, `mod.timeout`, `mod.shadow_mute`: a ban removes the "
                f"user from the room (or every room) at once. {hosts} for a room; staff for the "
                "whole tenant. In the audit log.",
                body=SanctionBody,
                example={"user": "viewer-42", "kind": "ban", "seconds": 3600, "reason": "spam"},
                response=SanctionAnswer,
                status=201,
                errors=(404,),  # the room named
            ),
            declare(
                "DELETE",
                sanctions + "/{sanction}",
                self.lift,
                "Lift a sanction",
                description=f"As `mod.unban`: the user's sanctions of that kind in that scope "
                f"end. {hosts} for a room's; staff for a tenant-wide one. In the audit log.",
                path_params=SanctionPath,
                query=ReasonQuery,
                response=Ok,
                errors=(413,),  # a reason over its size
            ),
            declare(
                "GET",
                held,
                self.held,
                "A room's review queue, oldest first",
                description=hosts,
                path_params=PartyPath,
                query=PageQuery,
                response=Page[HeldInfo],
            ),
            declare(
                "POST",
                held + "/{held}/approve",
                self.approve,
                "Approve a held message",
                description=f"It is delivered to the room (with its original time). {hosts} "
                "A message already decided: `conflict`. In the audit log.",
                path_params=HeldPath,
                body=ReviewBody,
                response=Ok,
                errors=(409,),
            ),
            declare(
                "POST",
                held + "/{held}/reject",
                self.reject,
                "Reject a held message",
                description=f"Nobody sees it. {hosts} A message already decided: `conflict`. "
                "In the audit log.",
                path_params=HeldPath,
                body=ReviewBody,
                response=Ok,
                errors=(409,),
            ),
            declare(
                "GET",
                "/api/v1/moderation/audit",
                self.audit,
                "The tenant's audit log, newest first",
                description=f"{staff} With `party`: that room's ({hosts.lower()}).",
                query=AuditQuery,
                response=Page[AuditInfo],
                errors=(404,),  # the room named
            ),
        ]

    async def terms(self, call: Call[Nothing]) -> Reply:
        blocked, allowed = await self.moderation.set_tenant_terms(
            call.caller.user, None, None, self.clock.now_ms()
        )
        return {"ok": True, "blocked_terms": list(blocked), "allowed_terms": list(allowed)}

    async def set_terms(self, call: Call[Nothing, Nothing, TermsBody]) -> Reply:
        blocked, allowed = await self.moderation.set_tenant_terms(
            call.caller.user,
            inbound.normalised_terms(call.body.blocked_terms),
            inbound.normalised_terms(call.body.allowed_terms),
            self.clock.now_ms(),
        )
        return {"ok": True, "blocked_terms": list(blocked), "allowed_terms": list(allowed)}

    async def sanctions(self, call: Call[Nothing, SanctionQuery]) -> Reply:
        q = call.query
        found = [
            s
            for s in await self.moderation.sanctions_in_force(call.caller.user, self.clock.now_ms())
            if (q.kind is None or s.kind.value == q.kind)
            and (q.user is None or s.user_id == q.user)
            and (q.party is None or s.party_id == q.party)
        ]
        page, cursor = paginate(found, lambda s: (s.id,), q)
        return page_answer([sanction_out(s) for s in page], cursor)

    async def sanction(self, call: Call[Nothing, Nothing, SanctionBody]) -> Reply:
        m = call.body
        placed = await self.moderation.sanction(
            call.caller.user,
            m.party,
            m.user,
            SanctionKind(m.kind),
            m.seconds,
            m.reason,
            self.clock.now_ms(),
            tenant_wide=m.party is None,
        )
        return {"ok": True, "sanction": sanction_out(placed)}

    async def lift(self, call: Call[SanctionPath, ReasonQuery]) -> Reply:
        await self.moderation.lift_sanction(
            call.caller.user, call.path.sanction, call.query.reason, self.clock.now_ms()
        )
        return {"ok": True}

    async def held(self, call: Call[PartyPath, PageQuery]) -> Reply:
        queue = await self.moderation.held_messages(call.caller.user, call.path.party)
        page, cursor = paginate(queue, lambda h: (h.id,), call.query)
        return page_answer([outbound.held_out(h) for h in page], cursor)

    async def approve(self, call: Call[HeldPath, Nothing, ReviewBody]) -> Reply:
        return await self._review(call, "approved")

    async def reject(self, call: Call[HeldPath, Nothing, ReviewBody]) -> Reply:
        return await self._review(call, "rejected")

    async def _review(self, call: Call[HeldPath, Nothing, ReviewBody], decision: str) -> Reply:
        p = call.path
        await self.moderation.review(
            call.caller.user, p.party, p.held, decision, call.body.reason, self.clock.now_ms()
        )
        return {"ok": True}

    async def audit(self, call: Call[Nothing, AuditQuery]) -> Reply:
        q = call.query
        before = None
        if q.cursor is not None:
            key = decode_cursor(q.cursor)
            if len(key) != 1 or not isinstance(key[0], int):
                raise bad_request("cursor: not a cursor of this list")
            before = key[0]
        filters = AuditFilter(actor_id=q.actor, action=q.action, since_ms=q.since, until_ms=q.until)
        found = await self.moderation.audit_entries(
            call.caller.user, q.party, before, q.limit + 1, filters=filters
        )
        page = found[: q.limit]
        cursor = encode_cursor((page[-1].id,)) if len(found) > q.limit and page else None
        return page_answer([outbound.audit_out(e) for e in page], cursor)
