"""Sync health, ads and breaks, live channels' shared delay: the machine's rules, time passed in."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_party import CHANNEL, LEAD, RULES, STALL, T0, Room, build, playing_room, stall

from socialsync.domain.errors import Code
from socialsync.domain.model import Status
from socialsync.domain.party import commands as c
from socialsync.domain.party import events as e
from socialsync.domain.party.health import DriftBook, MemberSync, member_sync, percentile
from socialsync.domain.party.machine import Rules
from socialsync.domain.party.playback import position_at


def ad(room: Room, uid: str, now_ms: int, *, on: bool, position_s: float, playing: bool = True) -> None:
    room.do(c.ReportStatus(uid, position_s, playing=playing, buffering=False, at_ms=now_ms, ad=on), now_ms)


# ---------------------------------------------------------------------------------------------- health
class TestMemberSync:
    def test_plain_standing_from_the_members_state(self) -> None:
        room = build("bob")
        bob = room.member("bob")
        assert member_sync(bob) is MemberSync.IN_SYNC
        assert member_sync(replace(bob, in_sync=False)) is MemberSync.CATCHING_UP
        assert member_sync(replace(bob, buffering=True)) is MemberSync.LOADING
        assert member_sync(replace(bob, excused=True)) is MemberSync.LOADING
        assert member_sync(replace(bob, in_ad=True, buffering=True)) is MemberSync.IN_AD
        assert member_sync(replace(bob, sessions=frozenset())) is MemberSync.AWAY

    def test_a_joiner_is_loading_until_it_plays_in_step(self) -> None:
        room = playing_room("bob")
        room.join("cleo", T0 + 2_000)
        assert member_sync(room.member("cleo")) is MemberSync.LOADING
        t = room.report("cleo", T0 + 3_000, position_s=2.9)
        assert member_sync(room.member("cleo")) is MemberSync.IN_SYNC
        assert any(isinstance(ev, e.MemberUpdated) for ev in t.events)  # the list hears of it


class TestDriftBook:
    def test_percentiles_of_the_recent_reports(self) -> None:
        book = DriftBook(window_ms=10_000)
        for i in range(100):
            book.record("p1", (i + 1) / 1000 * (-1 if i % 2 else 1), T0 + i)
        s = book.summary("p1", T0 + 100)
        assert s is not None and s.samples == 100
        assert s.p50_ms == pytest.approx(50.5) and s.p95_ms == pytest.approx(95.05)

    def test_old_reports_and_quiet_parties_are_forgotten(self) -> None:
        book = DriftBook(window_ms=10_000)
        book.record("p1", 0.5, T0)
        book.record("p1", 0.01, T0 + 9_000)
        assert book.summary("p1", T0 + 10_001) == book.summary("p1", T0 + 10_001)
        summary = book.summary("p1", T0 + 10_001)
        assert summary is not None and summary.samples == 1 and summary.p95_ms == pytest.approx(10)
        assert book.summaries(T0 + 20_000) == [] and len(book) == 0

    def test_bounded_in_parties_and_samples(self) -> None:
        book = DriftBook(per_party=4, max_parties=2)
        for i in range(10):
            book.record("p1", 0.001 * i, T0)
        book.record("p2", 0.0, T0)
        book.record("p1", 0.0, T0)  # p1 reported last: p2 is the one to make room
        book.record("p3", 0.0, T0)
        assert len(book) == 2 and book.summary("p2", T0) is None
        p1 = book.summary("p1", T0)
        assert p1 is not None and p1.samples == 4

    def test_percentile_interpolates(self) -> None:
        assert percentile([1.0], 0.95) == 1.0
        assert percentile([0.0, 10.0], 0.5) == 5.0


# ---------------------------------------------------------------------------------------------- ads
class TestAds:
    def test_a_member_in_an_ad_is_never_waited_for_nor_measured(self) -> None:
        room = playing_room("bob")
        ad(room, "bob", T0 + 2_000, on=True, position_s=0.0, playing=False)
        assert room.member("bob").in_ad and member_sync(room.member("bob")) is MemberSync.IN_AD
        # Its player stalls in the ad, for longer than the threshold: nobody waits.
        t = room.do(c.ReportStatus("bob", 0.0, playing=False, buffering=True, at_ms=T0 + 3_000), T0 + 3_000)
        assert not any(isinstance(ev, (e.TimerRequested, e.DriftMeasured)) for ev in t.events)
        assert not room.member("bob").buffering
        t = room.do(c.Tick(f"stall:bob:{T0 + 3_000}"), T0 + 3_000 + STALL)
        assert room.playback.status is Status.PLAYING

    def test_an_ad_that_starts_during_a_wait_releases_it(self) -> None:
        room = playing_room("bob")
        stall(room, "bob", T0 + 4_100, position_s=4.0)
        assert room.playback.status is Status.WAITING
        ad(room, "bob", T0 + 6_000, on=True, position_s=4.0, playing=False)
        assert room.playback.status is Status.PLAYING

    def test_back_from_the_ad_it_rejoins_as_a_joiner(self) -> None:
        room = playing_room("bob")
        ad(room, "bob", T0 + 2_000, on=True, position_s=1.9)
        back = c.ReportStatus("bob", 1.9, playing=False, buffering=False, at_ms=T0 + 32_000, ad=False)
        t = room.do(back, T0 + 32_000)
        bob = room.member("bob")
        assert not bob.in_ad and bob.excused and member_sync(bob) is MemberSync.LOADING
        assert not any(isinstance(ev, e.DriftMeasured) for ev in t.events)  # 30 s behind: not drift
        # Its loading holds nobody...
        stall(room, "bob", T0 + 32_100, position_s=31.9)
        assert room.playback.status is Status.PLAYING
        # ...and once in step it is in sync, measured again.
        room.report("bob", T0 + 34_000, position_s=33.9)  # ready: its first report after the stall
        t = room.report("bob", T0 + 36_000, position_s=35.9)
        assert any(isinstance(ev, e.DriftMeasured) for ev in t.events)
        assert member_sync(room.member("bob")) is MemberSync.IN_SYNC


class TestBreaks:
    def test_the_host_pauses_the_party_for_a_break_that_ends_by_itself(self) -> None:
        room = playing_room("bob")
        t = room.control("hana", c.Action.BREAK, T0 + 10_100, duration_s=30)
        pb = room.playback
        assert pb.status is Status.PAUSED and pb.on_break and pb.position_s == pytest.approx(10.0)
        assert pb.break_until_ms == T0 + 40_100
        assert e.TimerRequested(f"break:{T0 + 40_100}", T0 + 40_100) in t.events
        room.do(c.Tick(f"break:{T0 + 40_100}"), T0 + 40_100)
        pb = room.playback
        assert pb.status is Status.PLAYING and not pb.on_break and pb.break_until_ms is None
        assert pb.position_s == pytest.approx(10.0) and pb.at_ms == T0 + 40_100 + LEAD

    def test_a_play_ends_the_break_sooner_and_its_timer_then_does_nothing(self) -> None:
        room = playing_room("bob")
        room.control("hana", c.Action.BREAK, T0 + 10_100, duration_s=30)
        room.control("bob", c.Action.PLAY, T0 + 20_000)
        assert room.playback.status is Status.PLAYING and not room.playback.on_break
        room.control("bob", c.Action.PAUSE, T0 + 25_000)
        t = room.do(c.Tick(f"break:{T0 + 40_100}"), T0 + 40_100)
        assert not t.changed and room.playback.status is Status.PAUSED

    def test_a_seek_during_the_break_keeps_it(self) -> None:
        room = playing_room("bob")
        room.control("hana", c.Action.BREAK, T0 + 10_100)
        room.control("bob", c.Action.SEEK, T0 + 11_000, position_s=5.0)
        assert room.playback.on_break and room.playback.break_until_ms is None

    def test_only_hosts_call_a_break_and_not_on_a_live_channel(self) -> None:
        room = playing_room("bob")
        room.refuse(c.Control("bob", c.Action.BREAK), T0 + 1_000, Code.FORBIDDEN)
        live = build("bob", media=CHANNEL)
        live.refuse(c.Control("hana", c.Action.BREAK), T0 + 1_000, Code.BAD_REQUEST)


# ---------------------------------------------------------------------------------------------- live
def edge(room: Room, uid: str, now_ms: int, edge_delay_s: float) -> None:
    position = now_ms / 1000 - 10
    room.do(
        c.ReportStatus(uid, position, playing=True, buffering=False, at_ms=now_ms, edge_delay_s=edge_delay_s),
        now_ms,
    )


def delay_at(room: Room, now_ms: int) -> float:
    instant = max(now_ms, room.playback.at_ms)
    return instant / 1000 - position_at(room.playback, instant)


class TestLiveDelay:
    def test_the_party_plays_at_the_largest_edge_delay_plus_the_margin(self) -> None:
        room = build("bob", media=CHANNEL)
        assert delay_at(room, T0 + 10) == pytest.approx(RULES.live_edge_delay_s, abs=0.01)
        edge(room, "hana", T0 + 1_000, 3.0)
        assert delay_at(room, T0 + 1_000) == pytest.approx(3.0 + RULES.live_margin_s, abs=0.01)
        assert room.playback.at_ms == T0 + 1_000 + LEAD  # a scheduled start, as any seek
        # Bob's player is further behind (a deeper buffer, a slower CDN edge): all move back.
        edge(room, "bob", T0 + 2_000, 9.0)
        assert delay_at(room, T0 + 2_000) == pytest.approx(9.0 + RULES.live_margin_s, abs=0.01)

    def test_small_changes_move_nobody_and_a_gone_member_lets_the_party_tighten(self) -> None:
        room = build("bob", media=CHANNEL)
        edge(room, "hana", T0 + 1_000, 3.0)
        edge(room, "bob", T0 + 2_000, 9.0)
        seq = room.playback.seq
        edge(room, "bob", T0 + 3_000, 9.4)  # within the slack
        edge(room, "hana", T0 + 4_000, 4.0)  # not the largest
        assert room.playback.seq == seq
        room.do(c.Leave("bob", "bob-s1"), T0 + 5_000)
        assert delay_at(room, T0 + 5_000) == pytest.approx(4.0 + RULES.live_margin_s, abs=0.01)

    def test_a_member_in_an_ad_does_not_set_the_delay(self) -> None:
        room = build("bob", media=CHANNEL)
        edge(room, "hana", T0 + 1_000, 3.0)
        edge(room, "bob", T0 + 2_000, 9.0)
        ad(room, "bob", T0 + 3_000, on=True, position_s=0.0)
        assert delay_at(room, T0 + 3_000) == pytest.approx(3.0 + RULES.live_margin_s, abs=0.01)

    def test_the_margin_is_configured(self) -> None:
        room = build("bob", media=CHANNEL, rules=Rules(live_margin_s=1.5))
        edge(room, "hana", T0 + 1_000, 3.0)
        assert delay_at(room, T0 + 1_000) == pytest.approx(4.5, abs=0.01)


# ---------------------------------------------------------------------------------------------- config
def test_the_sync_rules_come_from_the_configuration() -> None:
    from socialsync.config import Config

    env = {
        "SOCIALSYNC_STALL_THRESHOLD_MS": "1500",
        "SOCIALSYNC_LEAD_MARGIN_MS": "300",
        "SOCIALSYNC_MAX_LEAD_MS": "800",
        "SOCIALSYNC_LIVE_MARGIN_S": "6.5",
    }
    rules = Config.load(env=env).rules
    assert (rules.stall_threshold_ms, rules.lead_margin_ms, rules.max_lead_ms) == (1_500, 300, 800)
    assert rules.live_margin_s == 6.5
    assert Config.load(env={}).rules == RULES
    # A max below the minimum lead is the minimum.
    low = Config.load(env={"SOCIALSYNC_LEAD_MS": "900", "SOCIALSYNC_MAX_LEAD_MS": "500"})
    assert low.rules.max_lead_ms == 900
