"""Where moderation keeps its records: sanctions, the review queue, reports, the audit
log, each tenant's term lists, and taking chat messages down or putting them back."""

from __future__ import annotations

from typing import Protocol

from socialsync.domain.chat.messages import Message
from socialsync.domain.moderation.sanctions import AuditEntry, Held, Report, Sanction, SanctionKind


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
      once, so exactly one of them reaches any threshold.
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
    async def audit(self, entry: AuditEntry) -> AuditEntry: ...

    async def audit_entries(
        self, tenant_id: str, party_id: str | None, before_id: int | None, limit: int
    ) -> list[AuditEntry]:
        """The tenant's entries (of one party if given) with id < before_id, newest first."""
        ...

    # --- review queue ------------------------------------------------------------
    async def hold(self, held: Held) -> Held: ...

    async def held(self, party_id: str) -> list[Held]: ...

    async def held_counts(self, party_ids: list[str]) -> dict[str, int]:
        """Undecided entries per party; parties without any are absent."""
        ...

    async def decide(self, party_id: str, held_id: int, decision: str, by: str, now_ms: int) -> Held: ...

    # --- reports -----------------------------------------------------------------
    async def report(self, report: Report) -> int | None: ...

    async def report_counts(self, party_ids: list[str]) -> dict[str, int]:
        """Reported messages per party that are still up (not deleted); absent if none."""
        ...

    async def reports_of(self, party_id: str, limit: int = 100) -> list[Report]:
        """The party's reports, newest first."""
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
