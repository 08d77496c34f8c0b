"""REST: personal data, for the tenant's admins (the platform's backend): a user's
export (GDPR Art. 15/20) and erasure (Art. 17), the tenant's retention, a party's
consent records, and keeping a clip beyond retention (docs/privacy.md)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field
from pydantic.json_schema import SkipJsonSchema
from typing_extensions import TypedDict

from socialsync.domain.access import Scope
from socialsync.domain.privacy import Consent
from socialsync.edge.http.endpoint import AnyEndpoint, Body, Call, Endpoint, Nothing, Ok, Reply
from socialsync.edge.http.pagination import Page, PageQuery, page_answer, paginate
from socialsync.edge.http.params import ClipPath, PartyPath, UserPath
from socialsync.services.privacy import PrivacyService, require_admin

TAG = "privacy"
Days = Annotated[int, Field(ge=0, le=36_500)]
# Left out: unchanged (a null is refused, as the document says: it lists no null).
Unset = SkipJsonSchema[None]


class Retention(TypedDict):
    """Days each kind of data is kept (0: not beyond its use)."""

    chat_days: int
    deleted_text_days: int
    audit_days: int
    ended_parties_days: int
    clips_days: int
    reports_days: int
    analytics_events_days: int
    analytics_aggregates_days: int
    feedback_days: int


class RetentionAnswer(TypedDict):
    ok: Literal[True]
    retention: Retention


class RetentionPatch(Body):
    """The fields to change; the others keep their value."""

    chat_days: Days | Unset = None
    deleted_text_days: Days | Unset = None
    audit_days: Days | Unset = None
    ended_parties_days: Days | Unset = None
    clips_days: Days | Unset = None
    reports_days: Days | Unset = None
    analytics_events_days: Days | Unset = None
    analytics_aggregates_days: Days | Unset = None
    feedback_days: Days | Unset = None


class Erased(TypedDict):
    ok: Literal[True]
    pseudonym: str
    counts: dict[str, int]


class ConsentRecord(TypedDict):
    tenant_id: str
    party_id: str
    user_id: str
    kind: Literal["camera", "recording"]
    ts_ms: int
    details: dict[str, Any]


class PrivacyRoutes:
    def __init__(self, privacy: PrivacyService) -> None:
        self.privacy = privacy

    def endpoints(self) -> list[AnyEndpoint]:
        admin = Scope.USERS_ADMIN
        return [
            Endpoint(
                method="GET",
                path="/api/v1/users/{user}/export",
                handler=self.export,
                summary="Everything kept about a user of the tenant (GDPR Art. 15/20)",
                description="One JSON document, as an attachment (sections: docs/privacy.md). Admins.",
                tag=TAG,
                scope=admin,
                path_params=UserPath,
                response=dict[str, Any],
            ),
            Endpoint(
                method="POST",
                path="/api/v1/users/{user}/erase",
                handler=self.erase,
                summary="Erase a user of the tenant (GDPR Art. 17)",
                description="What erasure does: docs/privacy.md. Admins.",
                tag=TAG,
                scope=admin,
                path_params=UserPath,
                response=Erased,
            ),
            Endpoint(
                method="GET",
                path="/api/v1/retention",
                handler=self.get_retention,
                summary="The tenant's retention",
                tag=TAG,
                scope=admin,
                response=RetentionAnswer,
            ),
            Endpoint(
                method="PUT",
                path="/api/v1/retention",
                handler=self.put_retention,
                summary="Change the tenant's retention",
                description="Days 0..36500 per kind of data; the fields left out keep their value. Admins.",
                tag=TAG,
                scope=admin,
                body=RetentionPatch,
                example={"chat_days": 90},
                response=RetentionAnswer,
            ),
            Endpoint(
                method="GET",
                path="/api/v1/parties/{party}/consents",
                handler=self.consents,
                summary="Who consented to a camera or a recording in a party, when",
                description="The tenant's moderators and admins.",
                tag=TAG,
                scope=admin,
                path_params=PartyPath,
                query=PageQuery,
                response=Page[ConsentRecord],
            ),
            Endpoint(
                method="POST",
                path="/api/v1/clips/{clip}/keep",
                handler=self.keep_clip,
                summary="Keep a clip beyond the retention of clips",
                description="The tenant's moderators and admins.",
                tag=TAG,
                scope=Scope.MODERATION_WRITE,
                path_params=ClipPath,
                response=Ok,
            ),
        ]

    async def export(self, call: Call[UserPath]) -> Reply:
        admin = call.caller.user
        require_admin(admin)
        archive = await self.privacy.export(admin.tenant_id, call.path.user)
        return web.Response(
            body=json.dumps(archive, ensure_ascii=False, default=str).encode(),
            content_type="application/json",
            headers={
                "Content-Disposition": 'attachment; filename="user-export.json"',
                "Cache-Control": "no-store",
            },
        )

    async def erase(self, call: Call[UserPath]) -> Reply:
        admin = call.caller.user
        require_admin(admin)
        done = await self.privacy.erase(admin.tenant_id, call.path.user)
        return {"ok": True, **done}

    async def get_retention(self, call: Call[Nothing]) -> Reply:
        admin = call.caller.user
        require_admin(admin)
        policy = await self.privacy.retention(admin.tenant_id)
        return {"ok": True, "retention": policy.to_data()}

    async def put_retention(self, call: Call[Nothing, Nothing, RetentionPatch]) -> Reply:
        admin = call.caller.user
        require_admin(admin)
        changes = call.body.model_dump(exclude_unset=True)
        policy = await self.privacy.set_retention(admin.tenant_id, changes)
        return {"ok": True, "retention": policy.to_data()}

    async def consents(self, call: Call[PartyPath, PageQuery]) -> Reply:
        records = await self.privacy.consents(call.caller.user, call.path.party)
        page, cursor = paginate(records, _consent_order, call.query)
        return page_answer([asdict(c) for c in page], cursor)

    async def keep_clip(self, call: Call[ClipPath]) -> Reply:
        await self.privacy.keep_clip(call.caller.user, call.path.clip)
        return {"ok": True}


def _consent_order(c: Consent) -> tuple[int, str, str]:
    # In time; a user may consent to a camera and a recording in the same millisecond.
    return (c.ts_ms, c.user_id, c.kind)
