"""Every metric, as a pure function of the stored aggregates (docs/analytics.md has the
definitions in a table; each function's docstring says the same).

Ranges are half-open [since, until) in server epoch ms. A session belongs to a range by
its start; concurrency counts every session overlapping it. A session not ended yet
lasts until ``now_ms`` (at most ``OPEN_LIMIT_MS`` past its last activity).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from socialsync.domain.analytics.coverage import Intervals

MINUTE_MS = 60_000
# A session never seen to end (its node died with it) counts at most this long past its
# last activity.
OPEN_LIMIT_MS = 6 * 3_600_000
STILL_WATCHING_MS = 5 * MINUTE_MS
INTRO_S = 30
MAX_POINTS = 10_000


@dataclass(frozen=True, slots=True)
class SessionRow:
    party_id: str
    viewer: str
    session_ms: int
    media_id: str | None
    started_ms: int
    last_ms: int
    ended_ms: int | None
    ref: str | None
    watch_ms: int
    messages: int
    reactions: int

    def end(self, now_ms: int) -> int:
        """When it ended; one not ended yet: now (at most ``OPEN_LIMIT_MS`` past its last activity)."""
        if self.ended_ms is not None:
            return self.ended_ms
        return min(max(now_ms, self.last_ms), self.last_ms + OPEN_LIMIT_MS)


@dataclass(frozen=True, slots=True)
class ViewRow:
    party_id: str
    viewer: str
    session_ms: int
    media_id: str
    first_ms: int
    last_ms: int
    watch_ms: int
    messages: int
    reactions: int
    coverage: Intervals


@dataclass(frozen=True, slots=True)
class PositionRow:
    second: int
    viewers: int
    rewatches: int
    messages: int
    reactions: int


@dataclass(frozen=True, slots=True)
class RefInfo:
    ref: str
    kind: str
    party_id: str | None
    media_id: str | None
    created_ms: int
    opens: int


# ---------------------------------------------------------------------------- concurrency


@dataclass(frozen=True, slots=True)
class Point:
    t_ms: int  # the step's start
    peak: int  # most viewers at once within the step
    average: float  # time-weighted mean within the step


@dataclass(frozen=True, slots=True)
class Concurrency:
    points: tuple[Point, ...]
    peak: int
    peak_at_ms: int | None
    average: float


def concurrency(spans: Iterable[tuple[int, int]], since: int, until: int, step_ms: int) -> Concurrency:
    """Viewers at once over [since, until): each span [start, end) counts while it lasts.
    Per step: the peak and the time-weighted average; overall the same."""
    length = max(1, until - since)
    step_ms = max(step_ms, -(-length // MAX_POINTS), 1)
    edges: dict[int, int] = defaultdict(int)
    level = 0
    for start, end in spans:
        start, end = max(start, since), min(end, until)
        if end <= start:
            continue
        edges[start] += 1
        edges[end] -= 1
    times = sorted(edges)
    points: list[Point] = []
    peak, peak_at, total = 0, None, 0.0
    i = 0
    for t0 in range(since, until, step_ms):
        t1 = min(until, t0 + step_ms)
        while i < len(times) and times[i] <= t0:
            level += edges[times[i]]
            i += 1
        step_peak, area, at = level, 0.0, t0
        if level > peak:
            peak, peak_at = level, t0
        while i < len(times) and times[i] < t1:
            area += level * (times[i] - at)
            at = times[i]
            level += edges[times[i]]
            i += 1
            step_peak = max(step_peak, level)
            if level > peak:
                peak, peak_at = level, at
        area += level * (t1 - at)
        total += area
        points.append(Point(t0, step_peak, area / (t1 - t0)))
    return Concurrency(tuple(points), peak, peak_at, total / length)


# ---------------------------------------------------------------------------- summary


@dataclass(frozen=True, slots=True)
class Summary:
    sessions: int
    unique_viewers: int
    returning_viewers: int
    parties: int
    session_duration_mean_s: float | None
    session_duration_median_s: float | None
    watch_time_s: float
    watch_time_per_viewer_s: float | None
    peak_viewers: int
    average_viewers: float
    average_party_size: float | None
    messages: int
    reactions: int
    engagement_per_minute: float | None


def summary(
    sessions: Sequence[SessionRow],
    since: int,
    until: int,
    now_ms: int,
    seen_before: set[str],
    views: Sequence[ViewRow] | None = None,
) -> Summary:
    """``sessions``: every session overlapping the range (those that started in it are
    counted; all of them make the concurrency). ``seen_before``: viewers with a session
    in this scope that started before ``since``. ``views`` (a media item's): its watch
    time, messages and reactions instead of the sessions' (which span all media)."""
    started = [s for s in sessions if since <= s.started_ms < until]
    viewers = {s.viewer for s in started}
    per_viewer: dict[str, int] = defaultdict(int)
    for s in started:
        per_viewer[s.viewer] += 1
    returning = {v for v, n in per_viewer.items() if n > 1 or v in seen_before}
    durations = [(s.end(now_ms) - s.started_ms) / 1000 for s in started]
    if views is None:
        watch_ms = sum(s.watch_ms for s in started)
        messages = sum(s.messages for s in started)
        reactions = sum(s.reactions for s in started)
    else:
        keys = {(s.party_id, s.viewer, s.session_ms) for s in started}
        mine = [v for v in views if (v.party_id, v.viewer, v.session_ms) in keys]
        watch_ms = sum(v.watch_ms for v in mine)
        messages = sum(v.messages for v in mine)
        reactions = sum(v.reactions for v in mine)
    spans = [(s.started_ms, s.end(now_ms)) for s in sessions]
    crowd = concurrency(spans, since, until, max(1, until - since))
    return Summary(
        sessions=len(started),
        unique_viewers=len(viewers),
        returning_viewers=len(returning),
        parties=len({s.party_id for s in started}),
        session_duration_mean_s=statistics.fmean(durations) if durations else None,
        session_duration_median_s=statistics.median(durations) if durations else None,
        watch_time_s=watch_ms / 1000,
        watch_time_per_viewer_s=watch_ms / 1000 / len(viewers) if viewers else None,
        peak_viewers=crowd.peak,
        average_viewers=crowd.average,
        average_party_size=party_size(sessions, since, until, now_ms),
        messages=messages,
        reactions=reactions,
        engagement_per_minute=(messages + reactions) / (watch_ms / MINUTE_MS) if watch_ms else None,
    )


def party_size(sessions: Iterable[SessionRow], since: int, until: int, now_ms: int) -> float | None:
    """Viewers per party while it had any: Σ viewer-time / Σ time each party had a viewer."""
    by_party: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for s in sessions:
        by_party[s.party_id].append((s.started_ms, s.end(now_ms)))
    viewer_ms = occupied_ms = 0.0
    for spans in by_party.values():
        edges: dict[int, int] = defaultdict(int)
        for start, end in spans:
            start, end = max(start, since), min(end, until)
            if end > start:
                edges[start] += 1
                edges[end] -= 1
        level, at = 0, None
        for t in sorted(edges):
            if at is not None and level > 0:
                viewer_ms += level * (t - at)
                occupied_ms += t - at
            level += edges[t]
            at = t
    return viewer_ms / occupied_ms if occupied_ms else None


# ---------------------------------------------------------------------------- retention


@dataclass(frozen=True, slots=True)
class Retention:
    views: int  # views that watched any of it: the denominator
    points: tuple[tuple[int, float], ...]  # (second or percent, % of views still watching)
    intro_percent: float | None  # at INTRO_S


def positions_by_second(rows: Iterable[PositionRow]) -> dict[int, PositionRow]:
    """Rows of several days summed per second."""
    out: dict[int, list[int]] = {}
    for r in rows:
        acc = out.setdefault(r.second, [0, 0, 0, 0])
        acc[0] += r.viewers
        acc[1] += r.rewatches
        acc[2] += r.messages
        acc[3] += r.reactions
    return {s: PositionRow(s, *acc) for s, acc in out.items()}


def retention(
    by_second: dict[int, PositionRow], views: int, duration_s: float | None, unit: str = "second"
) -> Retention:
    """The share (%) of views that watched each second of the media (``unit`` "second"),
    or each percent of its duration (``unit`` "percent": the second at that share of it).
    A view counts at second s when what it watched holds s, however it got there."""

    def percent_at(second: int) -> float:
        row = by_second.get(second)
        return round(100 * row.viewers / views, 2) if row and views else 0.0

    last = max((s for s in by_second if s >= 0), default=-1)
    end = int(duration_s) if duration_s is not None else last + 1
    if unit == "percent":
        if duration_s is None or duration_s <= 0:
            points: tuple[tuple[int, float], ...] = ()
        else:
            points = tuple((k, percent_at(min(end - 1, int(duration_s * k / 100)))) for k in range(101))
    else:
        points = tuple((s, percent_at(s)) for s in range(max(0, end)))
    intro = percent_at(INTRO_S) if views and (duration_s is None or duration_s > INTRO_S) else None
    return Retention(views, points, intro)


# ---------------------------------------------------------------------------- key moments


@dataclass(frozen=True, slots=True)
class Moment:
    start_s: int
    end_s: int
    reactions: int
    messages: int
    rewatches: int
    viewers: int  # views that watched its first second

    @property
    def score(self) -> int:
        return self.reactions + self.messages + self.rewatches


def moments(by_second: dict[int, PositionRow], bucket_s: int, duration_s: float | None) -> list[Moment]:
    """Reactions, messages and rewatches per bucket of media time [k·b, (k+1)·b)."""
    buckets: dict[int, list[int]] = {}
    for second, r in by_second.items():
        if second < 0:
            continue
        acc = buckets.setdefault(second // bucket_s, [0, 0, 0, 0])
        acc[0] += r.reactions
        acc[1] += r.messages
        acc[2] += r.rewatches
        if second % bucket_s == 0:
            acc[3] = r.viewers
    last = max(buckets, default=-1)
    if duration_s is not None:
        last = max(last, int(duration_s - 1e-9) // bucket_s)
    out = []
    for k in range(last + 1):
        acc = buckets.get(k, [0, 0, 0, 0])
        out.append(Moment(k * bucket_s, (k + 1) * bucket_s, acc[0], acc[1], acc[2], acc[3]))
    return out


def top_moments(buckets: Sequence[Moment], top: int) -> list[Moment]:
    """The densest buckets (most reactions, messages and rewatches; earlier wins a tie),
    no two side by side, in media order: chapter markers."""
    chosen: list[Moment] = []
    taken: set[int] = set()
    for m in sorted(buckets, key=lambda m: (-m.score, m.start_s)):
        if len(chosen) >= top or m.score <= 0:
            break
        k = m.start_s
        size = m.end_s - m.start_s
        if k in taken:
            continue
        chosen.append(m)
        taken.update({k - size, k, k + size})
    return sorted(chosen, key=lambda m: m.start_s)


# ---------------------------------------------------------------------------- funnels


@dataclass(frozen=True, slots=True)
class Step:
    step: str
    count: int
    conversion: float | None  # count / the previous step's


def _steps(named: Sequence[tuple[str, int]]) -> list[Step]:
    out, previous = [], None
    for name, count in named:
        out.append(Step(name, count, None if previous is None else (count / previous if previous else None)))
        previous = count
    return out


def funnels(refs: Sequence[RefInfo], joined: Sequence[SessionRow], now_ms: int) -> dict[str, list[Step]]:
    """Invites: created → link opened (each opening) → joined (viewers who joined by one,
    each once per invite) → still watching 5 min after joining (of those, a session by
    the invite that lasted 5 min). Shares: shared → joined → still watching 5 min."""
    kinds = {r.ref: r.kind for r in refs}
    joins: dict[str, set[tuple[str, str]]] = {"invite": set(), "share": set()}
    stayed: dict[str, set[tuple[str, str]]] = {"invite": set(), "share": set()}
    for s in joined:
        kind = kinds.get(s.ref or "")
        if kind is None or s.ref is None:
            continue
        joins[kind].add((s.ref, s.viewer))
        if s.end(now_ms) - s.started_ms >= STILL_WATCHING_MS:
            stayed[kind].add((s.ref, s.viewer))
    invites = [r for r in refs if r.kind == "invite"]
    shares = [r for r in refs if r.kind == "share"]
    return {
        "invite": _steps(
            [
                ("created", len(invites)),
                ("opened", sum(r.opens for r in invites)),
                ("joined", len(joins["invite"])),
                ("watching_5min", len(stayed["invite"])),
            ]
        ),
        "share": _steps(
            [
                ("shared", len(shares)),
                ("joined", len(joins["share"])),
                ("watching_5min", len(stayed["share"])),
            ]
        ),
    }


# ---------------------------------------------------------------------------- per viewer and top lists


@dataclass(frozen=True, slots=True)
class ViewerStats:
    viewer: str
    sessions: int
    watch_time_s: float
    messages: int
    reactions: int
    per_minute: float | None  # messages and reactions per minute watched


def per_viewer(rows: Iterable[tuple[str, int, int, int]]) -> list[ViewerStats]:
    """(viewer, watch ms, messages, reactions) per session or view, summed per viewer;
    most watched first."""
    acc: dict[str, list[int]] = {}
    for viewer, watch, messages, reactions in rows:
        a = acc.setdefault(viewer, [0, 0, 0, 0])
        a[0] += 1
        a[1] += watch
        a[2] += messages
        a[3] += reactions
    out = [
        ViewerStats(v, a[0], a[1] / 1000, a[2], a[3], (a[2] + a[3]) / (a[1] / MINUTE_MS) if a[1] else None)
        for v, a in acc.items()
    ]
    return sorted(out, key=lambda s: (-s.watch_time_s, s.viewer))


@dataclass(frozen=True, slots=True)
class Ranked:
    key: str  # a party's id or a media item's
    sessions: int
    unique_viewers: int
    watch_time_s: float
    messages: int
    reactions: int


def ranked(rows: Iterable[tuple[str, str, int, int, int]], limit: int) -> list[Ranked]:
    """(key, viewer, watch ms, messages, reactions) per session or view, summed per key;
    most watched first."""
    acc: dict[str, list[int]] = {}
    viewers: dict[str, set[str]] = defaultdict(set)
    for key, viewer, watch, messages, reactions in rows:
        a = acc.setdefault(key, [0, 0, 0, 0])
        a[0] += 1
        a[1] += watch
        a[2] += messages
        a[3] += reactions
        viewers[key].add(viewer)
    out = [Ranked(k, a[0], len(viewers[k]), a[1] / 1000, a[2], a[3]) for k, a in acc.items()]
    return sorted(out, key=lambda r: (-r.watch_time_s, -r.sessions, r.key))[:limit]
