"""ModerationStore on the same database as the messages: sanctions, the audit log
(insert-only: nothing here updates or deletes an entry), the review queue, reports,
and deleting or restoring messages."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa

from socialsync.adapters.sql.engine import metadata
from socialsync.adapters.sql.store import (
    SqlStore,
    _counts,
    _dialect_insert,
    _message_from_row,
    _translate_errors,
    messages,
)
from socialsync.adapters.sql.webhooks import insert_outbox
from socialsync.domain.chat.messages import Message
from socialsync.domain.errors import Code, SyncError
from socialsync.domain.moderation.sanctions import (
    AuditEntry,
    FilterNote,
    Held,
    Report,
    Sanction,
    SanctionKind,
)
from socialsync.ports.moderation_store import AuditFilter
from socialsync.ports.webhooks import Outbox

T = TypeVar("T")

sanctions = sa.Table(
    "sanctions",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("party_id", sa.String(), nullable=True),
    sa.Column("user_id", sa.String(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("until_ms", sa.BigInteger(), nullable=True),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("by_user", sa.String(), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    sa.Column("revoked_at_ms", sa.BigInteger(), nullable=True),
    sa.Index("ix_sanctions_tenant_id_user_id", "tenant_id", "user_id"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("party_id", sa.String(), nullable=True),
    sa.Column("actor_id", sa.String(), nullable=False),
    sa.Column("actor_name", sa.Text(), nullable=False),
    sa.Column("action", sa.String(), nullable=False),
    sa.Column("target_user", sa.String(), nullable=True),
    sa.Column("target_message", sa.Integer(), nullable=True),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("details", sa.JSON(), nullable=False),
    sa.Column("ts_ms", sa.BigInteger(), nullable=False),
    sa.Index("ix_audit_log_tenant_id_party_id", "tenant_id", "party_id"),
    sa.Index("ix_audit_log_tenant_id_actor_id", "tenant_id", "actor_id"),
)

held_messages = sa.Table(
    "held_messages",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("party_id", sa.String(), nullable=False),
    sa.Column("message_id", sa.Integer(), nullable=True),
    sa.Column("user_id", sa.String(), nullable=False),
    sa.Column("user_name", sa.Text(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("ts_ms", sa.BigInteger(), nullable=False),
    sa.Column("nonce", sa.String(), nullable=False),
    sa.Column("media_time_s", sa.Double(), nullable=True),
    sa.Column("reply_to", sa.Integer(), nullable=True),
    sa.Column("reasons", sa.JSON(), nullable=False),
    sa.Column("source", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("decided_by", sa.String(), nullable=True),
    sa.Column("decided_at_ms", sa.BigInteger(), nullable=True),
    sa.Index("ix_held_messages_party_id_status", "party_id", "status"),
)

reports = sa.Table(
    "reports",
    metadata,
    sa.Column("party_id", sa.String(), primary_key=True),
    sa.Column("message_id", sa.Integer(), primary_key=True),
    sa.Column("reporter_id", sa.String(), primary_key=True),
    sa.Column("reporter_name", sa.Text(), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("ts_ms", sa.BigInteger(), nullable=False),
)

# Added by 0014: what the filter said of a delivered message, for its moderators.
filter_notes = sa.Table(
    "filter_notes",
    metadata,
    sa.Column("party_id", sa.String(), primary_key=True),
    sa.Column("message_id", sa.Integer(), primary_key=True),
    sa.Column("verdict", sa.String(), nullable=False),
    sa.Column("reasons", sa.JSON(), nullable=False),
    sa.Column("original", sa.Text(), nullable=True),
    sa.Column("ts_ms", sa.BigInteger(), nullable=False),
)

tenant_terms = sa.Table(
    "tenant_terms",
    metadata,
    sa.Column("tenant_id", sa.String(), primary_key=True),
    sa.Column("blocked", sa.JSON(), nullable=False),
    sa.Column("allowed", sa.JSON(), nullable=False),
    sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
)


def _note_from_row(row: Any) -> FilterNote:
    return FilterNote(row.party_id, row.message_id, row.verdict, tuple(row.reasons), row.ts_ms, row.original)


def _open_report() -> Any:
    """A report no moderator has dealt with: not one of those behind a takedown (a held
    copy of its message, from reports) that was decided after it was filed."""
    decided = sa.select(held_messages.c.id).where(
        held_messages.c.party_id == reports.c.party_id,
        held_messages.c.message_id == reports.c.message_id,
        held_messages.c.decided_at_ms >= reports.c.ts_ms,
    )
    return ~sa.exists(decided)


class SqlModerationStore:
    def __init__(self, store: SqlStore) -> None:
        self._engine = store._engine
        self._writer = store._writer
        self._gate = store._write_gate

    async def _write(self, *statements: Any) -> list[Any]:
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                return [await conn.execute(s) for s in statements]

    async def _read(self, query: Any) -> list[sa.Row[Any]]:
        with _translate_errors():
            async with self._engine.connect() as conn:
                return list(await conn.execute(query))

    # --- sanctions ------------------------------------------------------------------
    async def add_sanction(self, sanction: Sanction) -> Sanction:
        row = dataclasses.asdict(sanction) | {"kind": sanction.kind.value}
        del row["id"]
        (result,) = await self._write(sa.insert(sanctions).values(row).returning(sanctions.c.id))
        return dataclasses.replace(sanction, id=int(result.scalar_one()))

    async def revoke(
        self, tenant_id: str, user_id: str, kind: SanctionKind, party_id: str | None, now_ms: int
    ) -> int:
        """End the user's sanctions of ``kind`` for that scope. Returns how many ended."""
        scope = sanctions.c.party_id.is_(None) if party_id is None else sanctions.c.party_id == party_id
        (result,) = await self._write(
            sa.update(sanctions)
            .where(
                sanctions.c.tenant_id == tenant_id,
                sanctions.c.user_id == user_id,
                sanctions.c.kind == kind.value,
                scope,
                sanctions.c.revoked_at_ms.is_(None),
            )
            .values(revoked_at_ms=now_ms)
        )
        return int(result.rowcount or 0)

    async def tenant_sanctions(self, tenant_id: str, now_ms: int) -> list[Sanction]:
        """Every sanction of the tenant not revoked and not yet over."""
        rows = await self._read(
            sa.select(sanctions).where(
                sanctions.c.tenant_id == tenant_id,
                sanctions.c.revoked_at_ms.is_(None),
                sa.or_(sanctions.c.until_ms.is_(None), sanctions.c.until_ms > now_ms),
            )
        )
        return [
            Sanction(
                **{k: v for k, v in r._asdict().items() if k != "revoked_at_ms"}
                | {"kind": SanctionKind(r.kind)}
            )
            for r in rows
        ]

    # --- tenant terms --------------------------------------------------------------------
    async def tenant_terms(self, tenant_id: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        rows = await self._read(sa.select(tenant_terms).where(tenant_terms.c.tenant_id == tenant_id))
        if not rows:
            return (), ()
        return tuple(rows[0].blocked), tuple(rows[0].allowed)

    async def set_tenant_terms(
        self, tenant_id: str, blocked: tuple[str, ...], allowed: tuple[str, ...], now_ms: int
    ) -> None:
        row = {
            "tenant_id": tenant_id,
            "blocked": list(blocked),
            "allowed": list(allowed),
            "updated_at_ms": now_ms,
        }
        insert = _dialect_insert(self._engine)(tenant_terms).values(row)
        await self._write(
            insert.on_conflict_do_update(
                index_elements=[tenant_terms.c.tenant_id],
                set_={
                    "blocked": insert.excluded.blocked,
                    "allowed": insert.excluded.allowed,
                    "updated_at_ms": insert.excluded.updated_at_ms,
                },
            )
        )

    # --- audit log (insert-only) ----------------------------------------------------
    async def audit(self, entry: AuditEntry, *, outbox: Outbox[AuditEntry] | None = None) -> AuditEntry:
        row = dataclasses.asdict(entry)
        del row["id"]
        insert = sa.insert(audit_log).values(row).returning(audit_log.c.id)
        return await self._insert(insert, lambda new_id: dataclasses.replace(entry, id=new_id), outbox)

    async def _insert(self, insert: Any, stored: Callable[[int], T], outbox: Outbox[T] | None) -> T:
        """An insert of one row, and its webhook events (if any) in the same transaction."""
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                made = stored(int((await conn.execute(insert)).scalar_one()))
                if outbox is not None:
                    await insert_outbox(conn, outbox(made))
        return made

    async def audit_entries(
        self,
        tenant_id: str,
        party_id: str | None,
        before_id: int | None,
        limit: int,
        *,
        filters: AuditFilter | None = None,
    ) -> list[AuditEntry]:
        query = sa.select(audit_log).where(audit_log.c.tenant_id == tenant_id).order_by(audit_log.c.id.desc())
        if party_id is not None:
            query = query.where(audit_log.c.party_id == party_id)
        if before_id is not None:
            query = query.where(audit_log.c.id < before_id)
        filters = filters or AuditFilter()
        if filters.actor_id is not None:
            query = query.where(audit_log.c.actor_id == filters.actor_id)
        if filters.action is not None:
            query = query.where(audit_log.c.action == filters.action)
        if filters.since_ms is not None:
            query = query.where(audit_log.c.ts_ms >= filters.since_ms)
        if filters.until_ms is not None:
            query = query.where(audit_log.c.ts_ms < filters.until_ms)
        return [AuditEntry(**r._asdict()) for r in await self._read(query.limit(limit))]

    # --- review queue -----------------------------------------------------------------
    async def hold(self, held: Held, *, outbox: Outbox[Held] | None = None) -> Held:
        row = dataclasses.asdict(held) | {"reasons": list(held.reasons)}
        del row["id"]
        insert = sa.insert(held_messages).values(row).returning(held_messages.c.id)
        return await self._insert(insert, lambda new_id: dataclasses.replace(held, id=new_id), outbox)

    async def held(self, party_id: str) -> list[Held]:
        rows = await self._read(
            sa.select(held_messages)
            .where(held_messages.c.party_id == party_id, held_messages.c.status == "held")
            .order_by(held_messages.c.id)
        )
        return [_held_from_row(r) for r in rows]

    async def held_counts(self, party_ids: list[str]) -> dict[str, int]:
        if not party_ids:
            return {}
        rows = await self._read(
            sa.select(held_messages.c.party_id, sa.func.count())
            .where(held_messages.c.party_id.in_(party_ids), held_messages.c.status == "held")
            .group_by(held_messages.c.party_id)
        )
        return _counts(rows)

    async def decide(self, party_id: str, held_id: int, decision: str, by: str, now_ms: int) -> Held:
        """Mark a held message approved or rejected; conflict if it was decided already."""
        (result,) = await self._write(
            sa.update(held_messages)
            .where(
                held_messages.c.id == held_id,
                held_messages.c.party_id == party_id,
                held_messages.c.status == "held",
            )
            .values(status=decision, decided_by=by, decided_at_ms=now_ms)
        )
        rows = await self._read(sa.select(held_messages).where(held_messages.c.id == held_id))
        if not rows or rows[0].party_id != party_id:
            raise SyncError(Code.NOT_FOUND, f"no held message {held_id} in this room")
        if not result.rowcount:
            raise SyncError(Code.CONFLICT, f"held message {held_id} was already {rows[0].status}")
        return _held_from_row(rows[0])

    # --- reports ------------------------------------------------------------------------
    async def report(self, report: Report, *, outbox: Outbox[int] | None = None) -> int | None:
        """Record a report; the number of distinct reporters of the message, or None
        when this reporter had reported it already.

        The message's row is locked first (PostgreSQL; SQLite has one writer anyway),
        so concurrent reporters on any nodes count 1, 2, 3... in turn, and exactly one
        of them reaches the takedown threshold.
        """
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                lock = sa.select(messages.c.id).where(
                    messages.c.party_id == report.party_id, messages.c.id == report.message_id
                )
                await conn.execute(lock.with_for_update())
                insert = _dialect_insert(self._engine)(reports).values(dataclasses.asdict(report))
                if not (await conn.execute(insert.on_conflict_do_nothing())).rowcount:
                    return None
                count = await conn.scalar(
                    sa.select(sa.func.count()).where(
                        reports.c.party_id == report.party_id, reports.c.message_id == report.message_id
                    )
                )
                if outbox is not None:
                    await insert_outbox(conn, outbox(int(count or 0)))
        return int(count or 0)

    async def report_counts(self, party_ids: list[str]) -> dict[str, int]:
        """Messages with open reports per party (the port's definition)."""
        if not party_ids:
            return {}
        rows = await self._read(
            sa.select(reports.c.party_id, sa.func.count(sa.distinct(reports.c.message_id)))
            .where(reports.c.party_id.in_(party_ids), _open_report())
            .group_by(reports.c.party_id)
        )
        return _counts(rows)

    async def reports_of(self, party_id: str, limit: int = 100) -> list[Report]:
        rows = await self._read(
            sa.select(reports)
            .where(reports.c.party_id == party_id, _open_report())
            .order_by(reports.c.ts_ms.desc())
            .limit(limit)
        )
        return [Report(**r._asdict()) for r in rows]

    # --- filter notes ---------------------------------------------------------------------
    async def note(self, note: FilterNote) -> None:
        row = dataclasses.asdict(note) | {"reasons": list(note.reasons)}
        insert = _dialect_insert(self._engine)(filter_notes).values(row)
        await self._write(
            insert.on_conflict_do_update(
                index_elements=[filter_notes.c.party_id, filter_notes.c.message_id],
                set_={k: insert.excluded[k] for k in ("verdict", "reasons", "original", "ts_ms")},
            )
        )

    async def notes(self, party_id: str, message_ids: list[int]) -> dict[int, FilterNote]:
        if not message_ids:
            return {}
        rows = await self._read(
            sa.select(filter_notes).where(
                filter_notes.c.party_id == party_id, filter_notes.c.message_id.in_(message_ids)
            )
        )
        return {r.message_id: _note_from_row(r) for r in rows}

    # --- messages -------------------------------------------------------------------------
    async def message(self, party_id: str, message_id: int) -> Message | None:
        rows = await self._read(
            sa.select(messages).where(
                messages.c.party_id == party_id,
                messages.c.id == message_id,
                messages.c.deleted_at_ms.is_(None),
            )
        )
        return _message_from_row(rows[0]) if rows else None

    async def delete_messages(
        self,
        party_id: str,
        by: str,
        now_ms: int,
        *,
        ids: list[int] | None = None,
        user_id: str | None = None,
        since_ms: int | None = None,
    ) -> list[int]:
        """Delete (keeping the row for the audit trail) the given messages, or a user's
        messages since ``since_ms``. Returns the ids actually deleted now."""
        where = [messages.c.party_id == party_id, messages.c.deleted_at_ms.is_(None)]
        if ids is not None:
            where.append(messages.c.id.in_(ids))
        if user_id is not None:
            where.append(messages.c.user_id == user_id)
        if since_ms is not None:
            where.append(messages.c.ts_ms >= since_ms)
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                found = [r[0] for r in await conn.execute(sa.select(messages.c.id).where(*where))]
                if found:
                    await conn.execute(
                        sa.update(messages)
                        .where(messages.c.party_id == party_id, messages.c.id.in_(found))
                        .values(deleted_at_ms=now_ms, deleted_by=by)
                    )
        return sorted(found)

    async def restore_message(self, party_id: str, message_id: int) -> Message | None:
        await self._write(
            sa.update(messages)
            .where(messages.c.party_id == party_id, messages.c.id == message_id)
            .values(deleted_at_ms=None, deleted_by=None)
        )
        return await self.message(party_id, message_id)


def _held_from_row(row: sa.Row[Any]) -> Held:
    data = row._asdict()
    data.pop("decided_by")
    data.pop("decided_at_ms")
    return Held(**data | {"reasons": tuple(data["reasons"])})
