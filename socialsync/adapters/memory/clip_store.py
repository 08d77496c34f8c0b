"""ClipStore in this process's memory: the single-node double of adapters/sql/clip_store.py.
Every call runs to its end without awaiting, so each is atomic on the event loop (which
is what makes ``set_status`` a compare-and-set and serialises ``report``)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable

from socialsync.adapters.memory.webhooks import MemoryWebhookStore, write_outbox
from socialsync.domain.clips import Clip, ClipReport, ClipStatus
from socialsync.domain.errors import Code, SyncError, not_found
from socialsync.ports.webhooks import Outbox


class MemoryClipStore:
    def __init__(self, outbox: MemoryWebhookStore | None = None) -> None:
        self._outbox = outbox  # where changes' webhook events go
        self._clips: dict[str, Clip] = {}
        self._reports: dict[tuple[str, str, str], ClipReport] = {}  # (tenant, clip, reporter)

    async def add(self, clip: Clip, *, outbox: Outbox[Clip] | None = None) -> None:
        if clip.id in self._clips:
            raise SyncError(Code.CONFLICT, f"clip {clip.id!r} exists")
        if outbox is not None:
            write_outbox(self._outbox, outbox(clip))
        self._clips[clip.id] = clip

    async def get(self, clip_id: str) -> Clip | None:
        return self._clips.get(clip_id)

    async def of_party(self, party_id: str, media_url: str | None = None, limit: int = 500) -> list[Clip]:
        found = [
            c
            for c in self._clips.values()
            if c.party_id == party_id and (media_url is None or c.media_url == media_url)
        ]
        found.sort(key=lambda c: (c.media_time_s, c.id))
        return found[: max(limit, 0)]

    async def of_tenant(
        self, tenant_id: str, after: tuple[int, str] | None, limit: int, *, party_id: str | None = None
    ) -> list[Clip]:
        found = sorted(
            (
                c
                for c in self._clips.values()
                if c.tenant_id == tenant_id
                and (party_id is None or c.party_id == party_id)
                and (after is None or (c.created_at_ms, c.id) > after)
            ),
            key=lambda c: (c.created_at_ms, c.id),
        )
        return found[: max(limit, 0)]

    async def count(self, party_id: str) -> int:
        return sum(1 for c in self._clips.values() if c.party_id == party_id)

    async def held_per_party(self, tenant_id: str, party_ids: list[str]) -> dict[str, int]:
        return _counts(
            c.party_id
            for c in self._clips.values()
            if c.tenant_id == tenant_id and c.party_id in party_ids and c.status is ClipStatus.HELD
        )

    async def set_status(
        self, clip_id: str, expected: ClipStatus, status: ClipStatus, *, outbox: Outbox[str] | None = None
    ) -> bool:
        clip = self._clips.get(clip_id)
        if clip is None or clip.status is not expected:
            return False
        if outbox is not None:
            write_outbox(self._outbox, outbox(clip_id))
        self._clips[clip_id] = dataclasses.replace(clip, status=status)
        return True

    async def delete(self, clip_id: str, *, outbox: Outbox[str] | None = None) -> bool:
        if clip_id not in self._clips:
            return False
        if outbox is not None:
            write_outbox(self._outbox, outbox(clip_id))
        del self._clips[clip_id]
        for key in [k for k in self._reports if k[1] == clip_id]:
            del self._reports[key]
        return True

    # --- reports ------------------------------------------------------------------------
    async def report(self, report: ClipReport) -> int | None:
        clip = self._clips.get(report.clip_id)
        if clip is None or clip.tenant_id != report.tenant_id:
            raise not_found(f"no clip {report.clip_id} in this party")
        key = (report.tenant_id, report.clip_id, report.reporter_id)
        if key in self._reports:
            return None
        self._reports[key] = report
        return sum(1 for t, c, _ in self._reports if (t, c) == key[:2])

    async def report_counts(self, tenant_id: str, party_id: str) -> dict[str, int]:
        return _counts(
            r.clip_id for r in self._reports.values() if r.tenant_id == tenant_id and r.party_id == party_id
        )

    async def reported_per_party(self, tenant_id: str, party_ids: list[str]) -> dict[str, int]:
        reported = {(t, c) for t, c, _ in self._reports}
        return _counts(
            c.party_id
            for c in self._clips.values()
            if c.tenant_id == tenant_id
            and c.party_id in party_ids
            and c.status is ClipStatus.VISIBLE
            and (c.tenant_id, c.id) in reported
        )

    async def reports_of(
        self, tenant_id: str, party_id: str, clip_id: str | None = None, limit: int = 100
    ) -> list[ClipReport]:
        found = [
            r
            for r in reversed(self._reports.values())
            if r.tenant_id == tenant_id
            and r.party_id == party_id
            and (clip_id is None or r.clip_id == clip_id)
        ]
        found.sort(key=lambda r: r.ts_ms, reverse=True)  # stable: newest recorded first on ties
        return found[: max(limit, 0)]


def _counts(keys: Iterable[str]) -> dict[str, int]:
    return dict(Counter(keys))
