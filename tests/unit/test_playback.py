"""Playback arithmetic: extrapolation, scheduled starts, the duration clamp, drift and in-sync hysteresis."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialsync.domain.model import Media, MediaKind, Playback, Status
from socialsync.domain.party.playback import BACK_IN_SYNC_S, OUT_OF_SYNC_S, drift_s, next_in_sync, position_at

FILM = Media(url="https://cdn.example/film.mp4", duration_s=100.0)
ENDLESS = Media(url="https://cdn.example/endless.mp4")
CHANNEL = Media(url="https://cdn.example/live.m3u8", kind=MediaKind.LIVE)
AT = 50_000

no_db = settings(database=None, deadline=None)


def playing(position_s: float = 10.0, rate: float = 1.0, media: Media = FILM) -> Playback:
    return Playback(media=media, status=Status.PLAYING, position_s=position_s, rate=rate, at_ms=AT)


class TestPositionAt:
    @pytest.mark.parametrize("status", [Status.PAUSED, Status.WAITING])
    @pytest.mark.parametrize("now", [0, AT - 1, AT, AT + 1, AT + 60_000])
    def test_a_stopped_party_holds_its_position(self, status: Status, now: int) -> None:
        pb = Playback(media=FILM, status=status, position_s=10.0, at_ms=AT)
        assert position_at(pb, now) == 10.0

    @pytest.mark.parametrize(
        ("elapsed_ms", "rate", "expected"),
        [(0, 1.0, 10.0), (1, 1.0, 10.001), (1_500, 1.0, 11.5), (1_500, 2.0, 13.0), (1_000, 0.5, 10.5)],
    )
    def test_playing_advances_at_the_rate(self, elapsed_ms: int, rate: float, expected: float) -> None:
        assert position_at(playing(rate=rate), AT + elapsed_ms) == pytest.approx(expected)

    @pytest.mark.parametrize("now", [AT - 200, AT - 1, AT])
    def test_players_hold_until_a_scheduled_start(self, now: int) -> None:
        assert position_at(playing(), now) == 10.0

    def test_the_position_is_clamped_to_the_duration(self) -> None:
        assert position_at(playing(), AT + 89_999) == pytest.approx(99.999)
        assert position_at(playing(), AT + 90_000) == 100.0
        assert position_at(playing(), AT + 3_600_000) == 100.0
        assert position_at(playing(rate=2.0), AT + 60_000) == 100.0

    def test_a_stopped_position_beyond_the_duration_is_clamped_too(self) -> None:
        assert position_at(Playback(media=FILM, position_s=150.0), AT) == 100.0

    def test_media_without_a_duration_runs_on(self) -> None:
        assert position_at(playing(media=ENDLESS), AT + 3_600_000) == pytest.approx(3_610.0)

    def test_live_positions_are_program_time(self) -> None:
        program = AT / 1000 - 30.0
        pb = playing(position_s=program, media=CHANNEL)
        assert position_at(pb, AT + 86_400_000) == pytest.approx(program + 86_400)

    @no_db
    @given(
        position=st.floats(0, 1_000),
        rate=st.floats(0.25, 4),
        t1=st.integers(0, 10**7),
        t2=st.integers(0, 10**7),
    )
    def test_playing_never_runs_backwards_nor_past_the_end(
        self, position: float, rate: float, t1: int, t2: int
    ) -> None:
        pb = Playback(
            media=Media(url="u", duration_s=1_000.0),
            status=Status.PLAYING,
            position_s=position,
            rate=rate,
            at_ms=5_000_000,
        )
        early, late = sorted((t1, t2))
        assert position_at(pb, early) <= position_at(pb, late) <= 1_000.0
        assert position_at(pb, early) >= position


class TestDrift:
    def test_ahead_is_positive_and_behind_negative(self) -> None:
        pb = playing()
        assert drift_s(pb, 12.3, AT + 2_000) == pytest.approx(0.3)
        assert drift_s(pb, 11.5, AT + 2_000) == pytest.approx(-0.5)
        assert drift_s(pb, 12.0, AT + 2_000) == pytest.approx(0.0)

    def test_drift_is_measured_at_the_reported_instant(self) -> None:
        # The same report is exact for the instant it describes, and 1 s behind a second later.
        pb = playing()
        assert drift_s(pb, 15.0, AT + 5_000) == pytest.approx(0.0)
        assert drift_s(pb, 15.0, AT + 6_000) == pytest.approx(-1.0)

    def test_before_a_scheduled_start_the_target_is_the_start_position(self) -> None:
        assert drift_s(playing(), 10.0, AT - 100) == 0.0

    def test_past_the_end_the_target_is_the_end(self) -> None:
        assert drift_s(playing(), 100.0, AT + 200_000) == 0.0


class TestInSyncHysteresis:
    def test_the_thresholds_leave_a_gap(self) -> None:
        assert 0 < BACK_IN_SYNC_S < OUT_OF_SYNC_S

    @pytest.mark.parametrize(
        ("was", "drift", "now"),
        [
            (True, 0.0, True),
            (True, 0.2, True),
            (True, -0.2, True),
            (True, OUT_OF_SYNC_S, True),
            (True, -OUT_OF_SYNC_S, True),
            (True, 0.26, False),
            (True, -0.26, False),
            (False, 0.2, False),
            (False, -0.2, False),
            (False, 0.11, False),
            (False, BACK_IN_SYNC_S, True),
            (False, -BACK_IN_SYNC_S, True),
            (False, 0.0, True),
        ],
    )
    def test_table(self, was: bool, drift: float, now: bool) -> None:
        assert next_in_sync(was, drift) is now

    @no_db
    @given(was=st.booleans(), drift=st.floats(-10, 10))
    def test_properties(self, was: bool, drift: float) -> None:
        result = next_in_sync(was, drift)
        if abs(drift) <= BACK_IN_SYNC_S:
            assert result  # close enough is in sync whatever it was
        elif abs(drift) > OUT_OF_SYNC_S:
            assert not result  # too far is out of sync whatever it was
        else:
            assert result is was  # in the gap the flag keeps its value: no flapping

    def test_a_member_hovering_at_one_threshold_does_not_flap(self) -> None:
        state, flips = True, 0
        for drift in [0.24, 0.26, 0.24, 0.26, 0.24, 0.26, 0.2, 0.15]:
            new = next_in_sync(state, drift)
            flips += new is not state
            state = new
        assert flips == 1 and state is False
