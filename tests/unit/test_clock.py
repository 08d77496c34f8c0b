"""NTP-style clock estimation: exact with a symmetric path, within half the round trip otherwise."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialsync.domain.clock_offset import ClockEstimator, ClockSample

no_db = settings(database=None, deadline=None)

# Integers keep the arithmetic exact (well below 2**53): realistic epoch milliseconds.
epoch_ms = st.integers(1_600_000_000_000, 1_900_000_000_000)
offsets_ms = st.integers(-(10**9), 10**9)
delays_ms = st.integers(0, 5_000)
server_ms = st.integers(0, 500)

# Floats over moderate magnitudes, where 1e-6 is a few hundred ulps.
client_s = st.floats(0, 1e5, allow_nan=False)
offsets_s = st.floats(-1e5, 1e5, allow_nan=False)
delays_s = st.floats(0, 10, allow_nan=False)


def exchange(t0: float, offset: float, up: float, server: float, down: float) -> ClockSample:
    """A round trip: ``up`` to the server, ``server`` spent there, ``down`` back; server = client + offset."""
    t1 = t0 + up + offset
    t2 = t1 + server
    t3 = t2 - offset + down
    return ClockSample(t0, t1, t2, t3)


class TestSample:
    def test_a_worked_example(self) -> None:
        sample = ClockSample(t0=1_000, t1=6_040, t2=6_045, t3=1_095)
        assert sample.rtt == 90
        assert sample.offset == 4_995

    @no_db
    @given(t0=epoch_ms, offset=offsets_ms, delay=delays_ms, server=server_ms)
    def test_symmetric_delay_gives_the_exact_offset(
        self, t0: int, offset: int, delay: int, server: int
    ) -> None:
        sample = exchange(t0, offset, delay, server, delay)
        assert sample.offset == offset
        assert sample.rtt == 2 * delay

    @no_db
    @given(t0=client_s, offset=offsets_s, delay=delays_s, server=delays_s)
    def test_symmetric_delay_in_float_seconds(
        self, t0: float, offset: float, delay: float, server: float
    ) -> None:
        sample = exchange(t0, offset, delay, server, delay)
        assert sample.offset == pytest.approx(offset, abs=1e-6)
        assert sample.rtt == pytest.approx(2 * delay, abs=1e-6)

    @no_db
    @given(t0=epoch_ms, offset=offsets_ms, up=delays_ms, down=delays_ms, server=server_ms)
    def test_asymmetric_delay_errs_by_at_most_half_the_round_trip(
        self, t0: int, offset: int, up: int, down: int, server: int
    ) -> None:
        sample = exchange(t0, offset, up, server, down)
        assert sample.rtt == up + down
        error = sample.offset - offset
        assert error == (up - down) / 2
        assert abs(error) <= sample.rtt / 2

    @no_db
    @given(t0=client_s, offset=offsets_s, up=delays_s, down=delays_s, server=delays_s)
    def test_asymmetric_delay_in_float_seconds(
        self, t0: float, offset: float, up: float, down: float, server: float
    ) -> None:
        sample = exchange(t0, offset, up, server, down)
        assert abs(sample.offset - offset) <= sample.rtt / 2 + 1e-6


class TestEstimator:
    def test_an_empty_estimator_knows_nothing(self) -> None:
        est = ClockEstimator()
        assert not est.ready
        assert est.best is None
        assert est.offset == 0.0
        assert est.error_bound == math.inf
        assert est.server_time(123.5) == 123.5

    @pytest.mark.parametrize("window", [0, -1])
    def test_the_window_holds_at_least_one(self, window: int) -> None:
        with pytest.raises(ValueError, match="window"):
            ClockEstimator(window)

    def test_it_trusts_the_sample_with_the_smallest_round_trip(self) -> None:
        est = ClockEstimator()
        slow = exchange(0, 5_000, up=300, server=2, down=10)  # off by 145
        fast = exchange(1_000, 5_000, up=12, server=2, down=8)  # off by 2
        for sample in (slow, fast, slow):
            est.add(sample)
        assert est.ready
        assert est.best == fast
        assert est.offset == 5_002
        assert est.error_bound == 10
        assert est.server_time(10_000) == 15_002

    def test_a_negative_round_trip_is_discarded(self) -> None:
        est = ClockEstimator()
        jumped = ClockSample(t0=1_000, t1=5_000, t2=5_100, t3=1_050)  # server time > client time
        assert jumped.rtt < 0
        est.add(jumped)
        assert not est.ready and est.best is None

    def test_a_zero_round_trip_is_kept(self) -> None:
        est = ClockEstimator()
        est.add(exchange(0, 7, 0, 3, 0))
        assert est.best is not None and est.best.rtt == 0
        assert est.error_bound == 0

    def test_old_samples_fall_out_of_the_window(self) -> None:
        est = ClockEstimator(window=3)
        best = exchange(0, 100, 1, 0, 1)
        est.add(best)
        worse = [exchange(10 * i, 200, 5, 0, 5) for i in range(1, 4)]
        est.add(worse[0])
        est.add(worse[1])
        assert est.best == best
        est.add(worse[2])  # pushes the best one out
        assert est.best == worse[0]
        assert est.offset == 200

    @no_db
    @given(
        t0=epoch_ms,
        offset=offsets_ms,
        trips=st.lists(st.tuples(delays_ms, server_ms, delays_ms), min_size=1, max_size=40),
        window=st.integers(1, 20),
    )
    def test_the_best_of_the_window_bounds_the_error(
        self, t0: int, offset: int, trips: list[tuple[int, int, int]], window: int
    ) -> None:
        est = ClockEstimator(window)
        samples = []
        for i, (up, server, down) in enumerate(trips):
            sample = exchange(t0 + 1_000 * i, offset, up, server, down)
            samples.append(sample)
            est.add(sample)
        recent = samples[-window:]
        best = est.best
        assert best is not None
        assert best in recent
        assert best.rtt == min(s.rtt for s in recent)
        assert est.error_bound == best.rtt / 2
        assert abs(est.offset - offset) <= est.error_bound
        # Every sample is within its own bound, and the chosen one has the tightest bound.
        assert all(abs(s.offset - offset) <= s.rtt / 2 for s in samples)
        assert all(est.error_bound <= s.rtt / 2 for s in recent)

    @no_db
    @given(
        good=st.lists(st.tuples(delays_ms, delays_ms), min_size=1, max_size=10),
        jumps=st.lists(st.integers(1, 10_000), max_size=10),
        window=st.integers(1, 30),
    )
    def test_rejected_samples_never_count(
        self, good: list[tuple[int, int]], jumps: list[int], window: int
    ) -> None:
        est = ClockEstimator(window)
        accepted = []
        for i, (up, down) in enumerate(good):
            sample = exchange(10_000 * i, 50, up, 1, down)
            accepted.append(sample)
            est.add(sample)
            if i < len(jumps):
                # The client clock went back during this exchange: t3 before the server's time spent.
                est.add(ClockSample(t0=0, t1=0, t2=jumps[i] + 1, t3=1))
        best = est.best
        assert best is not None and best.rtt >= 0
        assert best.rtt == min(s.rtt for s in accepted[-window:])
