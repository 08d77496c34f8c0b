"""REST: the tenant's own policy, for its admins: who may frame its pages (CSP
frame-ancestors), its abuse limits over the server's (docs/privacy.md), its
engagement switches (docs/engagement.md) and its chat hook (docs/chat-hook.md)."""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema
from typing_extensions import TypedDict

from socialsync.domain.access import Scope
from socialsync.domain.chat_hook import MAX_TIMEOUT_MS, MIN_TIMEOUT_MS
from socialsync.domain.tenant import MAX_EMBEDDERS
from socialsync.domain.webhooks import MAX_URL
from socialsync.edge.http.endpoint import AnyEndpoint, Body, Call, Endpoint, Nothing, Reply
from socialsync.services.tenants import TenantPolicies

TAG = "tenant"
Limit = Annotated[int, Field(ge=0, le=100_000)] | None
Origin = Annotated[str, Field(min_length=1, max_length=256)]


class Limits(TypedDict):
    parties_per_hour: int | None
    cameras_per_user: int | None
    guests_per_address_per_hour: int | None


class EffectiveLimits(TypedDict):
    parties_per_hour: int
    cameras_per_user: int
    guests_per_address_per_hour: int


class Engagement(TypedDict):
    """Badges shown beside names, and the end-of-party feedback prompt (docs/engagement.md)."""

    badges: bool
    feedback: Literal["off", "csat", "nps"]


class ChatHook(TypedDict):
    """The synchronous chat hook (docs/chat-hook.md): each message others would see goes
    to ``url`` first, which answers within ``timeout_ms``; on a timeout or an error the
    message is allowed or held (``on_timeout``). ``secret`` (``whsec_...``) signs the
    requests: in the answer that made the hook or rotated its secret only."""

    url: str
    timeout_ms: int
    on_timeout: Literal["allow", "hold"]
    enabled: bool
    previous_secret_until: int | None
    created_at: int
    updated_at: int
    secret: NotRequired[str]


class TenantSettings(TypedDict):
    """``frame_ancestors``: the origins that may frame the tenant's pages (null: the
    server's); ``limits``: its own (null: the server's); ``effective_limits``: in force;
    ``engagement``: its badges and feedback switches (off unless turned on);
    ``chat_hook``: its chat hook (null: none)."""

    frame_ancestors: list[str] | None
    limits: Limits
    effective_limits: EffectiveLimits
    engagement: Engagement
    chat_hook: ChatHook | None


class SettingsAnswer(TypedDict):
    ok: Literal[True]
    settings: TenantSettings


class LimitsPatch(Body):
    """A limit's null: back to the server's."""

    parties_per_hour: Limit = None
    cameras_per_user: Limit = None
    guests_per_address_per_hour: Limit = None


class EngagementPatch(Body):
    """A field left out keeps its value."""

    badges: bool | SkipJsonSchema[None] = None
    feedback: Literal["off", "csat", "nps"] | SkipJsonSchema[None] = None


class ChatHookPatch(Body):
    """A field left out keeps its value; a new hook needs ``url`` and gets a secret (in
    the answer only). ``rotate_secret: true``: a new secret, the old one signs beside it
    for 24 h."""

    url: Annotated[str, Field(min_length=1, max_length=MAX_URL)] | SkipJsonSchema[None] = None
    timeout_ms: Annotated[int, Field(ge=MIN_TIMEOUT_MS, le=MAX_TIMEOUT_MS)] | SkipJsonSchema[None] = None
    on_timeout: Literal["allow", "hold"] | SkipJsonSchema[None] = None
    enabled: bool | SkipJsonSchema[None] = None
    rotate_secret: bool | SkipJsonSchema[None] = None


class TenantSettingsPatch(Body):
    """At least one field; ``frame_ancestors: null`` goes back to the server's;
    ``chat_hook: null`` removes the hook."""

    frame_ancestors: Annotated[list[Origin], Field(max_length=MAX_EMBEDDERS)] | None = None
    limits: LimitsPatch | SkipJsonSchema[None] = None
    engagement: EngagementPatch | SkipJsonSchema[None] = None
    chat_hook: ChatHookPatch | None = None


class TenantRoutes:
    def __init__(self, policies: TenantPolicies) -> None:
        self.policies = policies

    def endpoints(self) -> list[AnyEndpoint]:
        return [
            Endpoint(
                method="GET",
                path="/api/v1/tenant/settings",
                handler=self.get_settings,
                summary="The tenant's embedders and own limits",
                description="Admins.",
                tag=TAG,
                scope=Scope.WEBHOOKS_ADMIN,
                response=SettingsAnswer,
            ),
            Endpoint(
                method="PUT",
                path="/api/v1/tenant/settings",
                handler=self.put_settings,
                summary="Change the tenant's embedders, own limits, engagement or chat hook",
                description="Fields left out keep their value. A new chat hook's secret, or a"
                " rotated one, is in this answer only (settings.chat_hook.secret). Admins.",
                tag=TAG,
                scope=Scope.WEBHOOKS_ADMIN,
                body=TenantSettingsPatch,
                example={"frame_ancestors": ["https://tv.example"], "limits": {"cameras_per_user": 4}},
                response=SettingsAnswer,
            ),
        ]

    async def get_settings(self, call: Call[Nothing]) -> Reply:
        policy = await self.policies.get(call.caller.user)
        return {"ok": True, "settings": policy.to_data(self.policies.defaults)}

    async def put_settings(self, call: Call[Nothing, Nothing, TenantSettingsPatch]) -> Reply:
        changes = call.body.model_dump(exclude_unset=True)
        policy = await self.policies.update(call.caller.user, changes)
        return {"ok": True, "settings": policy.to_data(self.policies.defaults)}
