"""What part of a media item a view has watched: a union of half-open intervals of
media seconds, and the whole seconds ("marks") a new piece covers for the first time
or again (a rewatch). Retention counts a view at second s when its union holds s."""

from __future__ import annotations

import math

Intervals = tuple[tuple[float, float], ...]  # sorted, disjoint, each [start, end)
Ranges = list[tuple[int, int]]  # whole seconds [first, stop)

# A view's union is kept to this many intervals (the closest ones merge beyond it).
MAX_INTERVALS = 256
# Marks are counted up to this position (24 h of media); later seconds only in watch time.
MAX_MARK = 86_400


def marks(start_s: float, end_s: float) -> tuple[int, int]:
    """The whole seconds s with start <= s < end, as [first, stop), within 0..MAX_MARK."""
    first = max(0, math.ceil(start_s))
    stop = min(MAX_MARK, math.ceil(end_s))
    return first, max(first, stop)


def add(covered: Intervals, start_s: float, end_s: float) -> tuple[Intervals, Ranges, Ranges]:
    """``covered`` with [start, end) added, the marks it covers for the first time, and
    those it covers again."""
    if end_s <= start_s:
        return covered, [], []
    first, stop = marks(start_s, end_s)
    fresh: Ranges = []
    again: Ranges = []
    cursor = first
    for a, b in covered:
        if cursor >= stop:
            break
        lo, hi = marks(a, b)
        if hi <= cursor or lo >= stop:
            continue
        lo, hi = max(lo, cursor), min(hi, stop)
        if lo > cursor:
            fresh.append((cursor, lo))
        if hi > lo:
            again.append((lo, hi))
        cursor = max(cursor, hi)
    if cursor < stop:
        fresh.append((cursor, stop))
    return _union(covered, start_s, end_s), fresh, again


def _union(covered: Intervals, start_s: float, end_s: float) -> Intervals:
    out: list[tuple[float, float]] = []
    placed = False
    for a, b in covered:
        if b < start_s:
            out.append((a, b))
        elif a > end_s:
            if not placed:
                out.append((start_s, end_s))
                placed = True
            out.append((a, b))
        else:
            start_s, end_s = min(a, start_s), max(b, end_s)
    if not placed:
        out.append((start_s, end_s))
    while len(out) > MAX_INTERVALS:
        gaps = [out[i + 1][0] - out[i][1] for i in range(len(out) - 1)]
        i = gaps.index(min(gaps))
        out[i : i + 2] = [(out[i][0], out[i + 1][1])]
    return tuple(out)


def covers(covered: Intervals, second: float) -> bool:
    return any(a <= second < b for a, b in covered)


def to_data(covered: Intervals) -> list[list[float]]:
    return [[a, b] for a, b in covered]


def from_data(data: object) -> Intervals:
    if not isinstance(data, list):
        return ()
    return tuple((float(a), float(b)) for a, b in data)
