"""WebhookStore in this process's memory: the single-node double of
adapters/sql/webhooks.py. Every call runs to its end without awaiting, so each is
atomic on the event loop (which is what makes ``claim`` safe for concurrent workers)."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence

from socialsync.adapters.memory.message_store import MemoryMessageStore
from socialsync.domain.webhooks import (
    MEMBER_JOINED,
    MEMBER_LEFT,
    Attempt,
    AttemptRecord,
    Claimed,
    ClaimRequest,
    Delivery,
    DeliveryStatus,
    Endpoint,
    NewDelivery,
    OutboxEvent,
    PartyActivity,
    member_event_of,
    names_in_body,
    pseudonymised_body,
    signing_secrets,
)


@dataclasses.dataclass(slots=True)
class _Secrets:
    current: str
    previous: str | None = None


@dataclasses.dataclass(slots=True)
class _Delivery:
    delivery: Delivery
    event_id: int
    claim: str | None = None
    claimed_until_ms: int | None = None


class MemoryWebhookStore:
    def __init__(self, messages: MemoryMessageStore | None = None) -> None:
        self._messages = messages  # counted in parties' summaries
        self._endpoints: dict[str, Endpoint] = {}
        self._secrets: dict[str, _Secrets] = {}
        self._events: dict[int, OutboxEvent] = {}
        self._fanned: set[int] = set()
        self._keys: set[str] = set()
        self._deliveries: dict[int, _Delivery] = {}  # by seq
        self._by_pair: set[tuple[int, str]] = set()
        self._attempts: dict[int, list[Attempt]] = {}
        self._reactions: dict[str, int] = {}
        self._event_ids = itertools.count(1)
        self._seqs = itertools.count(1)

    # --- endpoints ---------------------------------------------------------------
    async def add_endpoint(self, endpoint: Endpoint, secret: str) -> None:
        self._endpoints[endpoint.id] = endpoint
        self._secrets[endpoint.id] = _Secrets(secret)

    async def endpoint(self, tenant_id: str, endpoint_id: str) -> Endpoint | None:
        found = self._endpoints.get(endpoint_id)
        return found if found is not None and found.tenant_id == tenant_id else None

    async def endpoints(self, tenant_id: str) -> list[Endpoint]:
        mine = [e for e in self._endpoints.values() if e.tenant_id == tenant_id]
        return sorted(mine, key=lambda e: (e.created_at_ms, e.id))

    async def count_endpoints(self, tenant_id: str) -> int:
        return sum(1 for e in self._endpoints.values() if e.tenant_id == tenant_id)

    async def listening(self, tenant_id: str) -> bool:
        return any(e.tenant_id == tenant_id and e.enabled for e in self._endpoints.values())

    async def update_endpoint(self, endpoint: Endpoint) -> bool:
        current = await self.endpoint(endpoint.tenant_id, endpoint.id)
        if current is None:
            return False
        self._endpoints[endpoint.id] = dataclasses.replace(
            endpoint, rotated_until_ms=current.rotated_until_ms
        )
        return True

    async def delete_endpoint(self, tenant_id: str, endpoint_id: str) -> bool:
        if await self.endpoint(tenant_id, endpoint_id) is None:
            return False
        del self._endpoints[endpoint_id]
        del self._secrets[endpoint_id]
        for seq in [s for s, d in self._deliveries.items() if d.delivery.endpoint_id == endpoint_id]:
            row = self._deliveries.pop(seq)
            self._by_pair.discard((row.event_id, endpoint_id))
            self._attempts.pop(seq, None)
        return True

    async def rotate_secret(
        self, tenant_id: str, endpoint_id: str, secret: str, until_ms: int, now_ms: int
    ) -> bool:
        endpoint = await self.endpoint(tenant_id, endpoint_id)
        if endpoint is None:
            return False
        self._secrets[endpoint_id] = _Secrets(secret, self._secrets[endpoint_id].current)
        self._endpoints[endpoint_id] = dataclasses.replace(
            endpoint, rotated_until_ms=until_ms, updated_at_ms=now_ms
        )
        return True

    async def secrets(self, tenant_id: str, endpoint_id: str, now_ms: int) -> tuple[str, ...]:
        endpoint = await self.endpoint(tenant_id, endpoint_id)
        if endpoint is None:
            return ()
        held = self._secrets[endpoint_id]
        return signing_secrets(held.current, held.previous, endpoint.rotated_until_ms, now_ms)

    # --- outbox -------------------------------------------------------------------
    def add_events_now(self, outbox: Sequence[OutboxEvent]) -> int:
        """``add_events`` without awaiting: for the memory stores' changes, in their step."""
        added = 0
        for event in outbox:
            if event.dedupe_key is not None:
                if event.dedupe_key in self._keys:
                    continue
                self._keys.add(event.dedupe_key)
            event_id = next(self._event_ids)
            self._events[event_id] = dataclasses.replace(event, id=event_id)
            added += 1
        return added

    async def add_events(
        self, outbox: Sequence[OutboxEvent], reactions: Mapping[str, int] | None = None
    ) -> int:
        for party_id, n in (reactions or {}).items():
            self._reactions[party_id] = self._reactions.get(party_id, 0) + n
        return self.add_events_now(outbox)

    async def unfanned(self, limit: int) -> list[OutboxEvent]:
        pending = (e for i, e in self._events.items() if i not in self._fanned)
        return [e for _, e in zip(range(max(limit, 0)), pending, strict=False)]

    async def enabled_endpoints(self, tenant_ids: Sequence[str]) -> list[Endpoint]:
        return [e for e in self._endpoints.values() if e.tenant_id in tenant_ids and e.enabled]

    async def fan_out(
        self, event_ids: Sequence[int], new: Sequence[NewDelivery], claim: ClaimRequest | None = None
    ) -> list[Claimed]:
        made: list[_Delivery] = []
        for delivery in new:
            endpoint = self._endpoints.get(delivery.endpoint_id)
            if endpoint is not None and endpoint.enabled:
                added = self._add_delivery(delivery)
                if added is not None:
                    made.append(self._deliveries[added.seq])
        self._fanned.update(event_ids)
        if claim is None:
            return []
        return [
            self._claim(row, claim.claim, claim.now_ms, claim.ttl_ms) for row in made[: max(claim.limit, 0)]
        ]

    def _add_delivery(self, new: NewDelivery) -> Delivery | None:
        pair = (new.event_id, new.endpoint_id)
        if pair in self._by_pair:
            return None
        self._by_pair.add(pair)
        seq = next(self._seqs)
        event = self._events[new.event_id]
        delivery = Delivery(
            new.id,
            seq,
            new.endpoint_id,
            new.tenant_id,
            event.type,
            event.uid,
            DeliveryStatus.PENDING,
            0,
            new.created_at_ms,
            next_attempt_ms=new.created_at_ms,
        )
        self._deliveries[seq] = _Delivery(delivery, new.event_id)
        return delivery

    async def add_direct(self, event: OutboxEvent, delivery: NewDelivery) -> Delivery:
        event_id = next(self._event_ids)
        self._events[event_id] = dataclasses.replace(event, id=event_id)
        self._fanned.add(event_id)
        added = self._add_delivery(dataclasses.replace(delivery, event_id=event_id))
        assert added is not None
        return added

    async def party_activity(self, party_id: str) -> PartyActivity:
        found = (
            member_event_of(e.body)
            for e in self._events.values()
            if e.party_id == party_id and e.type in (MEMBER_JOINED, MEMBER_LEFT)
        )
        messages = 0
        if self._messages is not None:
            stored = self._messages._messages.get(party_id, [])
            messages = sum(1 for row in stored if not row.message.hidden)
        return PartyActivity(
            tuple(f for f in found if f is not None), messages, self._reactions.get(party_id, 0)
        )

    # --- deliveries ----------------------------------------------------------------
    async def claim(self, now_ms: int, limit: int, ttl_ms: int, claim: str) -> list[Claimed]:
        due = [
            row
            for row in self._deliveries.values()
            if row.delivery.status is DeliveryStatus.PENDING
            and row.delivery.next_attempt_ms is not None
            and row.delivery.next_attempt_ms <= now_ms
            and self._endpoints[row.delivery.endpoint_id].enabled
            and (row.claimed_until_ms is None or row.claimed_until_ms < now_ms)
        ]
        due.sort(key=lambda row: (row.delivery.next_attempt_ms or 0, row.delivery.seq))
        return [self._claim(row, claim, now_ms, ttl_ms) for row in due[: max(limit, 0)]]

    def _claim(self, row: _Delivery, claim: str, now_ms: int, ttl_ms: int) -> Claimed:
        row.claim, row.claimed_until_ms = claim, now_ms + ttl_ms
        endpoint = self._endpoints[row.delivery.endpoint_id]
        held = self._secrets[endpoint.id]
        secrets = signing_secrets(held.current, held.previous, endpoint.rotated_until_ms, now_ms)
        body = self._events[row.event_id].body
        return Claimed(row.delivery, claim, endpoint.url, body, secrets, endpoint.failing_since_ms)

    async def finish(self, records: Sequence[AttemptRecord]) -> None:
        for record in records:
            row = self._deliveries.get(record.seq)
            if row is None or row.claim != record.claim:
                continue
            attempt, decision = record.attempt, record.decision
            delivered = decision.status is DeliveryStatus.DELIVERED
            row.claim = row.claimed_until_ms = None
            row.delivery = dataclasses.replace(
                row.delivery,
                status=decision.status,
                attempts=row.delivery.attempts + 1,
                next_attempt_ms=decision.next_attempt_ms,
                last_status=attempt.status,
                last_response_ms=attempt.response_ms,
                last_error=attempt.error,
                delivered_at_ms=attempt.at_ms if delivered else None,
            )
            self._attempts.setdefault(record.seq, []).append(attempt)
            self._endpoint_after(record)

    def _endpoint_after(self, record: AttemptRecord) -> None:
        endpoint = self._endpoints.get(record.endpoint_id)
        if endpoint is None:
            return
        decision = record.decision
        if decision.status is DeliveryStatus.DELIVERED:
            failing = None
        else:
            failing = (
                endpoint.failing_since_ms
                if endpoint.failing_since_ms is not None
                else decision.failing_since_ms
            )
        endpoint = dataclasses.replace(endpoint, failing_since_ms=failing)
        if decision.disable is not None:
            endpoint = dataclasses.replace(endpoint, enabled=False, disabled_reason=decision.disable)
        self._endpoints[endpoint.id] = endpoint

    async def deliveries(
        self, tenant_id: str, endpoint_id: str | None, before_seq: int | None, limit: int
    ) -> list[Delivery]:
        found = [
            row.delivery
            for seq, row in sorted(self._deliveries.items(), reverse=True)
            if row.delivery.tenant_id == tenant_id
            and (endpoint_id is None or row.delivery.endpoint_id == endpoint_id)
            and (before_seq is None or seq < before_seq)
        ]
        return found[: max(limit, 0)]

    async def delivery(self, tenant_id: str, delivery_id: str) -> Delivery | None:
        row = self._find(tenant_id, delivery_id)
        return None if row is None else row.delivery

    def _find(self, tenant_id: str, delivery_id: str) -> _Delivery | None:
        for row in self._deliveries.values():
            if row.delivery.id == delivery_id and row.delivery.tenant_id == tenant_id:
                return row
        return None

    async def attempts(self, tenant_id: str, delivery_id: str) -> list[Attempt]:
        row = self._find(tenant_id, delivery_id)
        return [] if row is None else list(self._attempts.get(row.delivery.seq, []))

    async def redeliver(self, tenant_id: str, delivery_id: str, now_ms: int) -> Delivery | None:
        row = self._find(tenant_id, delivery_id)
        if row is None:
            return None
        row.claim = row.claimed_until_ms = None
        row.delivery = dataclasses.replace(
            row.delivery, status=DeliveryStatus.PENDING, next_attempt_ms=now_ms
        )
        return row.delivery

    async def erase_user(self, tenant_id: str, user_id: str, pseudonym: str) -> int:
        changed = 0
        mine = {i: e for i, e in self._events.items() if e.tenant_id == tenant_id}
        names = {name for e in mine.values() for name in names_in_body(e.body, user_id)}
        for event_id, event in mine.items():
            body = pseudonymised_body(event.body, user_id, names, pseudonym)
            if body is not None:
                self._events[event_id] = dataclasses.replace(event, body=body)
                changed += 1
        return changed

    async def prune(self, before_ms: int) -> int:
        pending = {
            row.event_id for row in self._deliveries.values() if row.delivery.status is DeliveryStatus.PENDING
        }
        old = [
            i
            for i, e in self._events.items()
            if i in self._fanned and e.ts_ms < before_ms and i not in pending
        ]
        for seq in [s for s, row in self._deliveries.items() if row.event_id in old]:
            row = self._deliveries.pop(seq)
            self._by_pair.discard((row.event_id, row.delivery.endpoint_id))
            self._attempts.pop(seq, None)
        for event_id in old:
            event = self._events.pop(event_id)
            self._fanned.discard(event_id)
            if event.dedupe_key is not None:
                self._keys.discard(event.dedupe_key)
        return len(old)


def write_outbox(store: MemoryWebhookStore | None, outbox: Sequence[OutboxEvent]) -> None:
    """For the other memory stores: a change's events, in the change's own step. A
    store built without an outbox refuses events rather than lose them."""
    if not outbox:
        return
    if store is None:
        raise RuntimeError("webhook events for a store built without an outbox")
    store.add_events_now(outbox)
