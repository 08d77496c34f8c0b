"""ModerationStore in this process's memory, beside a MemoryMessageStore whose messages
it takes down and puts back: the single-node double of adapters/sql/moderation_store.py.
Every call runs to its end without awaiting, so each is atomic on the event loop."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable

from socialsync.adapters.memory.message_store import MemoryMessageStore, StoredMessage
from socialsync.domain.chat.messages import Message
from socialsync.domain.errors import Code, SyncError
from socialsync.domain.moderation.sanctions import AuditEntry, Held, Report, Sanction, SanctionKind


@dataclasses.dataclass(slots=True)
class _Sanction:
    sanction: Sanction
    revoked_at_ms: int | None = None


class MemoryModerationStore:
    def __init__(self, messages: MemoryMessageStore) -> None:
        self._messages = messages
        self._sanctions: list[_Sanction] = []
        self._audit: list[AuditEntry] = []
        self._held: list[Held] = []  # id - 1 -> entry
        self._reports: dict[tuple[str, int, str], Report] = {}
        self._terms: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}

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
    async def audit(self, entry: AuditEntry) -> AuditEntry:
        # Ids keep growing when retention removes old entries.
        next_id = self._audit[-1].id + 1 if self._audit else 1
        stored = dataclasses.replace(entry, id=next_id, details=dict(entry.details))
        self._audit.append(stored)
        return dataclasses.replace(stored, details=dict(stored.details))

    async def audit_entries(
        self, tenant_id: str, party_id: str | None, before_id: int | None, limit: int
    ) -> list[AuditEntry]:
        found = [
            dataclasses.replace(e, details=dict(e.details))
            for e in reversed(self._audit)
            if e.tenant_id == tenant_id
            and (party_id is None or e.party_id == party_id)
            and (before_id is None or e.id < before_id)
        ]
        return found[: max(limit, 0)]

    # --- review queue -----------------------------------------------------------------
    async def hold(self, held: Held) -> Held:
        stored = dataclasses.replace(held, id=len(self._held) + 1, reasons=tuple(held.reasons))
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
        return decided

    # --- reports ------------------------------------------------------------------------
    async def report(self, report: Report) -> int | None:
        key = (report.party_id, report.message_id, report.reporter_id)
        if key in self._reports:
            return None
        self._reports[key] = report
        return sum(1 for p, m, _ in self._reports if (p, m) == key[:2])

    async def report_counts(self, party_ids: list[str]) -> dict[str, int]:
        up = {(p, m) for p, m, _ in self._reports if p in party_ids and self._row_up(p, m)}
        return _counts(p for p, _ in up)

    async def reports_of(self, party_id: str, limit: int = 100) -> list[Report]:
        found = [r for r in reversed(self._reports.values()) if r.party_id == party_id]
        found.sort(key=lambda r: r.ts_ms, reverse=True)  # stable: newest recorded first on ties
        return found[: max(limit, 0)]

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
    def _row(self, party_id: str, message_id: int) -> StoredMessage | None:
        stored = self._messages.stored(party_id)
        return stored[message_id - 1] if 0 < message_id <= len(stored) else None

    def _row_up(self, party_id: str, message_id: int) -> bool:
        row = self._row(party_id, message_id)
        return row is not None and row.deleted_at_ms is None

    def _row_message(self, party_id: str, message_id: int) -> Message | None:
        row = self._row(party_id, message_id)
        return row.message if row is not None and row.deleted_at_ms is None else None


def _counts(keys: Iterable[str]) -> dict[str, int]:
    return dict(Counter(keys))
