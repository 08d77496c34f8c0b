"""Badges (docs/engagement.md): what viewers earned (``BadgeStore``) and the analytics
aggregates they are earned from (``BadgeFacts``). Both see only the tenant asked about,
and know viewers by their pseudonyms, never by user ids.

- ``award``: idempotent. A kind earned once keeps its highest level (a lower one never
  replaces it); a kind earned per party keeps one row per party. Concurrent awards from
  several nodes converge on the highest.
- ``of``: the awards of these viewers (a user's pseudonyms under every key).
- ``erase``: every award of these viewers goes; ``expire``: those not earned or raised
  since ``before_ms``.
- ``BadgeFacts`` reads what the analytics committer wrote (committed data only).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from socialsync.domain.badges import Award, PartySession, SessionFact


class BadgeStore(Protocol):
    async def award(self, awards: Sequence[Award]) -> int:
        """Write what is new or higher; returns the rows written."""
        ...

    async def of(self, tenant_id: str, viewers: Sequence[str]) -> list[Award]: ...

    async def erase(self, tenant_id: str, viewers: Sequence[str]) -> int: ...

    async def expire(self, tenant_id: str, before_ms: int) -> int: ...


class BadgeFacts(Protocol):
    async def viewer_sessions(self, tenant_id: str, viewer: str) -> list[SessionFact]:
        """Every session of the viewer in the aggregates, each with its party's first
        session and number of viewers."""
        ...

    async def party_sessions(self, tenant_id: str, party_id: str) -> list[PartySession]:
        """Every session of the party in the aggregates (live: of a live media item)."""
        ...
