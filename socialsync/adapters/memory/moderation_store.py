"""ModerationStore in this process's memory, beside a MemoryMessageStore whose messages
it takes down and puts back: the single-node double of adapters/sql/moderation_store.py.
Every call runs to its end without awaiting, so each is atomic on the event loop."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable

from socialsync.adapters.memory.message_store import MemoryMessageStore, StoredMessage
from socialsync.adapters.memory.webhooks import MemoryWebhookStore, write_outbox
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


@dataclasses.dataclass(slots=True)
class _Sanction:
    sanction: Sanction
    revoked_at_ms: int | None = None


class MemoryModerationStore:
    def __init__(self, messages: MemoryMessageStore, outbox: MemoryWebhookStore | None = None) -> None:
        self._messages = messages
        self._outbox = outbox  # where changes' webhook events go
        self._sanctions: list[_Sanction] = []
        self._audit: list[AuditEntry] = []
        self._held: list[Held] = []  # id - 1 -> entry
        self._decided_at: dict[int, int] = {}  # held id -> when it was decided
        self._reports: dict[tuple[str, int, str], Report] = {}
        self._terms: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._notes: dict[tuple[str, int], FilterNote] = {}

    # --- sanctions ------------------------------------------------------------------
    async def add_sanction(self, sanction: Sanction) -> Sanction:
        stored = dataclasses.replace(sanction, id=len(self._sanctions) + 1)
        self._sanctions.append(_Sanction(stored))
        return stored

    async def revoke(
        self, tenant_id: str, user_id: str, kind: SanctionKind, party_id: str | None, now_ms: int
    ) -> int:
        ended = 0
        for row in self._sanctions:
            s = row.sanction
            if (s.tenant_id, s.user_id, s.kind, s.party_id) == (tenant_id, user_id, kind, party_id):
                if row.revoked_at_ms is None:
                    row.revoked_at_ms = now_ms
                    ended += 1
        return ended

    async def tenant_sanctions(self, tenant_id: str, now_ms: int) -> list[Sanction]:
        return [
            row.sanction
            for row in self._sanctions
            if row.sanction.tenant_id == tenant_id
            and row.revoked_at_ms is None
            and (row.sanction.until_ms is None or row.sanction.until_ms > now_ms)
        ]

    # --- tenant terms --------------------------------------------------------------------
    async def tenant_terms(self, tenant_id: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return self._terms.get(tenant_id, ((), ()))

    async def set_tenant_terms(
        self, tenant_id: str, blocked: tuple[str, ...], allowed: tuple[str, ...], now_ms: int
    ) -> None:
        self._terms[tenant_id] = (tuple(blocked), tuple(allowed))

    # --- audit log (insert-only) ----------------------------------------------------
    async def audit(self, entry: AuditEntry, *, outbox: Outbox[AuditEntry] | None = None) -> AuditEntry:
        # Ids keep growing when retention removes old entries.
        next_id = self._audit[-1].id + 1 if self._audit else 1
        stored = dataclasses.replace(entry, id=next_id, details=dict(entry.details))
        if outbox is not None:
            write_outbox(self._outbox, outbox(stored))
        self._audit.append(stored)
        return dataclasses.replace(stored, details=dict(stored.details))

    async def audit_entries(
        self,
        tenant_id: str,
        party_id: str | None,
        before_id: int | None,
        limit: int,
        *,
        filters: AuditFilter | None = None,
    ) -> list[AuditEntry]:
        found = [
            dataclasses.replace(e, details=dict(e.details))
            for e in reversed(self._audit)
            if e.tenant_id == tenant_id
            and (party_id is None or e.party_id == party_id)
            and (before_id is None or e.id < before_id)
            and (filters is None or filters.matches(e.actor_id, e.action, e.ts_ms))
        ]
        return found[: max(limit, 0)]

    # --- review queue -----------------------------------------------------------------
    async def hold(self, held: Held, *, outbox: Outbox[Held] | None = None) -> Held:
        stored = dataclasses.replace(held, id=len(self._held) + 1, reasons=tuple(held.reasons))
        if outbox is not None:
            write_outbox(self._outbox, outbox(stored))
        self._held.append(stored)
        return stored

    async def held(self, party_id: str) -> list[Held]:
        return [h for h in self._held if h.party_id == party_id and h.status == "held"]

    async def held_counts(self, party_ids: list[str]) -> dict[str, int]:
        return _counts(h.party_id for h in self._held if h.party_id in party_ids and h.status == "held")

    async def decide(self, party_id: str, held_id: int, decision: str, by: str, now_ms: int) -> Held:
        if not 0 < held_id <= len(self._held) or self._held[held_id - 1].party_id != party_id:
            raise SyncError(Code.NOT_FOUND, f"no held message {held_id} in this room")
        current = self._held[held_id - 1]
        if current.status != "held":
            raise SyncError(Code.CONFLICT, f"held message {held_id} was already {current.status}")
        self._held[held_id - 1] = decided = dataclasses.replace(current, status=decision)
        self._decided_at[held_id] = now_ms
        return decided

    # --- reports ------------------------------------------------------------------------
    async def report(self, report: Report, *, outbox: Outbox[int] | None = None) -> int | None:
        key = (report.party_id, report.message_id, report.reporter_id)
        if key in self._reports:
            return None
        count = 1 + sum(1 for p, m, _ in self._reports if (p, m) == key[:2])
        if outbox is not None:
            write_outbox(self._outbox, outbox(count))
        self._reports[key] = report
        return count

    async def report_counts(self, party_ids: list[str]) -> dict[str, int]:
        wanted = set(party_ids)
        dealt = self._dealt_with()
        reported = {
            (r.party_id, r.message_id)
            for r in self._reports.values()
            if r.party_id in wanted and not _dealt(r, dealt)
        }
        return _counts(p for p, _ in reported)

    async def reports_of(self, party_id: str, limit: int = 100) -> list[Report]:
        dealt = self._dealt_with()
        found = [
            r for r in reversed(self._reports.values()) if r.party_id == party_id and not _dealt(r, dealt)
        ]
        found.sort(key=lambda r: r.ts_ms, reverse=True)  # stable: newest recorded first on ties
        return found[: max(limit, 0)]

    # --- filter notes ---------------------------------------------------------------------
    async def note(self, note: FilterNote) -> None:
        self._notes[(note.party_id, note.message_id)] = dataclasses.replace(note, reasons=tuple(note.reasons))

    async def notes(self, party_id: str, message_ids: list[int]) -> dict[int, FilterNote]:
        found = (self._notes.get((party_id, m)) for m in message_ids)
        return {n.message_id: n for n in found if n is not None}

    # --- messages -------------------------------------------------------------------------
    async def message(self, party_id: str, message_id: int) -> Message | None:
        return self._row_message(party_id, message_id)

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
        found: list[int] = []
        for row in self._messages.stored(party_id):
            m = row.message
            if (
                row.deleted_at_ms is None
                and (ids is None or m.id in ids)
                and (user_id is None or m.user_id == user_id)
                and (since_ms is None or m.ts_ms >= since_ms)
            ):
                row.deleted_at_ms, row.deleted_by = now_ms, by
                found.append(m.id)
        return sorted(found)

    async def restore_message(self, party_id: str, message_id: int) -> Message | None:
        row = self._row(party_id, message_id)
        if row is not None:
            row.deleted_at_ms = row.deleted_by = None
        return self._row_message(party_id, message_id)

    # --- internals ------------------------------------------------------------------------
    def _dealt_with(self) -> dict[tuple[str, int], int]:
        """(party, message) -> the latest decision on a held copy of it (a takedown by reports)."""
        out: dict[tuple[str, int], int] = {}
        for held_id, at in self._decided_at.items():
            h = self._held[held_id - 1]
            if h.message_id is not None:
                key = (h.party_id, h.message_id)
                out[key] = max(out.get(key, at), at)
        return out

    def _row(self, party_id: str, message_id: int) -> StoredMessage | None:
        stored = self._messages.stored(party_id)
        return stored[message_id - 1] if 0 < message_id <= len(stored) else None

    def _row_message(self, party_id: str, message_id: int) -> Message | None:
        row = self._row(party_id, message_id)
        return row.message if row is not None and row.deleted_at_ms is None else None


def _dealt(report: Report, dealt: dict[tuple[str, int], int]) -> bool:
    """The port's open report, negated: a moderator decided its takedown after it was filed."""
    at = dealt.get((report.party_id, report.message_id))
    return at is not None and at >= report.ts_ms


def _counts(keys: Iterable[str]) -> dict[str, int]:
    return dict(Counter(keys))
