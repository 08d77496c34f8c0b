"""WebhookStore on the same database as everything else: endpoints (secrets sealed by
the tenant secrets' box), the outbox, deliveries and attempts.

Claiming is safe with workers on several nodes: on PostgreSQL the due rows are
locked ``FOR UPDATE SKIP LOCKED`` and stamped with the claimer and a lapse time in
the same transaction; on SQLite the transaction holds the write lock from its start
(BEGIN IMMEDIATE). Recording an attempt checks the claim, so a worker whose claim
lapsed and was taken over records nothing.

``insert_outbox`` is for the other SQL stores: it writes a change's events inside the
change's own transaction.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from socialsync.adapters.sql.engine import metadata
from socialsync.adapters.sql.store import SqlStore, _dialect_insert, _translate_errors, messages
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

endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("url", sa.Text(), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("event_types", sa.JSON(), nullable=False),
    sa.Column("secret", sa.Text(), nullable=False),
    sa.Column("previous_secret", sa.Text(), nullable=True),
    sa.Column("rotated_until_ms", sa.BigInteger(), nullable=True),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    sa.Column("disabled_reason", sa.String(), nullable=True),
    sa.Column("failing_since_ms", sa.BigInteger(), nullable=True),
    sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    sa.Index("ix_webhook_endpoints_tenant_id", "tenant_id"),
)

events = sa.Table(
    "webhook_events",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("uid", sa.String(), nullable=False, unique=True),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("type", sa.String(), nullable=False),
    sa.Column("party_id", sa.String(), nullable=True),
    sa.Column("dedupe_key", sa.String(), nullable=True, unique=True),
    sa.Column("ts_ms", sa.BigInteger(), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("fanned_out", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Index("ix_webhook_events_fanned_out_id", "fanned_out", "id"),
    sa.Index("ix_webhook_events_party_id", "party_id"),
)

deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(), nullable=False, unique=True),
    sa.Column(
        "event_id", sa.Integer(), sa.ForeignKey("webhook_events.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column(
        "endpoint_id", sa.String(), sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_ms", sa.BigInteger(), nullable=True),
    sa.Column("claim", sa.String(), nullable=True),
    sa.Column("claimed_until_ms", sa.BigInteger(), nullable=True),
    sa.Column("last_status", sa.Integer(), nullable=True),
    sa.Column("last_response_ms", sa.Integer(), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("delivered_at_ms", sa.BigInteger(), nullable=True),
    sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    sa.UniqueConstraint("event_id", "endpoint_id"),
    sa.Index("ix_webhook_deliveries_status_next", "status", "next_attempt_ms"),
    sa.Index("ix_webhook_deliveries_endpoint_seq", "endpoint_id", "seq"),
    sa.Index("ix_webhook_deliveries_tenant_seq", "tenant_id", "seq"),
)

attempts = sa.Table(
    "webhook_attempts",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column(
        "delivery_seq",
        sa.Integer(),
        sa.ForeignKey("webhook_deliveries.seq", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("number", sa.Integer(), nullable=False),
    sa.Column("at_ms", sa.BigInteger(), nullable=False),
    sa.Column("status", sa.Integer(), nullable=True),
    sa.Column("response_ms", sa.Integer(), nullable=False),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Index("ix_webhook_attempts_delivery_seq", "delivery_seq"),
)

party_stats = sa.Table(
    "webhook_party_stats",
    metadata,
    sa.Column("party_id", sa.String(), primary_key=True),
    sa.Column("reactions", sa.BigInteger(), nullable=False),
)

_PENDING = DeliveryStatus.PENDING.value
# An error text kept in the delivery log at most this long.
MAX_ERROR = 300


async def insert_outbox(conn: AsyncConnection, outbox: Sequence[OutboxEvent]) -> int:
    """Write events in the caller's transaction (a repeat of a ``dedupe_key`` is skipped)."""
    if not outbox:
        return 0
    rows = [_event_row(event) for event in outbox]
    insert = _dialect_insert(conn.engine)(events).values(rows).on_conflict_do_nothing()
    return len((await conn.execute(insert.returning(events.c.id))).all())


class SqlWebhookStore:
    def __init__(self, store: SqlStore) -> None:
        self._engine = store._engine
        self._writer = store._writer
        self._gate = store._write_gate
        self._box = store._box
        self._postgres = self._engine.dialect.name == "postgresql"

    async def _write(self, *statements: Any) -> list[Any]:
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                return [await conn.execute(s) for s in statements]

    async def _read(self, query: Any) -> list[sa.Row[Any]]:
        with _translate_errors():
            async with self._engine.connect() as conn:
                return list(await conn.execute(query))

    # --- endpoints ---------------------------------------------------------------
    async def add_endpoint(self, endpoint: Endpoint, secret: str) -> None:
        row = _endpoint_row(endpoint) | {"id": endpoint.id, "secret": self._box.seal(secret)}
        await self._write(sa.insert(endpoints).values(row))

    async def endpoint(self, tenant_id: str, endpoint_id: str) -> Endpoint | None:
        rows = await self._read(_endpoints_of(tenant_id).where(endpoints.c.id == endpoint_id))
        return _endpoint(rows[0]) if rows else None

    async def endpoints(self, tenant_id: str) -> list[Endpoint]:
        query = _endpoints_of(tenant_id).order_by(endpoints.c.created_at_ms, endpoints.c.id)
        return [_endpoint(r) for r in await self._read(query)]

    async def count_endpoints(self, tenant_id: str) -> int:
        query = sa.select(sa.func.count()).where(endpoints.c.tenant_id == tenant_id)
        return int((await self._read(query))[0][0])

    async def listening(self, tenant_id: str) -> bool:
        query = (
            sa.select(endpoints.c.id)
            .where(endpoints.c.tenant_id == tenant_id, endpoints.c.enabled.is_(True))
            .limit(1)
        )
        return bool(await self._read(query))

    async def update_endpoint(self, endpoint: Endpoint) -> bool:
        (result,) = await self._write(
            sa.update(endpoints)
            .where(endpoints.c.tenant_id == endpoint.tenant_id, endpoints.c.id == endpoint.id)
            .values(_endpoint_row(endpoint))
        )
        return bool(result.rowcount)

    async def delete_endpoint(self, tenant_id: str, endpoint_id: str) -> bool:
        mine = sa.and_(endpoints.c.tenant_id == tenant_id, endpoints.c.id == endpoint_id)
        # Attempts and deliveries go with it (ON DELETE CASCADE, spelled out for clarity).
        seqs = sa.select(deliveries.c.seq).where(deliveries.c.endpoint_id == endpoint_id)
        *_, result = await self._write(
            sa.delete(attempts).where(attempts.c.delivery_seq.in_(seqs), sa.exists().where(mine)),
            sa.delete(deliveries).where(deliveries.c.endpoint_id == endpoint_id, sa.exists().where(mine)),
            sa.delete(endpoints).where(mine),
        )
        return bool(result.rowcount)

    async def rotate_secret(
        self, tenant_id: str, endpoint_id: str, secret: str, until_ms: int, now_ms: int
    ) -> bool:
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                current = await conn.scalar(
                    sa.select(endpoints.c.secret).where(
                        endpoints.c.tenant_id == tenant_id, endpoints.c.id == endpoint_id
                    )
                )
                if current is None:
                    return False
                await conn.execute(
                    sa.update(endpoints)
                    .where(endpoints.c.id == endpoint_id)
                    .values(
                        secret=self._box.seal(secret),
                        previous_secret=current,
                        rotated_until_ms=until_ms,
                        updated_at_ms=now_ms,
                    )
                )
        return True

    async def secrets(self, tenant_id: str, endpoint_id: str, now_ms: int) -> tuple[str, ...]:
        rows = await self._read(
            sa.select(endpoints.c.secret, endpoints.c.previous_secret, endpoints.c.rotated_until_ms).where(
                endpoints.c.tenant_id == tenant_id, endpoints.c.id == endpoint_id
            )
        )
        return self._secrets(rows[0], now_ms) if rows else ()

    def _secrets(self, row: Any, now_ms: int) -> tuple[str, ...]:
        previous = row.previous_secret
        return signing_secrets(
            self._box.open(row.secret), previous and self._box.open(previous), row.rotated_until_ms, now_ms
        )

    # --- outbox -------------------------------------------------------------------
    async def add_events(
        self, outbox: Sequence[OutboxEvent], reactions: Mapping[str, int] | None = None
    ) -> int:
        counts = {party: n for party, n in (reactions or {}).items() if n}
        if not outbox and not counts:
            return 0
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                added = await insert_outbox(conn, outbox)
                if counts:
                    upsert = _dialect_insert(self._engine)(party_stats).values(
                        [{"party_id": p, "reactions": n} for p, n in sorted(counts.items())]
                    )
                    await conn.execute(
                        upsert.on_conflict_do_update(
                            index_elements=[party_stats.c.party_id],
                            set_={"reactions": party_stats.c.reactions + upsert.excluded.reactions},
                        )
                    )
        return added

    async def unfanned(self, limit: int) -> list[OutboxEvent]:
        query = sa.select(events).where(events.c.fanned_out.is_(False)).order_by(events.c.id).limit(limit)
        return [_outbox_event(r) for r in await self._read(query)]

    async def enabled_endpoints(self, tenant_ids: Sequence[str]) -> list[Endpoint]:
        if not tenant_ids:
            return []
        query = sa.select(endpoints).where(
            endpoints.c.tenant_id.in_(sorted(set(tenant_ids))), endpoints.c.enabled.is_(True)
        )
        return [_endpoint(r) for r in await self._read(query)]

    async def fan_out(
        self, event_ids: Sequence[int], new: Sequence[NewDelivery], claim: ClaimRequest | None = None
    ) -> list[Claimed]:
        if not event_ids:
            return []
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                rows: list[dict[str, Any]] = []
                if new:
                    wanted = sorted({d.endpoint_id for d in new})
                    found = await conn.execute(
                        sa.select(endpoints.c.id).where(
                            endpoints.c.id.in_(wanted), endpoints.c.enabled.is_(True)
                        )
                    )
                    existing = {r[0] for r in found}
                    rows = [_delivery_row(d) for d in new if d.endpoint_id in existing]
                if rows and claim is not None:
                    for row in rows[: claim.limit]:
                        row |= {"claim": claim.claim, "claimed_until_ms": claim.now_ms + claim.ttl_ms}
                if rows:
                    insert = _dialect_insert(self._engine)(deliveries).values(rows)
                    await conn.execute(insert.on_conflict_do_nothing())
                await conn.execute(
                    sa.update(events).where(events.c.id.in_(list(event_ids))).values(fanned_out=True)
                )
                if not rows or claim is None or claim.limit <= 0:
                    return []
                taken = list(await conn.execute(_claimed_query().where(deliveries.c.claim == claim.claim)))
        return self._claimed(taken, claim.claim, claim.now_ms)

    async def add_direct(self, event: OutboxEvent, delivery: NewDelivery) -> Delivery:
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                row = _event_row(event) | {"fanned_out": True}
                event_id = (
                    await conn.execute(sa.insert(events).values(row).returning(events.c.id))
                ).scalar_one()
                values = _delivery_row(dataclasses.replace(delivery, event_id=int(event_id)))
                await conn.execute(sa.insert(deliveries).values(values))
        found = await self.delivery(delivery.tenant_id, delivery.id)
        assert found is not None
        return found

    async def party_activity(self, party_id: str) -> PartyActivity:
        member_rows = await self._read(
            sa.select(events.c.body)
            .where(events.c.party_id == party_id, events.c.type.in_((MEMBER_JOINED, MEMBER_LEFT)))
            .order_by(events.c.id)
        )
        counted = await self._read(
            sa.select(sa.func.count()).where(messages.c.party_id == party_id, messages.c.hidden.is_(False))
        )
        reactions = await self._read(
            sa.select(party_stats.c.reactions).where(party_stats.c.party_id == party_id)
        )
        found = (member_event_of(r.body) for r in member_rows)
        return PartyActivity(
            tuple(f for f in found if f is not None),
            int(counted[0][0]),
            int(reactions[0][0]) if reactions else 0,
        )

    # --- deliveries ----------------------------------------------------------------
    async def claim(self, now_ms: int, limit: int, ttl_ms: int, claim: str) -> list[Claimed]:
        if limit <= 0:
            return []
        d = deliveries
        due = (
            sa.select(d.c.seq)
            .join(endpoints, endpoints.c.id == d.c.endpoint_id)
            .where(
                d.c.status == _PENDING,
                d.c.next_attempt_ms <= now_ms,
                endpoints.c.enabled.is_(True),
                sa.or_(d.c.claimed_until_ms.is_(None), d.c.claimed_until_ms < now_ms),
            )
            .order_by(d.c.next_attempt_ms, d.c.seq)
            .limit(limit)
        )
        if not self._postgres and not await self._read(due.with_only_columns(d.c.seq).limit(1)):
            return []  # nothing due: spare SQLite's write lock (the outbox writer wants it)
        if self._postgres:
            due = due.with_for_update(of=d, skip_locked=True)
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                seqs = [r[0] for r in await conn.execute(due)]
                if not seqs:
                    return []
                await conn.execute(
                    sa.update(d)
                    .where(d.c.seq.in_(seqs))
                    .values(claim=claim, claimed_until_ms=now_ms + ttl_ms)
                )
                rows = list(await conn.execute(_claimed_query().where(d.c.seq.in_(seqs))))
        return self._claimed(rows, claim, now_ms)

    def _claimed(self, rows: list[Any], claim: str, now_ms: int) -> list[Claimed]:
        return [
            Claimed(_delivery(r), claim, r.url, r.body, self._secrets(r, now_ms), r.failing_since_ms)
            for r in rows
        ]

    async def finish(self, records: Sequence[AttemptRecord]) -> None:
        if not records:
            return
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                for record in records:
                    await _finish_one(conn, record)

    async def deliveries(
        self, tenant_id: str, endpoint_id: str | None, before_seq: int | None, limit: int
    ) -> list[Delivery]:
        if limit <= 0:
            return []
        query = _delivery_query().where(deliveries.c.tenant_id == tenant_id)
        if endpoint_id is not None:
            query = query.where(deliveries.c.endpoint_id == endpoint_id)
        if before_seq is not None:
            query = query.where(deliveries.c.seq < before_seq)
        rows = await self._read(query.order_by(deliveries.c.seq.desc()).limit(limit))
        return [_delivery(r) for r in rows]

    async def delivery(self, tenant_id: str, delivery_id: str) -> Delivery | None:
        query = _delivery_query().where(deliveries.c.tenant_id == tenant_id, deliveries.c.id == delivery_id)
        rows = await self._read(query)
        return _delivery(rows[0]) if rows else None

    async def attempts(self, tenant_id: str, delivery_id: str) -> list[Attempt]:
        rows = await self._read(
            sa.select(attempts)
            .join(deliveries, deliveries.c.seq == attempts.c.delivery_seq)
            .where(deliveries.c.tenant_id == tenant_id, deliveries.c.id == delivery_id)
            .order_by(attempts.c.number, attempts.c.id)
        )
        return [Attempt(delivery_id, r.number, r.at_ms, r.status, r.response_ms, r.error) for r in rows]

    async def redeliver(self, tenant_id: str, delivery_id: str, now_ms: int) -> Delivery | None:
        await self._write(
            sa.update(deliveries)
            .where(deliveries.c.tenant_id == tenant_id, deliveries.c.id == delivery_id)
            .values(status=_PENDING, next_attempt_ms=now_ms, claim=None, claimed_until_ms=None)
        )
        return await self.delivery(tenant_id, delivery_id)

    async def erase_user(self, tenant_id: str, user_id: str, pseudonym: str) -> int:
        # Only bodies holding the id as JSON writes it (ensure_ascii=False) can name the user.
        quoted = json.dumps(user_id, ensure_ascii=False)[1:-1]
        rows = await self._read(
            sa.select(events.c.id, events.c.body).where(
                events.c.tenant_id == tenant_id, events.c.body.contains(quoted, autoescape=True)
            )
        )
        names = {name for row in rows for name in names_in_body(row.body, user_id)}
        changed = [(row.id, pseudonymised_body(row.body, user_id, names, pseudonym)) for row in rows]
        updates = [
            sa.update(events).where(events.c.id == event_id).values(body=body)
            for event_id, body in changed
            if body is not None
        ]
        if updates:
            await self._write(*updates)
        return len(updates)

    async def prune(self, before_ms: int) -> int:
        open_delivery = sa.exists().where(
            deliveries.c.event_id == events.c.id, deliveries.c.status == _PENDING
        )
        old = sa.select(events.c.id).where(
            events.c.fanned_out.is_(True), events.c.ts_ms < before_ms, ~open_delivery
        )
        old_deliveries = sa.select(deliveries.c.seq).where(deliveries.c.event_id.in_(old))
        *_, result = await self._write(
            sa.delete(attempts).where(attempts.c.delivery_seq.in_(old_deliveries)),
            sa.delete(deliveries).where(deliveries.c.event_id.in_(old)),
            sa.delete(events).where(events.c.id.in_(old)),
        )
        return int(result.rowcount or 0)


# --- statements and rows ----------------------------------------------------------


async def _finish_one(conn: AsyncConnection, record: AttemptRecord) -> None:
    d, decision, attempt = deliveries, record.decision, record.attempt
    delivered = decision.status is DeliveryStatus.DELIVERED
    changed = await conn.execute(
        sa.update(d)
        .where(d.c.seq == record.seq, d.c.claim == record.claim)
        .values(
            status=decision.status.value,
            attempts=d.c.attempts + 1,
            next_attempt_ms=decision.next_attempt_ms,
            claim=None,
            claimed_until_ms=None,
            last_status=attempt.status,
            last_response_ms=attempt.response_ms,
            last_error=attempt.error and attempt.error[:MAX_ERROR],
            delivered_at_ms=attempt.at_ms if delivered else None,
        )
    )
    if not changed.rowcount:
        return  # the claim lapsed and someone else holds the delivery now
    await conn.execute(
        sa.insert(attempts).values(
            delivery_seq=record.seq,
            number=attempt.number,
            at_ms=attempt.at_ms,
            status=attempt.status,
            response_ms=attempt.response_ms,
            error=attempt.error and attempt.error[:MAX_ERROR],
        )
    )
    endpoint = endpoints.c
    failing: Any = (
        None if delivered else sa.func.coalesce(endpoint.failing_since_ms, decision.failing_since_ms)
    )
    values: dict[str, Any] = {"failing_since_ms": failing}
    if decision.disable is not None:
        values |= {"enabled": False, "disabled_reason": decision.disable}
    await conn.execute(sa.update(endpoints).where(endpoint.id == record.endpoint_id).values(values))


def _endpoints_of(tenant_id: str) -> sa.Select[Any]:
    return sa.select(endpoints).where(endpoints.c.tenant_id == tenant_id)


def _endpoint_row(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "tenant_id": endpoint.tenant_id,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "failing_since_ms": endpoint.failing_since_ms,
        "created_at_ms": endpoint.created_at_ms,
        "updated_at_ms": endpoint.updated_at_ms,
    }


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(
        id=row.id,
        tenant_id=row.tenant_id,
        url=row.url,
        description=row.description,
        event_types=tuple(row.event_types),
        created_at_ms=row.created_at_ms,
        updated_at_ms=row.updated_at_ms,
        enabled=bool(row.enabled),
        disabled_reason=row.disabled_reason,
        failing_since_ms=row.failing_since_ms,
        rotated_until_ms=row.rotated_until_ms,
    )


def _event_row(event: OutboxEvent) -> dict[str, Any]:
    return {
        "uid": event.uid,
        "tenant_id": event.tenant_id,
        "type": event.type,
        "party_id": event.party_id,
        "dedupe_key": event.dedupe_key,
        "ts_ms": event.ts_ms,
        "body": event.body,
        "fanned_out": False,
    }


def _outbox_event(row: Any) -> OutboxEvent:
    return OutboxEvent(
        row.uid, row.tenant_id, row.type, row.ts_ms, row.body, row.party_id, row.dedupe_key, row.id
    )


def _delivery_row(delivery: NewDelivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "event_id": delivery.event_id,
        "endpoint_id": delivery.endpoint_id,
        "tenant_id": delivery.tenant_id,
        "status": _PENDING,
        "attempts": 0,
        "next_attempt_ms": delivery.created_at_ms,
        "created_at_ms": delivery.created_at_ms,
        "claim": None,  # every row of a multi-row insert has the same keys
        "claimed_until_ms": None,
    }


def _delivery_query() -> sa.Select[Any]:
    return sa.select(deliveries, events.c.type.label("event_type"), events.c.uid.label("event_uid")).join(
        events, events.c.id == deliveries.c.event_id
    )


def _claimed_query() -> sa.Select[Any]:
    """Deliveries with what posting them needs."""
    return (
        _delivery_query()
        .add_columns(
            events.c.body,
            endpoints.c.url,
            endpoints.c.secret,
            endpoints.c.previous_secret,
            endpoints.c.rotated_until_ms,
            endpoints.c.failing_since_ms,
        )
        .join(endpoints, endpoints.c.id == deliveries.c.endpoint_id)
        .order_by(deliveries.c.next_attempt_ms, deliveries.c.seq)
    )


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row.id,
        seq=row.seq,
        endpoint_id=row.endpoint_id,
        tenant_id=row.tenant_id,
        event_type=row.event_type,
        event_uid=row.event_uid,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        created_at_ms=row.created_at_ms,
        next_attempt_ms=row.next_attempt_ms if row.status == _PENDING else None,
        last_status=row.last_status,
        last_response_ms=row.last_response_ms,
        last_error=row.last_error,
        delivered_at_ms=row.delivered_at_ms,
    )
