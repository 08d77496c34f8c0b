"""Webhooks: the outbox and delivery log (``WebhookStore``), the HTTP client that
posts deliveries (``WebhookSender``), what the services call when something a
platform hears about happens (``WebhookEvents``), and the metrics (``WebhookObserver``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from socialsync.domain.model import Party
from socialsync.domain.party.machine import Transition
from socialsync.domain.webhooks import (
    Attempt,
    AttemptRecord,
    Claimed,
    ClaimRequest,
    Delivery,
    Endpoint,
    EventDraft,
    NewDelivery,
    OutboxEvent,
    PartyActivity,
)

T = TypeVar("T")

# What a store call that commits a change takes to write that change's events in the
# same transaction: called with what was stored (ids assigned), inside the transaction.
Outbox = Callable[[T], Sequence[OutboxEvent]]


class WebhookStore(Protocol):
    """Endpoints, the outbox of events, their deliveries and each attempt, shared by
    every node (SQL) or by this process (memory). Everything but the outbox's own
    order is keyed by tenant: a call with one tenant's id never sees another's rows.

    Guarantees:

    - ``add_events`` is durable when it returns, all or none; an event whose
      ``dedupe_key`` is already stored is skipped (returns how many were added).
      A change's store (moderation, clips) writes its events in its own transaction
      through ``Outbox`` callbacks: the event exists if and only if the change does.
    - ``unfanned`` returns events not yet fanned out, oldest first; ``fan_out`` adds
      the deliveries (one per event and endpoint: a repeat is ignored, a delivery
      to an endpoint deleted or disabled meanwhile is dropped) and marks the events
      fanned out, in one transaction.
    - ``claim``: of the pending deliveries due by ``now_ms`` to enabled endpoints,
      not claimed or whose claim lapsed, up to ``limit``, each claimed by exactly one
      caller at a time (concurrent claimers on any node get disjoint sets) until
      ``now_ms + ttl_ms``.
    - ``finish`` records attempts: each only if its claim still holds (a worker whose
      claim lapsed and was taken over records nothing), together with the delivery's
      new state and its endpoint's (failing since, disabled), in one transaction.
    - Secrets are stored sealed where the store can (SQL: the tenant secrets' box).
    """

    # --- endpoints ---------------------------------------------------------------
    async def add_endpoint(self, endpoint: Endpoint, secret: str) -> None: ...

    async def endpoint(self, tenant_id: str, endpoint_id: str) -> Endpoint | None: ...

    async def endpoints(self, tenant_id: str) -> list[Endpoint]:
        """The tenant's endpoints, oldest first."""
        ...

    async def count_endpoints(self, tenant_id: str) -> int: ...

    async def listening(self, tenant_id: str) -> bool:
        """Whether the tenant has an enabled endpoint."""
        ...

    async def update_endpoint(self, endpoint: Endpoint) -> bool:
        """Replace the endpoint's settings (url, description, filter, enabled and why
        not, failing since); False if it is gone."""
        ...

    async def delete_endpoint(self, tenant_id: str, endpoint_id: str) -> bool:
        """With its deliveries and their attempts."""
        ...

    async def rotate_secret(
        self, tenant_id: str, endpoint_id: str, secret: str, until_ms: int, now_ms: int
    ) -> bool:
        """``secret`` signs from now on; the current one too until ``until_ms``."""
        ...

    async def secrets(self, tenant_id: str, endpoint_id: str, now_ms: int) -> tuple[str, ...]:
        """The secrets that sign now, the current one first (empty: no such endpoint)."""
        ...

    # --- outbox -------------------------------------------------------------------
    async def add_events(
        self, events: Sequence[OutboxEvent], reactions: Mapping[str, int] | None = None
    ) -> int:
        """Write the events, and add ``reactions`` to each party's count, in one transaction."""
        ...

    async def unfanned(self, limit: int) -> list[OutboxEvent]: ...

    async def enabled_endpoints(self, tenant_ids: Sequence[str]) -> list[Endpoint]: ...

    async def fan_out(
        self, event_ids: Sequence[int], deliveries: Sequence[NewDelivery], claim: ClaimRequest | None = None
    ) -> list[Claimed]:
        """With ``claim``: the first ``claim.limit`` of the new deliveries are claimed as
        they are made, and returned as ``claim`` would (one transaction fewer)."""
        ...

    async def add_direct(self, event: OutboxEvent, delivery: NewDelivery) -> Delivery:
        """An event for one endpoint only (a test ping), fanned out as it is written."""
        ...

    async def party_activity(self, party_id: str) -> PartyActivity: ...

    # --- deliveries ----------------------------------------------------------------
    async def claim(self, now_ms: int, limit: int, ttl_ms: int, claim: str) -> list[Claimed]: ...

    async def finish(self, records: Sequence[AttemptRecord]) -> None: ...

    async def deliveries(
        self, tenant_id: str, endpoint_id: str | None, before_seq: int | None, limit: int
    ) -> list[Delivery]:
        """Newest first."""
        ...

    async def delivery(self, tenant_id: str, delivery_id: str) -> Delivery | None: ...

    async def attempts(self, tenant_id: str, delivery_id: str) -> list[Attempt]:
        """Oldest first."""
        ...

    async def redeliver(self, tenant_id: str, delivery_id: str, now_ms: int) -> Delivery | None:
        """Due now again (pending), its attempts kept: a failed delivery gets one more
        attempt, a pending one goes on with its schedule."""
        ...

    async def erase_user(self, tenant_id: str, user_id: str, pseudonym: str) -> int:
        """Rewrite the tenant's stored event bodies that name the user (their id, and
        their names beside it) with ``pseudonym`` in their place
        (``domain.webhooks.pseudonymised_body``); how many bodies changed."""
        ...

    async def prune(self, before_ms: int) -> int:
        """Forget events fanned out before ``before_ms`` whose deliveries are all over,
        with those deliveries and their attempts; how many events went."""
        ...


@dataclass(frozen=True, slots=True)
class SendResult:
    status: int | None  # None: no HTTP answer (refused, timed out, a private address)
    elapsed_ms: int
    error: str | None = None


class WebhookSender(Protocol):
    """Posts one delivery: no redirects followed, a bounded time, private addresses
    refused unless the server allows them (checked on the resolved address). Never raises."""

    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> SendResult: ...


class WebhookEvents(Protocol):
    """What the services call when something a platform may hear about happens.

    - ``party_changed``: after a party transition is committed to the party store
      and before it is published; returns once its events are in the outbox (or,
      with the database slow, after a bounded wait with them still queued).
    - ``outbox_for``: for a change committed to SQL, a callback its store calls
      inside that transaction (None when the tenant has no enabled endpoint).
    - ``reacted``: reactions flushed to a party, counted for its summary (best effort).
    """

    async def party_changed(self, before: Party | None, transition: Transition) -> None: ...

    async def outbox_for(
        self, tenant_id: str, build: Callable[[T], Sequence[EventDraft]]
    ) -> Callable[[T], Sequence[OutboxEvent]] | None: ...

    def reacted(self, party_id: str, count: int) -> None: ...


class WebhookObserver(Protocol):
    """The webhooks' metrics. Never fails, never blocks."""

    def webhook_outbox_full(self) -> None:
        """An event waited for room in the outbox's queue (back-pressure)."""
        ...

    def webhook_outbox_late(self) -> None:
        """An event was not written within the wait: it stays queued in memory."""
        ...

    def webhook_delivery(self, outcome: str, seconds: float) -> None:
        """An attempt's outcome ("delivered", "retry", "failed") and its duration."""
        ...

    def webhook_endpoint_disabled(self, reason: str) -> None: ...

    def set_aside(self, what: str) -> None:
        """Events the database refused (``what``: "webhook"), logged and counted."""
        ...
