"""Analytics in this process: the buffer of the embedded server (between the pipeline
and the SQL store) and a store for tests (the embedded server keeps its analytics in
SQLite, adapters/sql/analytics.py). Both follow ports/analytics.py."""

from __future__ import annotations

import secrets
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import replace

from socialsync.domain.analytics.events import Batch, Event, MediaInfo
from socialsync.domain.analytics.fold import (
    DAY_MS,
    SessionKey,
    ViewKey,
    fold,
    tombstone,
    view_keys,
    without_erased,
)
from socialsync.domain.analytics.metrics import OPEN_LIMIT_MS, PositionRow, RefInfo, SessionRow, ViewRow
from socialsync.ports.analytics import Scope

# Batch ids a store remembers having committed (a lapsed claim hands one out again).
REMEMBERED_BATCHES = 100_000


class MemoryAnalyticsBuffer:
    def __init__(self, max_batches: int = 1_000) -> None:
        self.max_batches = max_batches
        self._queue: deque[Batch] = deque()
        self._claimed: dict[str, tuple[int, Batch]] = {}

    async def push(self, batch: Batch) -> bool:
        if len(self._queue) + len(self._claimed) >= self.max_batches:
            return False
        self._queue.append(batch)
        return True

    async def claim(self, limit: int, now_ms: int, ttl_ms: int) -> list[Batch]:
        lapsed = [b for until, b in self._claimed.values() if until <= now_ms]
        for batch in lapsed:
            del self._claimed[batch.batch_id]
        self._queue.extendleft(reversed(lapsed))
        taken: list[Batch] = []
        while self._queue and len(taken) < limit:
            batch = self._queue.popleft()
            self._claimed[batch.batch_id] = (now_ms + ttl_ms, batch)
            taken.append(batch)
        return taken

    async def done(self, batch_ids: Sequence[str]) -> None:
        for batch_id in batch_ids:
            self._claimed.pop(batch_id, None)

    async def pending(self) -> int:
        return len(self._queue) + len(self._claimed)


class MemoryAnalyticsStore:
    def __init__(self) -> None:
        self._events: list[Event] = []
        self._sessions: dict[SessionKey, SessionRow] = {}
        self._views: dict[ViewKey, tuple[int, ViewRow]] = {}  # (session's start, row)
        self._positions: dict[tuple[str, str, int, int], list[int]] = {}
        self._refs: dict[tuple[str, str], RefInfo] = {}
        self._ref_viewers: dict[tuple[str, str], str | None] = {}
        self._tallies: dict[tuple[str, str, str, str], int] = {}
        self._media: dict[tuple[str, str], MediaInfo] = {}
        self._batches: OrderedDict[str, None] = OrderedDict()
        self._erased: set[tuple[str, str]] = set()  # (tenant, tombstone): late events dropped

    async def commit(self, batches: Sequence[Batch]) -> int:
        fresh: list[Batch] = []
        for b in batches:
            if b.batch_id not in self._batches:
                self._batches[b.batch_id] = None
                fresh.append(b)
        events = without_erased((e for b in fresh for e in b.events), self._erased)
        for b in fresh:
            for m in b.media:
                self._media[(m.tenant_id, m.media_id)] = m
        while len(self._batches) > REMEMBERED_BATCHES:
            self._batches.popitem(last=False)
        covered = {k: self._views[k][1].coverage for k in view_keys(events) if k in self._views}
        done = fold(events, covered)
        self._events.extend(events)
        for key, d in done.sessions.items():
            old = self._sessions.get(key)
            if old is None:
                old = SessionRow(
                    key[1], key[2], key[3], d.media_id, d.started_ms, d.last_ms, None, None, 0, 0, 0
                )
            self._sessions[key] = replace(
                old,
                media_id=old.media_id or d.media_id,
                started_ms=min(old.started_ms, d.started_ms),
                last_ms=max(old.last_ms, d.last_ms),
                ended_ms=max(old.ended_ms or 0, d.ended_ms) if d.ended_ms is not None else old.ended_ms,
                ref=old.ref or d.ref,
                watch_ms=old.watch_ms + d.watch_ms,
                messages=old.messages + d.messages,
                reactions=old.reactions + d.reactions,
            )
        for vkey, v in done.views.items():
            found = self._views.get(vkey)
            if found is None:
                row = ViewRow(vkey[1], vkey[2], vkey[3], vkey[4], v.first_ms, v.last_ms, 0, 0, 0, ())
            else:
                row = found[1]
            self._views[vkey] = (
                v.started_ms,
                replace(
                    row,
                    first_ms=min(row.first_ms, v.first_ms),
                    last_ms=max(row.last_ms, v.last_ms),
                    watch_ms=row.watch_ms + v.watch_ms,
                    messages=row.messages + v.messages,
                    reactions=row.reactions + v.reactions,
                    coverage=v.coverage,
                ),
            )
        for pkey, p in done.positions.items():
            acc = self._positions.setdefault(pkey, [0, 0, 0, 0])
            acc[0] += p.viewers
            acc[1] += p.rewatches
            acc[2] += p.messages
            acc[3] += p.reactions
        for rkey, r in done.refs.items():
            if rkey not in self._refs:
                self._refs[rkey] = RefInfo(rkey[1], r.kind, r.party_id, r.media_id, r.created_ms, 0)
                self._ref_viewers[rkey] = r.viewer
        for rkey, n in done.opens.items():
            ref = self._refs.get(rkey) or RefInfo(rkey[1], "invite", None, None, 0, 0)
            self._refs[rkey] = replace(ref, opens=ref.opens + n)
        for tkey, n in done.tallies.items():
            self._tallies[tkey] = self._tallies.get(tkey, 0) + n
        return len(events)

    # ------------------------------------------------------------------ reads
    def _session_in(self, key: SessionKey, row: SessionRow, scope: Scope) -> bool:
        if key[0] != scope.tenant_id or (scope.party_id is not None and row.party_id != scope.party_id):
            return False
        if scope.media_id is None:
            return True
        return any(
            v.media_id == scope.media_id and (k[0], k[1], k[2], k[3]) == key
            for k, (_, v) in self._views.items()
            if k[0] == key[0] and k[1] == key[1]
        )

    async def sessions(self, scope: Scope, since: int, until: int) -> list[SessionRow]:
        return sorted(
            (
                row
                for key, row in self._sessions.items()
                if self._session_in(key, row, scope)
                and row.started_ms < until
                and (
                    row.ended_ms > since if row.ended_ms is not None else row.last_ms > since - OPEN_LIMIT_MS
                )
            ),
            key=lambda r: (r.started_ms, r.party_id, r.viewer),
        )

    async def seen_before(self, scope: Scope, since: int, viewers: Sequence[str]) -> set[str]:
        wanted = set(viewers)
        return {
            row.viewer
            for key, row in self._sessions.items()
            if row.viewer in wanted and row.started_ms < since and self._session_in(key, row, scope)
        }

    async def views(self, scope: Scope, since: int, until: int) -> list[ViewRow]:
        return [
            row
            for key, (started, row) in self._views.items()
            if key[0] == scope.tenant_id
            and (scope.party_id is None or row.party_id == scope.party_id)
            and (scope.media_id is None or row.media_id == scope.media_id)
            and since <= started < until
        ]

    async def positions(self, tenant_id: str, media_id: str, since: int, until: int) -> list[PositionRow]:
        first, last = since - since % DAY_MS, until
        return sorted(
            (
                PositionRow(key[3], *acc)
                for key, acc in self._positions.items()
                if key[0] == tenant_id and key[1] == media_id and first <= key[2] < last
            ),
            key=lambda r: r.second,
        )

    async def events(self, scope: Scope, since: int, until: int, kinds: Sequence[str] = ()) -> list[Event]:
        wanted = set(kinds)
        return [
            e
            for e in sorted(self._events, key=lambda e: e.ts_ms)
            if e.tenant_id == scope.tenant_id
            and (scope.party_id is None or e.party_id == scope.party_id)
            and (scope.media_id is None or e.media_id == scope.media_id)
            and since <= e.ts_ms < until
            and (not wanted or e.kind.value in wanted)
        ]

    async def refs(self, scope: Scope, since: int, until: int) -> list[RefInfo]:
        return sorted(
            (
                r
                for (tenant, _), r in self._refs.items()
                if tenant == scope.tenant_id
                and (scope.party_id is None or r.party_id == scope.party_id)
                and (scope.media_id is None or r.media_id == scope.media_id)
                and since <= r.created_ms < until
            ),
            key=lambda r: (r.created_ms, r.ref),
        )

    async def joined_by(self, tenant_id: str, refs: Sequence[str]) -> list[SessionRow]:
        wanted = set(refs)
        return [row for key, row in self._sessions.items() if key[0] == tenant_id and row.ref in wanted]

    async def media(self, tenant_id: str, media_ids: Sequence[str]) -> list[MediaInfo]:
        return [self._media[(tenant_id, m)] for m in media_ids if (tenant_id, m) in self._media]

    async def tallies(self, tenant_id: str, kind: str, ref: str) -> dict[str, int]:
        return {k[3]: n for k, n in self._tallies.items() if k[:3] == (tenant_id, kind, ref)}

    async def viewer_events(self, tenant_id: str, viewers: Sequence[str]) -> list[Event]:
        wanted = set(viewers)
        return [e for e in self._events if e.tenant_id == tenant_id and e.viewer in wanted]

    # ------------------------------------------------------------------ privacy
    async def erase(self, tenant_id: str, viewers: Sequence[str]) -> int:
        wanted = set(viewers)
        self._erased |= {(tenant_id, tombstone(v)) for v in wanted}
        before = len(self._events)
        self._events = [e for e in self._events if not (e.tenant_id == tenant_id and e.viewer in wanted)]
        changed = before - len(self._events)
        for viewer in wanted:
            alias = _alias()
            for key in [k for k in self._sessions if k[0] == tenant_id and k[2] == viewer]:
                row = self._sessions.pop(key)
                self._sessions[(key[0], key[1], alias, key[3])] = replace(row, viewer=alias)
                changed += 1
            for vkey in [k for k in self._views if k[0] == tenant_id and k[2] == viewer]:
                started, vrow = self._views.pop(vkey)
                self._views[(vkey[0], vkey[1], alias, vkey[3], vkey[4])] = (
                    started,
                    replace(vrow, viewer=alias),
                )
                changed += 1
            for rkey, creator in self._ref_viewers.items():
                if rkey[0] == tenant_id and creator == viewer:
                    self._ref_viewers[rkey] = alias
                    changed += 1
        return changed

    async def expire(
        self, tenant_id: str, events_before_ms: int, aggregates_before_ms: int
    ) -> dict[str, int]:
        before = len(self._events)
        self._events = [e for e in self._events if e.tenant_id != tenant_id or e.ts_ms >= events_before_ms]
        old_sessions = [
            k for k, r in self._sessions.items() if k[0] == tenant_id and r.last_ms < aggregates_before_ms
        ]
        for k in old_sessions:
            del self._sessions[k]
        old_views = [
            k for k, (_, r) in self._views.items() if k[0] == tenant_id and r.last_ms < aggregates_before_ms
        ]
        for vk in old_views:
            del self._views[vk]
        cutoff_day = aggregates_before_ms - aggregates_before_ms % DAY_MS
        old_positions = [k for k in self._positions if k[0] == tenant_id and k[2] < cutoff_day]
        for pk in old_positions:
            del self._positions[pk]
        old_refs = [
            k for k, r in self._refs.items() if k[0] == tenant_id and r.created_ms < aggregates_before_ms
        ]
        for rk in old_refs:
            del self._refs[rk]
            self._ref_viewers.pop(rk, None)
        return {
            "analytics_events": before - len(self._events),
            "analytics_aggregates": len(old_sessions) + len(old_views) + len(old_positions) + len(old_refs),
        }


def _alias() -> str:
    """A fresh pseudonym for an erased viewer's aggregate rows (tied to nothing)."""
    return "x" + secrets.token_urlsafe(15)
