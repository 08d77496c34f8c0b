"""Where reaction clips' metadata and members' reports of them are kept (the media
files themselves are the clip directory's)."""

from __future__ import annotations

from typing import Protocol

from socialsync.domain.clips import Clip, ClipReport, ClipStatus
from socialsync.ports.webhooks import Outbox


class ClipStore(Protocol):
    """Clips and their reports, shared by every node (SQL) or by this process (memory).

    Scope: clip ids and party ids are minted by the server (random, unique across
    tenants), so calls by clip or party id are tenant-scoped by construction; calls
    that take a ``tenant_id`` see only that tenant's clips and reports, and reports
    are keyed by (tenant, clip, reporter).

    Consistency: every write is visible to every later read through any instance on
    the same backing store (read-your-writes).

    - ``set_status`` is compare-and-set: of concurrent callers expecting the same
      status exactly one wins; False when the clip is gone or moved on.
    - ``report``: one per (tenant, clip, reporter). Returns the number of distinct
      reporters of the clip, or None for a repeat (nothing changes); raises
      SyncError(not_found) for a clip not in the report's tenant. Concurrent reports
      of one clip are serialised: they see 1, 2, 3 ... each once, so exactly one of
      them reaches any threshold.
    - ``delete`` removes the clip and its reports.
    """

    async def add(self, clip: Clip, *, outbox: Outbox[Clip] | None = None) -> None:
        """``outbox``: the clip's webhook events, written in its transaction (so for the
        other writes: only when they change something)."""
        ...

    async def get(self, clip_id: str) -> Clip | None: ...

    async def of_party(self, party_id: str, media_url: str | None = None, limit: int = 500) -> list[Clip]:
        """The party's clips (of one media if given) by media_time_s, then id."""
        ...

    async def of_tenant(
        self, tenant_id: str, after: tuple[int, str] | None, limit: int, *, party_id: str | None = None
    ) -> list[Clip]:
        """The tenant's clips (of one party if given) by (created_at_ms, id), those after
        the key ``after`` only (a page of a list)."""
        ...

    async def count(self, party_id: str) -> int: ...

    async def held_per_party(self, tenant_id: str, party_ids: list[str]) -> dict[str, int]:
        """Clips waiting for review per party; parties without any are absent."""
        ...

    async def set_status(
        self, clip_id: str, expected: ClipStatus, status: ClipStatus, *, outbox: Outbox[str] | None = None
    ) -> bool: ...

    async def delete(self, clip_id: str, *, outbox: Outbox[str] | None = None) -> bool:
        """True if the clip was there."""
        ...

    async def report(self, report: ClipReport) -> int | None: ...

    async def report_counts(self, tenant_id: str, party_id: str) -> dict[str, int]:
        """Distinct reporters per clip of the party; clips nobody reported are absent."""
        ...

    async def reported_per_party(self, tenant_id: str, party_ids: list[str]) -> dict[str, int]:
        """Reported clips per party that are still visible (a clip counts once); absent if none."""
        ...

    async def reports_of(
        self, tenant_id: str, party_id: str, clip_id: str | None = None, limit: int = 100
    ) -> list[ClipReport]:
        """The party's (or one clip's) reports, newest first."""
        ...
