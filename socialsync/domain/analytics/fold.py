"""Incremental aggregation: what one batch of events adds to the aggregates. Pure; the
stores (memory, SQL) load the views' coverage the batch touches, call ``fold`` and
write what it returns (additive counters, newest coverage), in the batch's transaction.

Aggregates (kept longer than the raw events, docs/analytics.md):

- sessions: one row per viewer's session in a party (key: tenant, party, viewer, the
  session's join time): first and last activity, end, the ref it came by, watch time,
  messages, reactions;
- views: one row per session and media item: its watch time and the union of what it
  watched (``coverage``), from which retention and rewatches are counted;
- positions: per tenant, media item, UTC day and media second: views that watched that
  second (first time), rewatches of it, messages and reactions at it; second -1 holds
  the views that began watching that day (retention's denominator);
- refs: per invite or share, its kind, party, media, creation and opens;
- tallies: per poll or survey and answer, the count.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from socialsync.domain.analytics import coverage
from socialsync.domain.analytics.events import REF_SOURCES, TALLIED, Event, Kind

DAY_MS = 86_400_000
VIEW_ROW = -1  # the positions row counting views begun that day

SessionKey = tuple[str, str, str, int]  # tenant, party, viewer, session (join time)
ViewKey = tuple[str, str, str, int, str]  # ... and the media item
PositionKey = tuple[str, str, int, int]  # tenant, media, day (ms), second
RefKey = tuple[str, str]  # tenant, ref
TallyKey = tuple[str, str, str, str]  # tenant, kind, ref, value


@dataclass(slots=True)
class SessionDelta:
    media_id: str | None
    started_ms: int  # min over the batch (the stores keep the least)
    last_ms: int  # max (the stores keep the greatest)
    ended_ms: int | None = None
    ref: str | None = None
    watch_ms: int = 0
    messages: int = 0
    reactions: int = 0


@dataclass(slots=True)
class ViewDelta:
    started_ms: int  # the session's join time (views are found by it)
    first_ms: int
    last_ms: int
    coverage: coverage.Intervals  # the whole union after the batch (not a delta)
    watch_ms: int = 0
    messages: int = 0
    reactions: int = 0


@dataclass(slots=True)
class PositionDelta:
    viewers: int = 0
    rewatches: int = 0
    messages: int = 0
    reactions: int = 0


@dataclass(slots=True)
class RefRow:
    kind: str  # "invite" | "share"
    party_id: str | None
    media_id: str | None
    created_ms: int
    viewer: str | None


@dataclass
class Fold:
    sessions: dict[SessionKey, SessionDelta] = field(default_factory=dict)
    views: dict[ViewKey, ViewDelta] = field(default_factory=dict)
    positions: dict[PositionKey, PositionDelta] = field(default_factory=dict)
    refs: dict[RefKey, RefRow] = field(default_factory=dict)
    opens: dict[RefKey, int] = field(default_factory=dict)
    tallies: dict[TallyKey, int] = field(default_factory=dict)


def session_key(e: Event) -> SessionKey | None:
    if e.party_id is None or e.viewer is None or e.session_ms is None:
        return None
    return (e.tenant_id, e.party_id, e.viewer, e.session_ms)


def view_key(e: Event) -> ViewKey | None:
    key = session_key(e)
    return None if key is None or e.media_id is None else (*key, e.media_id)


def view_keys(events: Iterable[Event]) -> set[ViewKey]:
    """The views whose coverage a batch changes (the stores load these first)."""
    return {k for e in events if e.kind is Kind.WATCHED and e.pos_s is not None and (k := view_key(e))}


def tombstone(viewer: str) -> str:
    """What the store keeps of an erased viewer for a while: a hash of its pseudonym (the
    pseudonym itself is nowhere after an erasure)."""
    return hashlib.sha256(f"erased:{viewer}".encode()).hexdigest()[:32]


def without_erased(events: Iterable[Event], erased: set[tuple[str, str]]) -> list[Event]:
    """Events of viewers erased while they were on their way (``erased``: (tenant,
    tombstone)) are dropped; an invite or share they made stays, made by nobody."""
    out = []
    for e in events:
        if e.viewer is None or (e.tenant_id, tombstone(e.viewer)) not in erased:
            out.append(e)
        elif e.kind in REF_SOURCES:
            out.append(replace(e, viewer=None))
    return out


def day_of(ms: int) -> int:
    return ms - ms % DAY_MS


def fold(events: Iterable[Event], covered: Mapping[ViewKey, coverage.Intervals]) -> Fold:
    out = Fold()
    for e in sorted(events, key=lambda e: e.ts_ms):
        _session(out, e)
        _view(out, e, covered)
        _refs(out, e)
    return out


def _session(out: Fold, e: Event) -> None:
    key = session_key(e)
    if key is None or e.kind not in (Kind.JOINED, Kind.LEFT, Kind.WATCHED, Kind.MESSAGE, Kind.REACTION):
        return
    s = out.sessions.get(key)
    end = e.end_ms if e.end_ms is not None else e.ts_ms
    if s is None:
        s = out.sessions[key] = SessionDelta(e.media_id, e.ts_ms, end)
    s.started_ms = min(s.started_ms, e.ts_ms)
    s.last_ms = max(s.last_ms, end)
    if e.kind is Kind.JOINED:
        s.media_id = e.media_id or s.media_id
        s.ref = e.ref or s.ref
    elif e.kind is Kind.LEFT:
        s.ended_ms = max(s.ended_ms or 0, e.ts_ms)
    elif e.kind is Kind.WATCHED:
        s.watch_ms += e.watch_ms
    elif e.kind is Kind.MESSAGE:
        s.messages += 1
    elif e.kind is Kind.REACTION:
        s.reactions += 1


def _view(out: Fold, e: Event, covered: Mapping[ViewKey, coverage.Intervals]) -> None:
    if e.kind not in (Kind.WATCHED, Kind.MESSAGE, Kind.REACTION):
        return
    key = view_key(e)
    if key is None:
        return
    v = out.views.get(key)
    end = e.end_ms if e.end_ms is not None else e.ts_ms
    if v is None:
        v = out.views[key] = ViewDelta(key[3], e.ts_ms, end, covered.get(key, ()))
    v.first_ms, v.last_ms = min(v.first_ms, e.ts_ms), max(v.last_ms, end)
    day = day_of(e.ts_ms)
    tenant, media = key[0], key[4]
    if e.kind is Kind.WATCHED:
        v.watch_ms += e.watch_ms
        if e.pos_s is None or e.to_s is None:
            return
        began = not v.coverage
        v.coverage, fresh, again = coverage.add(v.coverage, e.pos_s, e.to_s)
        if began and v.coverage:
            _position(out, (tenant, media, day, VIEW_ROW)).viewers += 1
        for first, stop in fresh:
            for second in range(first, stop):
                _position(out, (tenant, media, day, second)).viewers += 1
        for first, stop in again:
            for second in range(first, stop):
                _position(out, (tenant, media, day, second)).rewatches += 1
        return
    if e.kind is Kind.MESSAGE:
        v.messages += 1
    else:
        v.reactions += 1
    if e.pos_s is not None and 0 <= e.pos_s < coverage.MAX_MARK:
        p = _position(out, (tenant, media, day, int(e.pos_s)))
        if e.kind is Kind.MESSAGE:
            p.messages += 1
        else:
            p.reactions += 1


def _position(out: Fold, key: PositionKey) -> PositionDelta:
    found = out.positions.get(key)
    if found is None:
        found = out.positions[key] = PositionDelta()
    return found


def _refs(out: Fold, e: Event) -> None:
    if e.ref is None:
        return
    key = (e.tenant_id, e.ref)
    source = REF_SOURCES.get(e.kind)
    if source is not None:
        out.refs.setdefault(key, RefRow(source, e.party_id, e.media_id, e.ts_ms, e.viewer))
    elif e.kind is Kind.INVITE_OPENED:
        out.opens[key] = out.opens.get(key, 0) + 1
    elif e.kind in TALLIED:
        tally = (e.tenant_id, e.kind.value, e.ref, e.value or "")
        out.tallies[tally] = out.tallies.get(tally, 0) + 1
