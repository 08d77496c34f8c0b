"""REST: a tenant's webhook endpoints (create, list, get, change, delete, rotate the
secret, ping), the delivery log and redelivery. Scope ``webhooks:admin``, or a tenant
admin's token (docs/webhooks.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import Field
from typing_extensions import TypedDict

from socialsync.domain.access import Scope
from socialsync.domain.webhooks import (
    EVENT_TYPES,
    MAX_DESCRIPTION,
    MAX_URL,
    Attempt,
    Delivery,
)
from socialsync.domain.webhooks import (
    Endpoint as WebhookEndpoint,
)
from socialsync.edge.http.endpoint import AnyEndpoint, Body, Call, Endpoint, Nothing, Ok, PathParams, Reply
from socialsync.edge.http.pagination import (
    Page,
    PageQuery,
    decode_cursor,
    encode_cursor,
    page_answer,
    paginate,
)
from socialsync.services.webhooks import WebhookAdmin

TAG = "webhooks"
EventType = Literal[
    "party.created",
    "party.started",
    "party.ended",
    "party.summary",
    "member.joined",
    "member.left",
    "message.held",
    "message.reported",
    "moderation.action",
    "clip.recorded",
    "clip.removed",
    "poll.ended",
]
EventFamily = Literal["party.*", "member.*", "message.*", "moderation.*", "clip.*", "poll.*"]
assert set(get_args(EventType)) == set(EVENT_TYPES)  # the wire's names are the domain's
Url = Annotated[str, Field(min_length=1, max_length=MAX_URL, description="An http(s) URL that takes POSTs.")]
Events = Annotated[
    list[EventType | EventFamily],
    Field(max_length=32, description="The events it receives ([]: every one; `party.*`: a family)."),
]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION)]
DeliveryId = Annotated[str, Field(pattern=r"^msg_[a-z2-7]{24}$", description="A delivery's webhook-id.")]
EndpointId = Annotated[str, Field(pattern=r"^ep_[A-Za-z0-9_-]{16}$", description="The endpoint's id.")]


class EndpointCreate(Body):
    url: Url
    events: Events = Field(default_factory=list)
    description: Description = ""


class EndpointPatch(Body):
    """Fields left out keep their value; ``enabled: true`` turns a disabled endpoint back on."""

    url: Url | None = None
    events: Events | None = None
    description: Description | None = None
    enabled: bool | None = None


class EndpointPath(PathParams):
    endpoint: EndpointId


class DeliveryPath(PathParams):
    delivery: DeliveryId


class DeliveryQuery(PageQuery):
    endpoint: EndpointId | None = None


class EndpointOut(TypedDict):
    id: str
    url: str
    description: str
    events: list[str]
    enabled: bool
    disabled_reason: Literal["gone", "failing", "manual"] | None
    failing_since: int | None
    previous_secret_until: int | None
    created_at: int
    updated_at: int


class EndpointAnswer(TypedDict):
    ok: Literal[True]
    endpoint: EndpointOut


class EndpointWithSecret(TypedDict):
    ok: Literal[True]
    endpoint: EndpointOut
    secret: str  # whsec_...: in this answer only


class DeliveryOut(TypedDict):
    id: str
    endpoint_id: str
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: int | None
    last_status: int | None
    last_response_ms: int | None
    last_error: str | None
    created_at: int
    delivered_at: int | None


class DeliveryAnswer(TypedDict):
    ok: Literal[True]
    delivery: DeliveryOut


class AttemptOut(TypedDict):
    number: int
    at: int
    status: int | None
    response_ms: int
    error: str | None


class DeliveryLog(TypedDict):
    ok: Literal[True]
    delivery: DeliveryOut
    attempts: list[AttemptOut]


def endpoint_out(e: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": e.id,
        "url": e.url,
        "description": e.description,
        "events": list(e.event_types),
        "enabled": e.enabled,
        "disabled_reason": e.disabled_reason,
        "failing_since": e.failing_since_ms,
        "previous_secret_until": e.rotated_until_ms,
        "created_at": e.created_at_ms,
        "updated_at": e.updated_at_ms,
    }


def delivery_out(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "endpoint_id": d.endpoint_id,
        "event_type": d.event_type,
        "status": d.status.value,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_ms,
        "last_status": d.last_status,
        "last_response_ms": d.last_response_ms,
        "last_error": d.last_error,
        "created_at": d.created_at_ms,
        "delivered_at": d.delivered_at_ms,
    }


def attempt_out(a: Attempt) -> dict[str, Any]:
    return {
        "number": a.number,
        "at": a.at_ms,
        "status": a.status,
        "response_ms": a.response_ms,
        "error": a.error,
    }


class WebhookRoutes:
    def __init__(self, admin: WebhookAdmin) -> None:
        self.admin = admin

    def endpoints(self) -> list[AnyEndpoint]:
        scope = Scope.WEBHOOKS_ADMIN
        base = "/api/v1/webhooks/endpoints"
        one = f"{base}/{{endpoint}}"
        deliveries = "/api/v1/webhooks/deliveries"

        def declare(method: Any, path: str, handler: Any, summary: str, **rest: Any) -> AnyEndpoint:
            return Endpoint(
                method=method, path=path, handler=handler, summary=summary, tag=TAG, scope=scope, **rest
            )

        return [
            declare(
                "POST",
                base,
                self.create,
                "Add a webhook endpoint (its secret is in this answer only)",
                body=EndpointCreate,
                response=EndpointWithSecret,
                status=201,
                errors=(409,),
                description="Private and loopback targets are refused unless the server allows them "
                "(docs/webhooks.md, SSRF). At most 20 endpoints per tenant.",
            ),
            declare(
                "GET",
                base,
                self.list,
                "The tenant's webhook endpoints",
                query=PageQuery,
                response=Page[EndpointOut],
            ),
            declare(
                "GET", one, self.get, "A webhook endpoint", path_params=EndpointPath, response=EndpointAnswer
            ),
            declare(
                "PATCH",
                one,
                self.update,
                "Change a webhook endpoint, or turn it back on",
                path_params=EndpointPath,
                body=EndpointPatch,
                response=EndpointAnswer,
            ),
            declare(
                "DELETE",
                one,
                self.delete,
                "Delete a webhook endpoint, with its deliveries",
                path_params=EndpointPath,
                response=Ok,
            ),
            declare(
                "POST",
                f"{one}/rotate",
                self.rotate,
                "A new secret (in this answer only); the old one keeps signing beside it for 24 h",
                path_params=EndpointPath,
                response=EndpointWithSecret,
            ),
            declare(
                "POST",
                f"{one}/test",
                self.ping,
                "Send a `webhook.test` event to this endpoint",
                path_params=EndpointPath,
                response=DeliveryAnswer,
                status=202,
                errors=(409,),
            ),
            declare(
                "GET",
                deliveries,
                self.list_deliveries,
                "The delivery log, newest first (of one endpoint with `endpoint`)",
                query=DeliveryQuery,
                response=Page[DeliveryOut],
                errors=(404,),  # an `endpoint` the tenant has not
            ),
            declare(
                "GET",
                f"{deliveries}/{{delivery}}",
                self.get_delivery,
                "A delivery and each of its attempts",
                path_params=DeliveryPath,
                response=DeliveryLog,
            ),
            declare(
                "POST",
                f"{deliveries}/{{delivery}}/redeliver",
                self.redeliver,
                "Send a delivery again now (the same webhook-id)",
                path_params=DeliveryPath,
                response=DeliveryAnswer,
                status=202,
            ),
        ]

    async def create(self, call: Call[Nothing, Nothing, EndpointCreate]) -> Reply:
        b = call.body
        endpoint, secret = await self.admin.create(call.caller, b.url, b.events, b.description)
        return {"ok": True, "endpoint": endpoint_out(endpoint), "secret": secret}

    async def list(self, call: Call[Nothing, PageQuery]) -> Reply:
        found = await self.admin.endpoints(call.caller)
        page, cursor = paginate(found, lambda e: (e.created_at_ms, e.id), call.query)
        return page_answer([endpoint_out(e) for e in page], cursor)

    async def get(self, call: Call[EndpointPath]) -> Reply:
        return {
            "ok": True,
            "endpoint": endpoint_out(await self.admin.endpoint(call.caller, call.path.endpoint)),
        }

    async def update(self, call: Call[EndpointPath, Nothing, EndpointPatch]) -> Reply:
        b = call.body
        endpoint = await self.admin.update(
            call.caller,
            call.path.endpoint,
            url=b.url,
            event_types=b.events,
            description=b.description,
            enabled=b.enabled,
        )
        return {"ok": True, "endpoint": endpoint_out(endpoint)}

    async def delete(self, call: Call[EndpointPath]) -> Reply:
        await self.admin.delete(call.caller, call.path.endpoint)
        return {"ok": True}

    async def rotate(self, call: Call[EndpointPath]) -> Reply:
        endpoint, secret = await self.admin.rotate(call.caller, call.path.endpoint)
        return {"ok": True, "endpoint": endpoint_out(endpoint), "secret": secret}

    async def ping(self, call: Call[EndpointPath]) -> Reply:
        return {"ok": True, "delivery": delivery_out(await self.admin.ping(call.caller, call.path.endpoint))}

    async def list_deliveries(self, call: Call[Nothing, DeliveryQuery]) -> Reply:
        q = call.query
        before = None
        if q.cursor is not None:
            (last, *_) = decode_cursor(q.cursor)
            if not isinstance(last, int):
                before = -1  # not a cursor of this list: nothing after it
            else:
                before = last
        page, more = await self.admin.deliveries(call.caller, q.endpoint, before, q.limit)
        return page_answer(
            [delivery_out(d) for d in page], encode_cursor((more,)) if more is not None else None
        )

    async def get_delivery(self, call: Call[DeliveryPath]) -> Reply:
        delivery, attempts = await self.admin.delivery(call.caller, call.path.delivery)
        return {
            "ok": True,
            "delivery": delivery_out(delivery),
            "attempts": [attempt_out(a) for a in attempts],
        }

    async def redeliver(self, call: Call[DeliveryPath]) -> Reply:
        return {
            "ok": True,
            "delivery": delivery_out(await self.admin.redeliver(call.caller, call.path.delivery)),
        }
