"""Analytics: where the request path drops what it observed (``AnalyticsSink``), the
buffer that carries event batches from the nodes to the store (``AnalyticsBuffer``),
the store of raw events and aggregates (``AnalyticsStore``) and the metrics of the
pipeline itself (``AnalyticsObserver``). docs/analytics.md says what is promised."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from socialsync.domain.analytics.events import Batch, Event, MediaInfo
from socialsync.domain.analytics.metrics import PositionRow, RefInfo, SessionRow, ViewRow
from socialsync.domain.analytics.observations import Observation
from socialsync.domain.model import Media, Party, User
from socialsync.domain.party.commands import Command
from socialsync.domain.party.machine import Transition


class AnalyticsSink(Protocol):
    """What the services call on their request path. Never blocks, never raises, never
    does I/O: an observation is queued (a bounded queue; when it is full the observation
    is dropped and counted) and leaves the request path there."""

    def observe(self, observation: Observation) -> None: ...

    def party_changed(
        self, before: Party, command: Command, transition: Transition, now_ms: int, ref: str | None = None
    ) -> None:
        """A party command was committed (``ref``: the invite or share a join came by)."""
        ...

    def posted(
        self, party: Party, user: User, media_time_s: float | None, now_ms: int, emoji: str | None = None
    ) -> None:
        """A chat message (or a reaction, ``emoji``) of a member was accepted."""
        ...

    def marked(
        self,
        kind: str,
        tenant_id: str,
        now_ms: int,
        *,
        party_id: str | None = None,
        user_id: str | None = None,
        ref: str | None = None,
        value: str | None = None,
        media: Media | None = None,
    ) -> None:
        """An invite made or opened, a share, a poll vote, a survey answer (events.Kind)."""
        ...


class AnalyticsBuffer(Protocol):
    """Batches on their way to the store, shared by the nodes (Redis) or in this process
    (memory); bounded.

    - ``push``: False when the buffer is full (the caller waits and tries again:
      back-pressure); a pushed batch is kept until ``done``.
    - ``claim``: up to ``limit`` batches, oldest first, each claimed by one caller until
      ``now_ms + ttl_ms``; a claim that lapses (its node died) is handed out again.
      A batch may so be handed out twice: the store commits each batch id once.
    - ``done``: forget committed batches.
    """

    async def push(self, batch: Batch) -> bool: ...

    async def claim(self, limit: int, now_ms: int, ttl_ms: int) -> list[Batch]: ...

    async def done(self, batch_ids: Sequence[str]) -> None: ...

    async def pending(self) -> int:
        """Batches pushed and not done."""
        ...


@dataclass(frozen=True, slots=True)
class Scope:
    """What a query is about: one party, one media item, or (neither) the whole tenant."""

    tenant_id: str
    party_id: str | None = None
    media_id: str | None = None


class AnalyticsStore(Protocol):
    """Raw events (kept for the tenant's ``analytics_events_days``) and the aggregates
    (``analytics_aggregates_days``): SQL shared by every node, or memory.

    - ``commit``: the batches' raw events and their aggregates (domain.analytics.fold),
      all or none per call; a batch whose id was committed before is skipped (exactly
      once). Aggregation is incremental: a commit reads only the coverage of the views
      its events touch.
    - Reads see only ``scope.tenant_id``'s rows. Ranges are [since, until) in ms.
    - ``erase``: every raw event of these viewers is deleted, and their aggregate rows
      get a fresh random pseudonym (the counts stay, nobody can tie them to the user).
    - ``expire``: raw events before ``events_before_ms`` and aggregates before
      ``aggregates_before_ms`` are deleted; idempotent.
    """

    async def commit(self, batches: Sequence[Batch]) -> int:
        """Commit; returns the events written (those of batches not seen before)."""
        ...

    async def sessions(self, scope: Scope, since: int, until: int) -> list[SessionRow]:
        """Sessions overlapping the range (a media item's: sessions with a view of it)."""
        ...

    async def seen_before(self, scope: Scope, since: int, viewers: Sequence[str]) -> set[str]:
        """Which of ``viewers`` had a session in the scope starting before ``since``."""
        ...

    async def views(self, scope: Scope, since: int, until: int) -> list[ViewRow]:
        """Views (session x media item) whose session started in the range."""
        ...

    async def positions(self, tenant_id: str, media_id: str, since: int, until: int) -> list[PositionRow]:
        """The media item's per-second rows of the UTC days the range touches."""
        ...

    async def events(self, scope: Scope, since: int, until: int, kinds: Sequence[str] = ()) -> list[Event]:
        """Raw events in the range (of ``kinds``, if given), oldest first."""
        ...

    async def refs(self, scope: Scope, since: int, until: int) -> list[RefInfo]:
        """Invites and shares created in the range."""
        ...

    async def joined_by(self, tenant_id: str, refs: Sequence[str]) -> list[SessionRow]:
        """Sessions that came by one of ``refs``."""
        ...

    async def media(self, tenant_id: str, media_ids: Sequence[str]) -> list[MediaInfo]: ...

    async def tallies(self, tenant_id: str, kind: str, ref: str) -> dict[str, int]:
        """A poll's or survey's answers and their counts."""
        ...

    async def viewer_events(self, tenant_id: str, viewers: Sequence[str]) -> list[Event]:
        """Every raw event of these viewers (a user's export)."""
        ...

    async def erase(self, tenant_id: str, viewers: Sequence[str]) -> int:
        """Returns the rows deleted or pseudonymised again."""
        ...

    async def expire(
        self, tenant_id: str, events_before_ms: int, aggregates_before_ms: int
    ) -> dict[str, int]: ...


class AnalyticsObserver(Protocol):
    """The pipeline's own metrics. Never fails, never blocks."""

    def analytics_dropped(self, stage: str) -> None:
        """An observation or batch was dropped (``stage``: "queue" full, "buffer" full
        past the wait, "commit": a batch the store refuses, "error": an observation that
        could not be made, a bug)."""
        ...

    def analytics_committed(self, events: int) -> None: ...
