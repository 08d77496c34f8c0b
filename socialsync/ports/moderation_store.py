"""Where moderation keeps its records: sanctions, the review queue, reports, the audit
log, each tenant's term lists, and taking chat messages down or putting them back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from socialsync.domain.chat.messages import Message
from socialsync.domain.moderation.sanctions import (
    AuditEntry,
    FilterNote,
    Held,
    Report,
    Sanction,
    SanctionKind,
)
from socialsync.ports.webhooks import Outbox


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which audit entries to read, besides the tenant (and party): each field given must
    match (``since_ms <= ts_ms < until_ms``)."""

    actor_id: str | None = None
    action: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None

    def matches(self, actor_id: str, action: str, ts_ms: int) -> bool:
        return (
            (self.actor_id is None or actor_id == self.actor_id)
            and (self.action is None or action == self.action)
            and (self.since_ms is None or ts_ms >= self.since_ms)
            and (self.until_ms is None or ts_ms < self.until_ms)
        )


class ModerationStore(Protocol):
    """Moderation's durable records, shared by every node (SQL) or by this process (memory).

    Scope: sanctions, the audit log and term lists are keyed by tenant; two tenants
    whose users share an id never see each other's records. Everything else is keyed
    by party id, and party ids are minted by the server (random, unique across
    tenants), so a party-scoped call is tenant-scoped too.

    Consistency: every write is visible to every later read through any instance on
    the same backing store (read-your-writes, no cache here; callers cache).
    Ids (sanctions, audit entries, held messages) increase in insertion order.

    - Sanctions: ``add_sanction`` returns the sanction with its id. ``tenant_sanctions``
      returns those not revoked and not over (``until_ms`` None or > ``now_ms``).
      ``revoke`` ends the user's unrevoked sanctions of one kind in exactly that scope
      (a party, or tenant-wide with ``party_id=None``) and returns how many it ended.
    - Audit log: insert-only; ``audit_entries`` pages it newest first by id.
    - Review queue: ``held`` lists a party's undecided entries oldest first;
      ``decide`` moves one from "held" to the decision exactly once: a second
      decision raises SyncError(conflict), an unknown id or another party's raises
      SyncError(not_found).
    - Reports: one per (party, message, reporter); ``report`` returns the number of
      distinct reporters of the message, or None for a repeat (nothing changes).
      Concurrent reports of one message are serialised: they see 1, 2, 3 ... each
      once, so exactly one of them reaches any threshold. A report is *open* until a
      moderator decides the takedown it led to: a report filed before (or when) a held
      copy of its message (``Held.message_id``) was decided is dealt with; a report on a
      message deleted or held, and one filed after the decision, is open.
      ``report_counts`` and ``reports_of`` read open reports only, so a room's count
      and its list always agree.
    - Filter notes: at most one per (party, message); ``note`` replaces an earlier one;
      ``notes`` returns those of the given messages that exist (retention and erasure
      remove them: ports/privacy_store.py).
    - Messages: ``message`` returns a message only while it is not deleted;
      ``delete_messages`` keeps the row and returns, sorted, the ids it deleted now
      (already deleted ones are not returned again); ``restore_message`` undoes it.
    """

    # --- sanctions ---------------------------------------------------------------
    async def add_sanction(self, sanction: Sanction) -> Sanction: ...

    async def revoke(
        self, tenant_id: str, user_id: str, kind: SanctionKind, party_id: str | None, now_ms: int
    ) -> int: ...

    async def tenant_sanctions(self, tenant_id: str, now_ms: int) -> list[Sanction]: ...

    # --- tenant terms ------------------------------------------------------------
    async def tenant_terms(self, tenant_id: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(blocked, allowed) as last set; two empty tuples if never set."""
        ...

    async def set_tenant_terms(
        self, tenant_id: str, blocked: tuple[str, ...], allowed: tuple[str, ...], now_ms: int
    ) -> None:
        """Replace both lists (last write wins)."""
        ...

    # --- audit log ---------------------------------------------------------------
    async def audit(self, entry: AuditEntry, *, outbox: Outbox[AuditEntry] | None = None) -> AuditEntry:
        """``outbox``: the entry's webhook events, written in its transaction."""
        ...

    async def audit_entries(
        self,
        tenant_id: str,
        party_id: str | None,
        before_id: int | None,
        limit: int,
        *,
        filters: AuditFilter | None = None,
    ) -> list[AuditEntry]:
        """The tenant's entries (of one party if given) with id < before_id that match
        ``filters`` (if given), newest first."""
        ...

    # --- review queue ------------------------------------------------------------
    async def hold(self, held: Held, *, outbox: Outbox[Held] | None = None) -> Held: ...

    async def held(self, party_id: str) -> list[Held]: ...

    async def held_counts(self, party_ids: list[str]) -> dict[str, int]:
        """Undecided entries per party; parties without any are absent."""
        ...

    async def decide(self, party_id: str, held_id: int, decision: str, by: str, now_ms: int) -> Held: ...

    # --- reports -----------------------------------------------------------------
    async def report(self, report: Report, *, outbox: Outbox[int] | None = None) -> int | None:
        """``outbox`` (called with the count) only when the report is new."""
        ...

    async def report_counts(self, party_ids: list[str]) -> dict[str, int]:
        """Messages with open reports per party; parties without any are absent."""
        ...

    async def reports_of(self, party_id: str, limit: int = 100) -> list[Report]:
        """The party's open reports, newest first."""
        ...

    # --- filter notes --------------------------------------------------------------
    async def note(self, note: FilterNote) -> None:
        """What the filter said of a delivered message, for its moderators."""
        ...

    async def notes(self, party_id: str, message_ids: list[int]) -> dict[int, FilterNote]:
        """The notes of those of the party's messages that have one, by message id."""
        ...

    # --- messages ----------------------------------------------------------------
    async def message(self, party_id: str, message_id: int) -> Message | None: ...

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
        """Delete the party's messages matching every filter given (ids, author, ts_ms >= since_ms)."""
        ...

    async def restore_message(self, party_id: str, message_id: int) -> Message | None: ...
