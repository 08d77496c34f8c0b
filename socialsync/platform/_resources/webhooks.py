"""Webhook endpoints and their deliveries (scope ``webhooks:admin``; docs/webhooks.md)."""

from __future__ import annotations

from collections.abc import Sequence

from socialsync.platform._models import (
    Delivery,
    DeliveryLog,
    NewWebhookSecret,
    Page,
    WebhookEndpoint,
    page_of,
    reader,
)
from socialsync.platform._request import M, Resource, Spec, call, compact, ok, pages

ENDPOINTS = "/api/v1/webhooks/endpoints"
DELIVERIES = "/api/v1/webhooks/deliveries"


class Webhooks(Resource[M]):
    """``client.webhooks``: where the tenant's events go."""

    @call("POST", ENDPOINTS)
    def create(
        self, url: str, *, events: Sequence[str] = (), description: str = ""
    ) -> Spec[NewWebhookSecret]:
        """Add an endpoint; its ``secret`` (``whsec_...``) is in this answer only.
        ``events``: the event types it gets (``party.*`` a family; empty: all)."""
        body = {"url": url, "events": [*events], "description": description}
        return Spec(reader(NewWebhookSecret), body=body)

    @call("GET", ENDPOINTS + "/{endpoint}")
    def get(self, endpoint: str) -> Spec[WebhookEndpoint]:
        return Spec(reader(WebhookEndpoint, "endpoint"), path={"endpoint": endpoint})

    @call("PATCH", ENDPOINTS + "/{endpoint}", idempotent=True)
    def update(
        self,
        endpoint: str,
        *,
        url: str | None = None,
        events: Sequence[str] | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> Spec[WebhookEndpoint]:
        """Change an endpoint (what is left out stays); ``enabled=True`` turns it back on."""
        body = compact(
            url=url, events=None if events is None else [*events], description=description, enabled=enabled
        )
        return Spec(reader(WebhookEndpoint, "endpoint"), path={"endpoint": endpoint}, body=body)

    @call("DELETE", ENDPOINTS + "/{endpoint}")
    def delete(self, endpoint: str) -> Spec[None]:
        """Delete an endpoint with its deliveries."""
        return Spec(ok, path={"endpoint": endpoint})

    @call("POST", ENDPOINTS + "/{endpoint}/rotate")
    def rotate(self, endpoint: str) -> Spec[NewWebhookSecret]:
        """A new secret (in this answer only); the old one signs beside it for 24 h."""
        return Spec(reader(NewWebhookSecret), path={"endpoint": endpoint})

    @call("POST", ENDPOINTS + "/{endpoint}/test")
    def test(self, endpoint: str) -> Spec[Delivery]:
        """Send a ``webhook.test`` event to this endpoint."""
        return Spec(reader(Delivery, "delivery"), path={"endpoint": endpoint})

    @call("GET", ENDPOINTS)
    def list(self, *, limit: int | None = None, cursor: str | None = None) -> Spec[Page[WebhookEndpoint]]:
        """One page of the tenant's endpoints, oldest first."""
        return Spec(page_of(WebhookEndpoint), query={"limit": limit, "cursor": cursor})

    iter = pages(list)


class Deliveries(Resource[M]):
    """``client.deliveries``: the delivery log, and redelivery."""

    @call("GET", DELIVERIES + "/{delivery}")
    def get(self, delivery: str) -> Spec[DeliveryLog]:
        """A delivery (by its ``webhook-id``) and each of its attempts."""
        return Spec(reader(DeliveryLog), path={"delivery": delivery})

    @call("POST", DELIVERIES + "/{delivery}/redeliver")
    def redeliver(self, delivery: str) -> Spec[Delivery]:
        """Send a delivery again now, with the same ``webhook-id``."""
        return Spec(reader(Delivery, "delivery"), path={"delivery": delivery})

    @call("GET", DELIVERIES)
    def list(
        self, *, endpoint: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> Spec[Page[Delivery]]:
        """One page of the delivery log, newest first (of one endpoint with ``endpoint``)."""
        return Spec(page_of(Delivery), query={"endpoint": endpoint, "limit": limit, "cursor": cursor})

    iter = pages(list)
