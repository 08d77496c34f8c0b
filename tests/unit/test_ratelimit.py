"""Token buckets: time is passed in, nothing sleeps."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialsync.domain.ratelimit import Buckets, Limit, TokenBucket, Windows

T0 = 1_000_000
FIVE_PER_S = Limit(burst=5, per_s=5)


def test_a_full_bucket_allows_a_burst_then_says_how_long_to_wait() -> None:
    bucket = TokenBucket(FIVE_PER_S, T0)
    assert [bucket.take(T0) for _ in range(5)] == [0.0] * 5
    assert bucket.take(T0) == pytest.approx(0.2)


def test_a_refused_take_costs_nothing() -> None:
    bucket = TokenBucket(Limit(burst=1, per_s=1), T0)
    bucket.take(T0)
    for _ in range(10):
        assert bucket.take(T0) == pytest.approx(1.0)
    assert bucket.take(T0 + 1_000) == 0.0


def test_waiting_the_advised_time_is_enough() -> None:
    bucket = TokenBucket(FIVE_PER_S, T0)
    for _ in range(5):
        bucket.take(T0)
    wait_s = bucket.take(T0 + 50)
    assert wait_s == pytest.approx(0.15)
    assert bucket.take(T0 + 50 + round(wait_s * 1000) - 1) > 0
    assert bucket.take(T0 + 50 + round(wait_s * 1000)) == 0.0


def test_tokens_refill_at_the_rate_and_never_beyond_the_burst() -> None:
    bucket = TokenBucket(FIVE_PER_S, T0)
    for _ in range(5):
        bucket.take(T0)
    bucket.take(T0 + 400)  # two refilled, one taken
    assert bucket.tokens == pytest.approx(1.0)
    bucket.take(T0 + 3_600_000)
    assert bucket.tokens == pytest.approx(4.0)  # capped at 5 before this take


def test_a_costly_action_takes_several_tokens() -> None:
    bucket = TokenBucket(Limit(burst=10, per_s=2), T0)
    assert bucket.take(T0, cost=8) == 0.0
    assert bucket.take(T0, cost=4) == pytest.approx(1.0)  # two missing at two a second
    assert bucket.take(T0, cost=2) == 0.0


def test_a_cost_above_the_burst_is_never_allowed() -> None:
    bucket = TokenBucket(Limit(burst=2, per_s=1), T0)
    for hours in range(3):
        assert bucket.take(T0 + hours * 3_600_000, cost=3) > 0


def test_time_going_backwards_refills_nothing() -> None:
    bucket = TokenBucket(Limit(burst=1, per_s=1), T0)
    bucket.take(T0)
    assert bucket.take(T0 - 10_000) == pytest.approx(1.0)
    assert bucket.tokens == 0.0


def test_full_at_tells_when_an_idle_bucket_can_be_forgotten() -> None:
    bucket = TokenBucket(FIVE_PER_S, T0)
    assert bucket.full_at_ms() == T0
    for _ in range(3):
        bucket.take(T0 + 100)
    assert bucket.full_at_ms() == T0 + 100 + 600
    bucket.take(T0 + 100 + 600)
    assert bucket.tokens == pytest.approx(4.0)


@settings(database=None, deadline=None)
@given(
    burst=st.integers(1, 20),
    per_s=st.floats(0.1, 50),
    steps=st.lists(st.tuples(st.integers(0, 2_000), st.floats(0.5, 3)), max_size=60),
)
def test_allowed_actions_never_exceed_burst_plus_refill(
    burst: int, per_s: float, steps: list[tuple[int, float]]
) -> None:
    bucket = TokenBucket(Limit(burst=burst, per_s=per_s), T0)
    now, allowed = T0, 0.0
    for dt_ms, cost in steps:
        now += dt_ms
        wait_s = bucket.take(now, cost)
        assert wait_s >= 0
        if wait_s == 0:
            allowed += cost
        assert allowed <= burst + per_s * (now - T0) / 1000 + 1e-9
        assert 0 <= bucket.tokens <= burst


def test_buckets_forget_only_full_ones_when_over_their_size() -> None:
    limit = Limit(burst=2, per_s=1)
    buckets: Buckets[str] = Buckets(max_size=2)
    assert buckets.take("a", limit, 0) == 0
    assert buckets.take("b", limit, 0) == 0
    assert buckets.take("b", limit, 0) == 0
    # At its size: "a" refills by 1 000 ms, "b" (empty) only by 2 000 ms. A new key at
    # 1 500 ms forgets "a", whose bucket is full, and keeps "b", which would lose tokens.
    assert buckets.take("c", limit, 1_500) == 0
    assert buckets.take("b", limit, 1_500) == 0
    assert buckets.take("b", limit, 1_500) > 0


def test_windows_count_whole_actions_in_a_sliding_window() -> None:
    windows: Windows[str] = Windows(window_ms=1_000, max_size=10)
    assert windows.take("u", 2, 0) == 0
    assert windows.take("u", 2, 400) == 0
    assert windows.take("u", 2, 500) == 0.5  # the first leaves the window at 1 000 ms
    assert windows.take("v", 2, 500) == 0  # keys are apart
    assert windows.take("u", 2, 1_000) == 0
    assert windows.take("w", 0, 1_000) == 1.0  # a zero quota: wait a whole window
