"""The aggregation (coverage, fold) and every metric function, on small cases worked out
by hand."""

from __future__ import annotations

import pytest

from socialsync.domain.analytics import coverage
from socialsync.domain.analytics.events import Batch, Event, Kind, MediaInfo
from socialsync.domain.analytics.fold import DAY_MS, VIEW_ROW, fold
from socialsync.domain.analytics.metrics import (
    PositionRow,
    RefInfo,
    SessionRow,
    concurrency,
    funnels,
    moments,
    party_size,
    per_viewer,
    positions_by_second,
    ranked,
    retention,
    summary,
    top_moments,
)

S = 1000


def session(party: str, viewer: str, start_s: int, end_s: int | None, **kw: object) -> SessionRow:
    fields: dict[str, object] = dict(ref=None, watch_ms=0, messages=0, reactions=0) | kw
    return SessionRow(
        party,
        viewer,
        start_s * S,
        "m",
        start_s * S,
        (end_s or start_s) * S,
        None if end_s is None else end_s * S,
        **fields,
    )  # type: ignore[arg-type]


def test_coverage_counts_first_views_and_rewatches_by_whole_second() -> None:
    covered, fresh, again = coverage.add((), 0.0, 10.0)
    assert covered == ((0.0, 10.0),) and fresh == [(0, 10)] and again == []
    covered, fresh, again = coverage.add(covered, 10.0, 12.5)  # contiguous: nothing again
    assert covered == ((0.0, 12.5),) and fresh == [(10, 13)] and again == []
    covered, fresh, again = coverage.add(covered, 5.0, 20.0)  # back over 5..12.5
    assert covered == ((0.0, 20.0),) and fresh == [(13, 20)] and again == [(5, 13)]
    covered, fresh, again = coverage.add(((0.0, 5.0), (8.0, 9.0)), 3.0, 10.0)
    assert fresh == [(5, 8), (9, 10)] and again == [(3, 5), (8, 9)] and covered == ((0.0, 10.0),)
    assert coverage.from_data(coverage.to_data(covered)) == covered


def test_fold_aggregates_sessions_views_positions_refs_and_tallies() -> None:
    day = 20_000 * DAY_MS
    e = [
        Event("t", Kind.JOINED, day + 0, "p", "v1", 7, "m", ref="inv"),
        Event("t", Kind.WATCHED, day + 0, "p", "v1", 7, "m", 0.0, 3.0, day + 3_000),
        Event("t", Kind.WATCHED, day + 3_000, "p", "v1", 7, "m", 1.0, 4.0, day + 6_000),  # 1..3 again
        Event("t", Kind.REACTION, day + 4_000, "p", "v1", 7, "m", 2.5, value="👍"),
        Event("t", Kind.LEFT, day + 9_000, "p", "v1", 7, "m"),
        Event("t", Kind.INVITE_CREATED, day, "p", "v0", media_id="m", ref="inv"),
        Event("t", Kind.INVITE_OPENED, day, "p", ref="inv"),
        Event("t", Kind.POLL_VOTE, day, "p", "v1", ref="poll", value="b"),
    ]
    done = fold(e, {})
    s = done.sessions[("t", "p", "v1", 7)]
    assert (s.started_ms, s.last_ms, s.ended_ms, s.ref, s.watch_ms, s.reactions) == (
        day,
        day + 9_000,
        day + 9_000,
        "inv",
        6_000,
        1,
    )
    v = done.views[("t", "p", "v1", 7, "m")]
    assert v.coverage == ((0.0, 4.0),) and v.watch_ms == 6_000 and v.reactions == 1
    positions = {k[3]: (p.viewers, p.rewatches, p.reactions) for k, p in done.positions.items()}
    assert positions == {VIEW_ROW: (1, 0, 0), 0: (1, 0, 0), 1: (1, 1, 0), 2: (1, 1, 1), 3: (1, 0, 0)}
    assert done.refs[("t", "inv")].kind == "invite" and done.opens[("t", "inv")] == 1
    assert done.tallies == {("t", "poll_vote", "poll", "b"): 1}
    # A later batch goes on from the stored coverage.
    again = fold(
        [Event("t", Kind.WATCHED, day + 20_000, "p", "v1", 7, "m", 3.0, 5.0, day + 22_000)],
        {("t", "p", "v1", 7, "m"): v.coverage},
    )
    assert {k[3]: (p.viewers, p.rewatches) for k, p in again.positions.items()} == {3: (0, 1), 4: (1, 0)}


def test_batches_travel_as_plain_data() -> None:
    batch = Batch(
        "b1",
        (Event("t", Kind.WATCHED, 1, "p", "v", 2, "m", 0.5, 1.5, 3, None, None),),
        (MediaInfo("t", "m", "https://x/y.mp4", "Y", 12.0, False),),
    )
    assert Batch.from_data(batch.to_data()) == batch


def test_concurrency_peaks_and_averages_per_step() -> None:
    spans = [(0, 10 * S), (5 * S, 15 * S), (5 * S, 6 * S)]
    c = concurrency(spans, 0, 20 * S, 10 * S)
    assert [(p.t_ms, p.peak) for p in c.points] == [(0, 3), (10 * S, 1)]
    assert c.points[0].average == pytest.approx((10 + 5 + 1) / 10)
    assert c.points[1].average == pytest.approx(5 / 10)
    assert (c.peak, c.peak_at_ms) == (3, 5 * S)
    assert c.average == pytest.approx(21 / 20)
    assert concurrency([], 0, 10, 1).peak == 0


def test_summary_counts_sessions_started_in_the_range_and_returning_viewers() -> None:
    rows = [
        session("p1", "a", 0, 100, watch_ms=60_000, messages=2),
        session("p1", "b", 10, 40, watch_ms=30_000, reactions=4),
        session("p1", "a", 50, 80, watch_ms=30_000),  # a again: returning
        session("p2", "c", 20, None, watch_ms=0),  # still there at now=120
        session("p2", "d", -50, 30),  # started before the range: concurrency only
    ]
    got = summary(rows, 0, 100 * S, 120 * S, seen_before={"c"})
    assert (got.sessions, got.unique_viewers, got.returning_viewers, got.parties) == (4, 3, 2, 2)
    assert got.session_duration_mean_s == pytest.approx((100 + 30 + 30 + 100) / 4)
    assert got.watch_time_s == 120 and got.watch_time_per_viewer_s == 40
    assert got.engagement_per_minute == pytest.approx(6 / 2)
    assert got.peak_viewers == 4  # from 20 s to 30 s: a, b, c and d
    assert got.average_viewers == pytest.approx((100 + 30 + 30 + 80 + 30) / 100)
    assert got.average_party_size == pytest.approx((160 + 110) / (100 + 100))


def test_party_size_is_viewer_time_over_occupied_time() -> None:
    rows = [session("p", "a", 0, 10), session("p", "b", 5, 10), session("q", "c", 0, 10)]
    assert party_size(rows, 0, 100 * S, 0) == pytest.approx((10 + 5 + 10) / 20)


def test_retention_per_second_and_per_percent() -> None:
    rows = positions_by_second(
        [
            PositionRow(VIEW_ROW, 4, 0, 0, 0),
            PositionRow(0, 4, 0, 0, 0),
            PositionRow(1, 2, 0, 0, 0),
            PositionRow(0, 0, 0, 0, 0),
        ]
    )
    r = retention(rows, 4, 4.0)
    assert r.points == ((0, 100.0), (1, 50.0), (2, 0.0), (3, 0.0)) and r.intro_percent is None
    p = retention(rows, 4, 4.0, "percent")
    assert p.points[0] == (0, 100.0) and p.points[25] == (25, 50.0) and p.points[100] == (100, 0.0)
    assert retention(rows, 4, 40.0).intro_percent == 0.0


def test_key_moments_and_chapter_markers() -> None:
    rows = positions_by_second(
        [PositionRow(s, 1, 0, 0, 3) for s in range(10, 12)]
        + [PositionRow(25, 1, 2, 1, 0), PositionRow(31, 1, 0, 0, 5), PositionRow(55, 1, 0, 1, 0)]
    )
    buckets = moments(rows, 10, 60.0)
    assert [(b.start_s, b.score) for b in buckets] == [(0, 0), (10, 6), (20, 3), (30, 5), (40, 0), (50, 1)]
    top = top_moments(buckets, 3)
    assert [m.start_s for m in top] == [10, 30, 50]  # 20 sits beside 10 and 30


def test_funnels_count_each_step_once_per_viewer() -> None:
    refs = [
        RefInfo("i1", "invite", "p", "m", 0, 3),
        RefInfo("i2", "invite", "p", "m", 0, 0),
        RefInfo("s1", "share", "p", "m", 0, 0),
    ]
    joined = [
        session("p", "a", 0, 400, ref="i1"),
        session("p", "a", 500, 510, ref="i1"),  # a again by the same invite: one join
        session("p", "b", 0, 60, ref="i1"),
        session("p", "c", 0, None, ref="s1"),  # still there after 5 min at now
    ]
    got = funnels(refs, joined, now_ms=1_000 * S)
    assert [(s.step, s.count) for s in got["invite"]] == [
        ("created", 2),
        ("opened", 3),
        ("joined", 2),
        ("watching_5min", 1),
    ]
    assert [s.conversion for s in got["invite"]] == [None, 1.5, pytest.approx(2 / 3), 0.5]
    assert [(s.step, s.count) for s in got["share"]] == [("shared", 1), ("joined", 1), ("watching_5min", 1)]


def test_per_viewer_and_ranked_lists() -> None:
    viewers = per_viewer([("a", 120_000, 1, 1), ("b", 0, 1, 0), ("a", 60_000, 0, 1)])
    assert [(v.viewer, v.sessions, v.watch_time_s, v.per_minute) for v in viewers] == [
        ("a", 2, 180.0, 1.0),
        ("b", 1, 0.0, None),
    ]
    best = ranked([("p1", "a", 10, 0, 0), ("p2", "a", 50, 1, 0), ("p2", "b", 50, 0, 0)], 1)
    assert [(r.key, r.sessions, r.unique_viewers, r.watch_time_s) for r in best] == [("p2", 2, 2, 0.1)]
