"""The party state machine, driven transition by transition: no sockets, no sleeps, time passed in."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from socialsync.domain.errors import Code, ConflictError, SyncError
from socialsync.domain.model import (
    ControlMode,
    Media,
    MediaKind,
    Member,
    Party,
    Playback,
    Role,
    RoomType,
    Settings,
    Status,
    TenantRole,
    User,
)
from socialsync.domain.party import commands as c
from socialsync.domain.party import events as e
from socialsync.domain.party.machine import PartyMachine, Rules, Transition, create_party
from socialsync.domain.party.playback import position_at

RULES = Rules()
LEAD = RULES.lead_ms
GRACE = RULES.leave_grace_ms
BUFFER_TIMEOUT = RULES.buffer_timeout_ms
STALL = RULES.stall_threshold_ms
EMPTY_TTL = RULES.empty_ttl_ms
T0 = 1_000_000  # when the party is created (server ms)

FILM = Media(url="https://cdn.example/film.m3u8", title="Film", duration_s=600.0)
CHANNEL = Media(url="https://cdn.example/live.m3u8", kind=MediaKind.LIVE, title="News")


# ---------------------------------------------------------------------------------------------- helpers
def user(uid: str, *, staff: bool = False) -> User:
    roles = frozenset({TenantRole.MODERATOR}) if staff else frozenset({TenantRole.VIEWER})
    return User(id=uid, name=uid.title(), tenant_id="acme", roles=roles)


def session(uid: str, n: int = 1) -> str:
    return f"{uid}-s{n}"


def kinds(transition: Transition) -> list[type]:
    return [type(event) for event in transition.events]


def only_drift(transition: Transition, user_id: str) -> float:
    """The drift of the one event a report produced that changed nothing but statistics."""
    (event,) = transition.events
    assert isinstance(event, e.DriftMeasured) and event.user_id == user_id
    return event.drift_s


class Room:
    """A party plus the machine that drives it: ``room.do(cmd, now)`` applies and keeps the result."""

    def __init__(self, party: Party, machine: PartyMachine) -> None:
        self.party = party
        self.machine = machine

    def do(self, command: c.Command, now_ms: int) -> Transition:
        transition = self.machine.handle(self.party, command, now_ms)
        self.party = transition.party
        return transition

    def refuse(self, command: c.Command, now_ms: int, code: Code) -> SyncError:
        before = self.party
        with pytest.raises(SyncError) as info:
            self.machine.handle(self.party, command, now_ms)
        assert info.value.code is code
        assert self.party is before
        return info.value

    def join(self, uid: str, now_ms: int, *, n: int = 1, staff: bool = False) -> Transition:
        return self.do(c.Join(user(uid, staff=staff), session(uid, n)), now_ms)

    def control(self, uid: str, action: c.Action, now_ms: int, **kw: Any) -> Transition:
        return self.do(c.Control(uid, action, **kw), now_ms)

    def report(
        self, uid: str, now_ms: int, *, position_s: float, buffering: bool = False, at_ms: int | None = None
    ) -> Transition:
        command = c.ReportStatus(
            uid, position_s=position_s, playing=not buffering, buffering=buffering, at_ms=at_ms
        )
        return self.do(command, now_ms)

    def member(self, uid: str) -> Member:
        return self.party.members[uid]

    @property
    def playback(self) -> Playback:
        return self.party.playback


def build(
    *guests: str,
    host: str = "hana",
    settings: Settings | None = None,
    media: Media = FILM,
    rules: Rules = RULES,
    staff: frozenset[str] = frozenset(),
    settled: bool = True,
) -> Room:
    """A party created at T0 by ``host``, who joins at T0 + 1; each guest joins 1 ms after the previous.

    ``settled``: the members have been watching in step for a while (a joiner is excused
    from holding the party until it has played in step; these are past that)."""
    created = create_party(
        "p1", user(host, staff=host in staff), "Movie night", media, settings or Settings(), T0, rules
    )
    room = Room(created.party, PartyMachine(rules))
    room.join(host, T0 + 1, staff=host in staff)
    for i, uid in enumerate(guests, start=2):
        room.join(uid, T0 + i, staff=uid in staff)
    if settled:
        members = {uid: replace(m, excused=False) for uid, m in room.party.members.items()}
        room.party = replace(room.party, members=members)
    return room


def stall(room: Room, uid: str, since: int, *, position_s: float = 0.0) -> Transition:
    """``uid`` reports buffering at ``since`` and is still buffering when its stall timer
    comes due, STALL later: the transition of that timer."""
    room.report(uid, since, position_s=position_s, buffering=True)
    return room.do(c.Tick(f"stall:{uid}:{since}"), since + STALL)


def playing_room(*guests: str, at: int = T0 + 100, **kw: Any) -> Room:
    """A party whose film started (scheduled start reached) at ``at`` from position 0."""
    room = build(*guests, **kw)
    room.control("hana", c.Action.PLAY, at - LEAD)
    assert room.playback.status is Status.PLAYING and room.playback.at_ms == at
    return room


def waiting_room(*guests: str, laggard: str = "bob") -> tuple[Room, int]:
    """Playing from T0+100; ``laggard`` stalls from T0+4100, so the party waits from T0+5100
    (media position 5 s)."""
    room = playing_room(*guests)
    now = T0 + 5_100
    stall(room, laggard, now - STALL, position_s=4.0)
    assert room.playback.status is Status.WAITING
    return room, now


# ---------------------------------------------------------------------------------------------- create
class TestCreate:
    def test_the_creator_is_host_and_counted_as_reconnecting(self) -> None:
        t = create_party("p1", user("hana"), "Movie night", FILM, Settings(), T0)
        host = t.party.members["hana"]
        assert host.role is Role.HOST
        assert not host.connected
        assert host.disconnected_at_ms == T0
        assert host.joined_at_ms == T0
        assert t.events == (e.TimerRequested(f"grace:hana:{T0}", T0 + GRACE),)
        assert t.changed
        assert t.party.version == 0
        assert t.party.tenant_id == "acme"
        assert t.party.created_by == "hana"
        assert t.party.host == host

    def test_vod_starts_paused_at_zero(self) -> None:
        pb = create_party("p1", user("hana"), "t", FILM, Settings(), T0).party.playback
        assert (pb.status, pb.position_s, pb.rate, pb.at_ms, pb.seq) == (Status.PAUSED, 0.0, 1.0, T0, 0)

    def test_live_media_starts_playing_behind_the_live_edge(self) -> None:
        pb = create_party("p1", user("hana"), "t", CHANNEL, Settings(), T0).party.playback
        assert pb.status is Status.PLAYING
        assert pb.position_s == pytest.approx(T0 / 1000 - RULES.live_edge_delay_s)
        assert pb.at_ms == T0

    def test_staff_creator_is_marked_staff(self) -> None:
        t = create_party("p1", user("mod", staff=True), "t", FILM, Settings(), T0)
        assert t.party.members["mod"].staff

    def test_creator_joining_is_announced_as_connected_and_its_grace_tick_goes_stale(self) -> None:
        room = Room(create_party("p1", user("hana"), "t", FILM, Settings(), T0).party, PartyMachine())
        t = room.join("hana", T0 + 50)
        assert t.events == (e.MemberUpdated(room.member("hana")),)
        assert t.changed and room.party.version == 1
        assert room.member("hana").connected
        assert room.member("hana").disconnected_at_ms is None
        t = room.do(c.Tick(f"grace:hana:{T0}"), T0 + GRACE)
        assert not t.changed and t.events == ()
        assert "hana" in room.party.members

    def test_creator_who_never_joins_is_dropped_and_the_party_empties(self) -> None:
        room = Room(create_party("p1", user("hana"), "t", FILM, Settings(), T0).party, PartyMachine())
        now = T0 + GRACE
        t = room.do(c.Tick(f"grace:hana:{T0}"), now)
        assert room.party.members == {}
        assert t.events == (e.MemberLeft("hana"), e.TimerRequested(f"empty:{now}", now + EMPTY_TTL))
        assert room.party.empty_since_ms == now


# ---------------------------------------------------------------------------------------------- join
class TestJoin:
    def test_a_newcomer_joins_as_member(self) -> None:
        room = build()
        t = room.join("bob", T0 + 10)
        bob = room.member("bob")
        assert (bob.role, bob.joined_at_ms, bob.sessions) == (Role.MEMBER, T0 + 10, frozenset({"bob-s1"}))
        assert bob.name == "Bob" and not bob.staff
        assert t.events == (e.MemberJoined(bob),)
        assert t.changed

    def test_a_second_session_is_added_silently(self) -> None:
        room = build("bob")
        t = room.join("bob", T0 + 10, n=2)
        assert room.member("bob").sessions == {"bob-s1", "bob-s2"}
        assert t.events == ()
        assert t.changed

    def test_joining_again_with_the_same_session_changes_nothing(self) -> None:
        room = build("bob")
        before = room.party
        t = room.join("bob", T0 + 10)
        assert not t.changed
        assert t.party is before
        assert t.events == ()

    def test_rejoin_during_the_grace_is_announced_as_connected_and_keeps_the_role(self) -> None:
        room = build("bob")
        room.do(c.SetRole("hana", "bob", Role.COHOST), T0 + 5)
        room.do(c.Disconnect("bob", "bob-s1"), T0 + 10)
        t = room.join("bob", T0 + 20, n=2)
        bob = room.member("bob")
        assert t.events == (e.MemberUpdated(bob),)
        assert bob.connected and bob.disconnected_at_ms is None
        assert bob.role is Role.COHOST
        assert bob.joined_at_ms == T0 + 2

    def test_a_full_party_refuses_newcomers(self) -> None:
        room = build("bob", settings=Settings(max_members=2))
        err = room.refuse(c.Join(user("cy"), "cy-s1"), T0 + 10, Code.FORBIDDEN)
        assert "full" in err.message

    def test_members_in_grace_still_take_their_place(self) -> None:
        room = build("bob", settings=Settings(max_members=2))
        room.do(c.Disconnect("bob", "bob-s1"), T0 + 10)
        room.refuse(c.Join(user("cy"), "cy-s1"), T0 + 20, Code.FORBIDDEN)

    def test_a_full_party_still_takes_back_its_members(self) -> None:
        room = build("bob", settings=Settings(max_members=2))
        room.do(c.Disconnect("bob", "bob-s1"), T0 + 10)
        room.join("bob", T0 + 20, n=2)
        assert room.member("bob").connected

    def test_staff_are_exempt_from_the_limit(self) -> None:
        room = build("bob", settings=Settings(max_members=2))
        t = room.join("mod", T0 + 10, staff=True)
        assert room.member("mod").staff
        assert len(room.party.members) == 3
        assert kinds(t) == [e.MemberJoined]

    def test_live_room_joins_are_not_announced(self) -> None:
        room = build(settings=Settings(type=RoomType.LIVE_ROOM), media=CHANNEL)
        t = room.join("bob", T0 + 10)
        assert "bob" in room.party.members
        assert t.events == ()
        assert t.changed


# ---------------------------------------------------------------------------------------------- leave
class TestLeaveDisconnectEvict:
    def test_leaving_with_the_last_session_removes_at_once(self) -> None:
        room = build("bob")
        t = room.do(c.Leave("bob", "bob-s1"), T0 + 10)
        assert "bob" not in room.party.members
        assert t.events == (e.MemberLeft("bob"),)

    def test_leaving_one_of_two_sessions_keeps_the_member(self) -> None:
        room = build("bob")
        room.join("bob", T0 + 5, n=2)
        t = room.do(c.Leave("bob", "bob-s1"), T0 + 10)
        assert room.member("bob").sessions == {"bob-s2"}
        assert t.events == ()
        assert t.changed

    @pytest.mark.parametrize(
        "command",
        [
            c.Leave("nobody", "x"),
            c.Leave("bob", "not-bobs"),
            c.Disconnect("nobody", "x"),
            c.Disconnect("bob", "not-bobs"),
            c.Evict(frozenset({"x", "y"})),
            c.Evict(frozenset()),
        ],
        ids=[
            "leave-stranger",
            "leave-unknown-session",
            "disconnect-stranger",
            "disconnect-unknown-session",
            "evict-unknown",
            "evict-nothing",
        ],
    )
    def test_unknown_members_or_sessions_change_nothing(self, command: c.Command) -> None:
        room = build("bob")
        before = room.party
        t = room.do(command, T0 + 10)
        assert not t.changed and t.events == () and t.party is before

    def test_a_member_in_grace_who_leaves_explicitly_goes_at_once(self) -> None:
        room = build("bob")
        room.do(c.Disconnect("bob", "bob-s1"), T0 + 10)
        t = room.do(c.Leave("bob", "bob-s1"), T0 + 20)
        assert "bob" not in room.party.members
        assert t.events == (e.MemberLeft("bob"),)

    def test_a_dropped_socket_keeps_the_member_for_the_grace(self) -> None:
        room = build("bob")
        now = T0 + 10
        t = room.do(c.Disconnect("bob", "bob-s1"), now)
        bob = room.member("bob")
        assert not bob.connected and bob.disconnected_at_ms == now
        assert t.events == (e.MemberUpdated(bob), e.TimerRequested(f"grace:bob:{now}", now + GRACE))
        assert t.changed

    def test_dropping_one_of_two_sessions_needs_no_grace(self) -> None:
        room = build("bob")
        room.join("bob", T0 + 5, n=2)
        t = room.do(c.Disconnect("bob", "bob-s2"), T0 + 10)
        assert room.member("bob").sessions == {"bob-s1"}
        assert room.member("bob").disconnected_at_ms is None
        assert t.events == ()

    def test_the_grace_tick_removes_the_member(self) -> None:
        room = build("bob")
        room.do(c.Disconnect("bob", "bob-s1"), T0 + 10)
        t = room.do(c.Tick(f"grace:bob:{T0 + 10}"), T0 + 10 + GRACE)
        assert "bob" not in room.party.members
        assert t.events == (e.MemberLeft("bob"),)

    def test_a_grace_tick_after_a_reconnect_is_stale(self) -> None:
        room = build("bob")
        room.do(c.Disconnect("bob", "bob-s1"), T0 + 10)
        room.join("bob", T0 + 20, n=2)
        before = room.party
        t = room.do(c.Tick(f"grace:bob:{T0 + 10}"), T0 + 10 + GRACE)
        assert not t.changed and t.events == () and t.party is before

    def test_only_the_latest_disconnects_grace_tick_counts(self) -> None:
        room = build("bob")
        room.do(c.Disconnect("bob", "bob-s1"), T0 + 10)
        room.join("bob", T0 + 20, n=2)
        room.do(c.Disconnect("bob", "bob-s2"), T0 + 30)
        assert not room.do(c.Tick(f"grace:bob:{T0 + 10}"), T0 + 10 + GRACE).changed
        assert "bob" in room.party.members
        room.do(c.Tick(f"grace:bob:{T0 + 30}"), T0 + 30 + GRACE)
        assert "bob" not in room.party.members

    @pytest.mark.parametrize("key", ["grace:ghost:1", "grace:bob", "nonsense", "buffer:", "empty:x", ""])
    def test_unknown_ticks_are_ignored(self, key: str) -> None:
        room = build("bob")
        room.do(c.Disconnect("bob", "bob-s1"), T0 + 10)
        before = room.party
        t = room.do(c.Tick(key), T0 + 10 + GRACE)
        assert not t.changed and t.party is before

    def test_user_ids_with_colons_survive_the_grace_key(self) -> None:
        room = build("a:b")
        room.do(c.Disconnect("a:b", "a:b-s1"), T0 + 10)
        room.do(c.Tick(f"grace:a:b:{T0 + 10}"), T0 + 10 + GRACE)
        assert "a:b" not in room.party.members

    def test_evict_removes_members_left_without_sessions(self) -> None:
        room = build("bob", "cy")
        room.join("cy", T0 + 5, n=2)
        t = room.do(c.Evict(frozenset({"bob-s1", "cy-s1"})), T0 + 10)
        assert "bob" not in room.party.members
        assert room.member("cy").sessions == {"cy-s2"}
        assert t.events == (e.MemberLeft("bob"),)

    def test_evict_ignores_members_in_grace(self) -> None:
        room = build("bob")
        room.do(c.Disconnect("bob", "bob-s1"), T0 + 10)
        t = room.do(c.Evict(frozenset({"bob-s1"})), T0 + 20)
        assert not t.changed
        assert "bob" in room.party.members


# ---------------------------------------------------------------------------------------------- host
class TestHostHandOver:
    def test_the_longest_present_member_inherits_the_host_role(self) -> None:
        room = build("bob", "cy")
        room.do(c.SetRole("hana", "cy", Role.COHOST), T0 + 5)  # a later cohost does not jump the queue
        t = room.do(c.Leave("hana", "hana-s1"), T0 + 10)
        assert room.member("bob").role is Role.HOST
        assert room.member("cy").role is Role.COHOST
        assert t.events == (e.MemberLeft("hana"), e.MemberUpdated(room.member("bob")))
        assert room.party.host == room.member("bob")

    def test_a_host_in_grace_stays_host_until_the_grace_ends(self) -> None:
        room = build("bob")
        room.do(c.Disconnect("hana", "hana-s1"), T0 + 10)
        assert room.member("hana").role is Role.HOST
        t = room.do(c.Tick(f"grace:hana:{T0 + 10}"), T0 + 10 + GRACE)
        assert room.member("bob").role is Role.HOST
        assert kinds(t) == [e.MemberLeft, e.MemberUpdated]

    def test_ties_on_join_time_are_broken_by_user_id(self) -> None:
        room = build()
        room.join("zed", T0 + 5)
        room.join("amy", T0 + 5)
        room.do(c.Leave("hana", "hana-s1"), T0 + 10)
        assert room.member("amy").role is Role.HOST
        assert room.member("zed").role is Role.MEMBER

    def test_evicting_the_host_with_its_heir_still_leaves_one_host(self) -> None:
        room = build("bob", "cy")
        room.do(c.Evict(frozenset({"hana-s1", "bob-s1"})), T0 + 10)
        assert set(room.party.members) == {"cy"}
        assert room.member("cy").role is Role.HOST

    def test_evicting_the_host_does_not_undo_a_promotion_of_a_partly_evicted_heir(self) -> None:
        room = build("bob", "cy")
        room.join("bob", T0 + 5, n=2)
        room.do(c.Evict(frozenset({"hana-s1", "bob-s1"})), T0 + 10)
        assert room.member("bob").role is Role.HOST
        assert room.member("bob").sessions == {"bob-s2"}
        assert [m.user_id for m in room.party.members.values() if m.role is Role.HOST] == ["bob"]

    def test_live_rooms_hand_over_silently(self) -> None:
        room = build("bob", settings=Settings(type=RoomType.LIVE_ROOM), media=CHANNEL)
        t = room.do(c.Leave("hana", "hana-s1"), T0 + 10)
        assert room.member("bob").role is Role.HOST
        assert t.events == ()


# ---------------------------------------------------------------------------------------------- playback
class TestPlay:
    def test_play_from_paused_is_a_scheduled_start(self) -> None:
        room = build("bob")
        now = T0 + 1_000
        t = room.control("bob", c.Action.PLAY, now)
        pb = room.playback
        assert (pb.status, pb.position_s, pb.at_ms, pb.seq, pb.by) == (
            Status.PLAYING,
            0.0,
            now + LEAD,
            1,
            "bob",
        )
        assert t.events == (e.PlaybackChanged(pb),)
        # Before the scheduled start every player holds; after it the position runs at the rate.
        assert position_at(pb, now + LEAD // 2) == 0.0
        assert position_at(pb, now + LEAD + 1_500) == pytest.approx(1.5)

    def test_play_at_a_position(self) -> None:
        room = build()
        room.control("hana", c.Action.PLAY, T0 + 10, position_s=42.0)
        assert (room.playback.status, room.playback.position_s) == (Status.PLAYING, 42.0)

    def test_play_resumes_from_where_it_was_paused(self) -> None:
        room = playing_room()
        room.control("hana", c.Action.PAUSE, T0 + 3_100)
        room.control("hana", c.Action.PLAY, T0 + 9_000)
        assert room.playback.position_s == pytest.approx(3.0)
        assert room.playback.at_ms == T0 + 9_000 + LEAD

    def test_play_while_playing_changes_nothing(self) -> None:
        room = playing_room()
        before = room.party
        t = room.control("hana", c.Action.PLAY, T0 + 2_000)
        assert not t.changed and t.events == () and t.party is before

    def test_play_at_a_position_while_playing_restarts_there(self) -> None:
        room = playing_room()
        now = T0 + 2_000
        room.control("hana", c.Action.PLAY, now, position_s=30.0)
        pb = room.playback
        assert (pb.status, pb.position_s, pb.at_ms, pb.seq) == (Status.PLAYING, 30.0, now + LEAD, 2)

    def test_play_with_a_stalled_member_waits_for_it(self) -> None:
        room = build("bob")
        room.report("bob", T0 + 50, position_s=0.0, buffering=True)
        now = T0 + 50 + STALL
        t = room.control("hana", c.Action.PLAY, now, position_s=10.0)
        pb = room.playback
        assert (pb.status, pb.position_s, pb.at_ms, pb.by) == (Status.WAITING, 10.0, now, "hana")
        assert room.party.wait_epoch == 1
        assert t.events == (e.PlaybackChanged(pb), e.TimerRequested("buffer:1", now + BUFFER_TIMEOUT))
        room.report("bob", now + 500, position_s=10.0)
        assert room.playback.status is Status.PLAYING
        assert room.playback.at_ms == now + 500 + LEAD
        assert room.playback.position_s == 10.0

    def test_play_does_not_wait_for_a_moment_of_buffering(self) -> None:
        room = build("bob")
        room.report("bob", T0 + 50, position_s=0.0, buffering=True)
        room.control("hana", c.Action.PLAY, T0 + 50 + STALL - 1)
        assert room.playback.status is Status.PLAYING

    def test_play_does_not_wait_when_waiting_is_off(self) -> None:
        room = build("bob", settings=Settings(wait_for_buffering=False))
        room.report("bob", T0 + 50, position_s=0.0, buffering=True)
        room.control("hana", c.Action.PLAY, T0 + 100)
        assert room.playback.status is Status.PLAYING

    def test_play_while_waiting_overrides_and_excuses_the_laggard(self) -> None:
        room, waited = waiting_room("bob", "cy")
        now = waited + 1_000
        t = room.control("cy", c.Action.PLAY, now)
        pb = room.playback
        assert pb.position_s == pytest.approx(5.0)
        assert (pb.status, pb.at_ms, pb.by) == (
            Status.PLAYING,
            now + LEAD,
            "cy",
        )
        assert room.member("bob").excused and room.member("bob").buffering
        assert t.events == (e.PlaybackChanged(pb),)  # excusing is bookkeeping, not news
        # The pending timeout is now stale.
        assert not room.do(c.Tick("buffer:1"), waited + BUFFER_TIMEOUT).changed


class TestPause:
    def test_pause_while_playing_freezes_the_extrapolated_position(self) -> None:
        room = playing_room("bob")
        now = T0 + 100 + 7_250
        t = room.control("bob", c.Action.PAUSE, now)
        pb = room.playback
        assert (pb.status, pb.at_ms, pb.seq, pb.by) == (Status.PAUSED, now, 2, "bob")
        assert pb.position_s == pytest.approx(7.25)
        assert t.events == (e.PlaybackChanged(pb),)

    def test_pause_before_the_scheduled_start_holds_the_position(self) -> None:
        room = build()
        room.control("hana", c.Action.PLAY, T0 + 10, position_s=12.0)
        room.control("hana", c.Action.PAUSE, T0 + 10 + LEAD - 1)
        assert room.playback.position_s == 12.0

    def test_pause_while_paused_changes_nothing(self) -> None:
        room = build()
        before = room.party
        t = room.control("hana", c.Action.PAUSE, T0 + 10)
        assert not t.changed and t.events == () and t.party is before

    def test_pause_at_a_position_while_paused_moves_it(self) -> None:
        room = build()
        room.control("hana", c.Action.PAUSE, T0 + 10, position_s=99.0)
        assert (room.playback.status, room.playback.position_s, room.playback.seq) == (Status.PAUSED, 99.0, 1)

    def test_pause_while_waiting_stops_at_the_held_position(self) -> None:
        room, waited = waiting_room("bob")
        room.control("hana", c.Action.PAUSE, waited + 3_000)
        assert room.playback.status is Status.PAUSED
        assert room.playback.position_s == pytest.approx(5.0)
        assert not room.do(c.Tick("buffer:1"), waited + BUFFER_TIMEOUT).changed
        assert room.playback.status is Status.PAUSED


class TestSeek:
    def test_seek_while_playing_is_a_scheduled_start(self) -> None:
        room = playing_room()
        now = T0 + 4_000
        room.control("hana", c.Action.SEEK, now, position_s=120.0)
        pb = room.playback
        assert (pb.status, pb.position_s, pb.at_ms, pb.seq) == (Status.PLAYING, 120.0, now + LEAD, 2)

    def test_seek_while_paused_takes_effect_now(self) -> None:
        room = build()
        room.control("hana", c.Action.SEEK, T0 + 10, position_s=120.0)
        pb = room.playback
        assert (pb.status, pb.position_s, pb.at_ms) == (Status.PAUSED, 120.0, T0 + 10)

    def test_seek_while_waiting_keeps_waiting_at_the_new_position(self) -> None:
        room, waited = waiting_room("bob")
        room.control("hana", c.Action.SEEK, waited + 100, position_s=60.0)
        pb = room.playback
        assert (pb.status, pb.position_s, pb.at_ms) == (Status.WAITING, 60.0, waited + 100)
        room.report("bob", waited + 500, position_s=60.0)
        assert (room.playback.status, room.playback.position_s) == (Status.PLAYING, 60.0)

    def test_seek_needs_a_position(self) -> None:
        build().refuse(c.Control("hana", c.Action.SEEK), T0 + 10, Code.BAD_REQUEST)

    def test_seek_is_bounded_by_the_duration(self) -> None:
        room = build()
        err = room.refuse(c.Control("hana", c.Action.SEEK, position_s=600.5), T0 + 10, Code.BAD_REQUEST)
        assert "duration" in err.message
        room.control("hana", c.Action.SEEK, T0 + 10, position_s=600.0)
        assert room.playback.position_s == 600.0

    @pytest.mark.parametrize("action", [c.Action.PLAY, c.Action.PAUSE])
    def test_play_and_pause_positions_are_bounded_too(self, action: c.Action) -> None:
        build().refuse(c.Control("hana", action, position_s=601.0), T0 + 10, Code.BAD_REQUEST)

    def test_media_without_a_duration_is_unbounded(self) -> None:
        room = build(media=Media(url="https://cdn.example/x.mp4"))
        room.control("hana", c.Action.SEEK, T0 + 10, position_s=1e6)
        assert room.playback.position_s == 1e6

    def test_live_media_positions_are_program_time(self) -> None:
        room = build(media=CHANNEL)
        program_time = T0 / 1000 - 120.0  # two minutes back, in epoch seconds
        now = T0 + 10
        room.control("hana", c.Action.SEEK, now, position_s=program_time)
        assert room.playback.position_s == program_time
        assert position_at(room.playback, now + LEAD + 1_000) == pytest.approx(program_time + 1.0)


class TestRate:
    def test_rate_change_while_playing_rebases_the_position(self) -> None:
        room = playing_room()
        now = T0 + 100 + 10_000
        room.control("hana", c.Action.RATE, now, rate=2.0)
        pb = room.playback
        assert (pb.status, pb.rate, pb.at_ms, pb.seq) == (Status.PLAYING, 2.0, now, 2)
        assert pb.position_s == pytest.approx(10.0)
        assert position_at(pb, now + 1_000) == pytest.approx(12.0)

    def test_rate_change_before_the_scheduled_start_keeps_the_schedule(self) -> None:
        room = build()
        started = T0 + 10
        room.control("hana", c.Action.PLAY, started, position_s=5.0)
        room.control("hana", c.Action.RATE, started + 50, rate=1.5)
        pb = room.playback
        assert (pb.position_s, pb.at_ms, pb.rate) == (5.0, started + LEAD, 1.5)
        assert position_at(pb, started + LEAD + 2_000) == pytest.approx(8.0)

    def test_rate_change_while_paused_stays_paused(self) -> None:
        room = build()
        room.control("hana", c.Action.RATE, T0 + 10, rate=0.5)
        assert (room.playback.status, room.playback.rate) == (Status.PAUSED, 0.5)

    def test_same_rate_changes_nothing(self) -> None:
        room = playing_room()
        t = room.control("hana", c.Action.RATE, T0 + 500, rate=1.0)
        assert not t.changed and t.events == ()

    def test_rate_needs_a_rate(self) -> None:
        build().refuse(c.Control("hana", c.Action.RATE), T0 + 10, Code.BAD_REQUEST)


class TestLoad:
    OTHER = Media(url="https://cdn.example/other.mp4", duration_s=1_200.0)

    @pytest.mark.parametrize("status", ["paused", "playing", "waiting"])
    def test_load_resets_to_paused_at_zero_at_normal_speed(self, status: str) -> None:
        room = {
            "paused": lambda: build("bob"),
            "playing": lambda: playing_room("bob"),
            "waiting": lambda: waiting_room("bob")[0],
        }[status]()
        room.control("hana", c.Action.RATE, T0 + 6_000, rate=2.0)
        now = T0 + 6_100
        seq = room.playback.seq
        t = room.control("hana", c.Action.LOAD, now, media=self.OTHER)
        pb = room.playback
        assert (pb.media, pb.status, pb.position_s, pb.rate, pb.at_ms) == (
            self.OTHER,
            Status.PAUSED,
            0.0,
            1.0,
            now,
        )
        assert pb.seq == seq + 1
        assert t.events == (e.PlaybackChanged(pb),)

    def test_load_at_a_position_checks_the_new_duration(self) -> None:
        room = build()
        room.control("hana", c.Action.LOAD, T0 + 10, media=self.OTHER, position_s=900.0)  # beyond FILM's 600
        assert room.playback.position_s == 900.0
        room.refuse(c.Control("hana", c.Action.LOAD, media=FILM, position_s=900.0), T0 + 20, Code.BAD_REQUEST)

    def test_load_live_media_starts_behind_the_live_edge(self) -> None:
        room = build()
        now = T0 + 10
        room.control("hana", c.Action.LOAD, now, media=CHANNEL)
        assert room.playback.position_s == pytest.approx(now / 1000 - RULES.live_edge_delay_s)

    def test_load_needs_a_media(self) -> None:
        build().refuse(c.Control("hana", c.Action.LOAD), T0 + 10, Code.BAD_REQUEST)


class TestSeqConflict:
    def test_a_stale_seq_is_refused_with_the_current_playback(self) -> None:
        room = playing_room()
        current = room.playback
        err = room.refuse(c.Control("hana", c.Action.PAUSE, seq=current.seq - 1), T0 + 500, Code.CONFLICT)
        assert isinstance(err, ConflictError)
        assert err.current == current

    def test_a_seq_from_the_future_is_refused_too(self) -> None:
        room = build()
        err = room.refuse(c.Control("hana", c.Action.PLAY, seq=5), T0 + 10, Code.CONFLICT)
        assert isinstance(err, ConflictError) and err.current.seq == 0

    def test_the_current_seq_is_accepted(self) -> None:
        room = playing_room()
        room.control("hana", c.Action.PAUSE, T0 + 500, seq=room.playback.seq)
        assert room.playback.status is Status.PAUSED

    def test_the_conflict_is_checked_before_idempotence(self) -> None:
        room = playing_room()
        room.refuse(c.Control("hana", c.Action.PLAY, seq=0), T0 + 500, Code.CONFLICT)


class TestPermissions:
    HOSTS = Settings(control=ControlMode.HOSTS)

    def test_everyone_may_control_by_default(self) -> None:
        room = build("bob")
        room.control("bob", c.Action.PLAY, T0 + 10)
        assert room.playback.by == "bob"

    def test_members_may_not_control_in_hosts_mode(self) -> None:
        room = build("bob", settings=self.HOSTS)
        err = room.refuse(c.Control("bob", c.Action.PLAY), T0 + 10, Code.FORBIDDEN)
        assert "host" in err.message

    @pytest.mark.parametrize("who", ["hana", "co", "mod"])
    def test_hosts_cohosts_and_staff_may_control_in_hosts_mode(self, who: str) -> None:
        room = build("co", "mod", settings=self.HOSTS, staff=frozenset({"mod"}))
        room.do(c.SetRole("hana", "co", Role.COHOST), T0 + 5)
        room.control(who, c.Action.PLAY, T0 + 10)
        assert room.playback.by == who

    def test_strangers_may_not_control(self) -> None:
        build().refuse(c.Control("ghost", c.Action.PLAY), T0 + 10, Code.FORBIDDEN)

    def test_members_in_grace_may_not_control(self) -> None:
        room = build("bob")
        room.do(c.Disconnect("bob", "bob-s1"), T0 + 10)
        room.refuse(c.Control("bob", c.Action.PLAY), T0 + 20, Code.FORBIDDEN)

    def test_permission_is_checked_before_the_seq(self) -> None:
        room = build("bob", settings=self.HOSTS)
        room.refuse(c.Control("bob", c.Action.PLAY, seq=99), T0 + 10, Code.FORBIDDEN)


class TestLiveRoom:
    LIVE = Settings(type=RoomType.LIVE_ROOM)

    @pytest.mark.parametrize("action", list(c.Action))
    def test_live_rooms_have_no_playback_control(self, action: c.Action) -> None:
        room = build("bob", settings=self.LIVE, media=CHANNEL, staff=frozenset({"hana"}))
        command = c.Control("hana", action, position_s=1.0, rate=2.0, media=FILM)
        room.refuse(command, T0 + 10, Code.FORBIDDEN)

    def test_live_rooms_announce_no_member_changes(self) -> None:
        room = build("bob", "cy", settings=self.LIVE, media=CHANNEL)
        assert room.do(c.SetRole("hana", "bob", Role.COHOST), T0 + 5).events == ()
        assert room.do(c.Disconnect("cy", "cy-s1"), T0 + 6).events == (
            e.TimerRequested(f"grace:cy:{T0 + 6}", T0 + 6 + GRACE),
        )
        assert room.do(c.Tick(f"grace:cy:{T0 + 6}"), T0 + 6 + GRACE).events == ()
        assert room.do(c.Leave("bob", "bob-s1"), T0 + 20_000).events == ()
        assert set(room.party.members) == {"hana"}

    def test_a_buffering_viewer_does_not_stop_a_live_room(self) -> None:
        room = build(
            "bob", settings=Settings(type=RoomType.LIVE_ROOM, wait_for_buffering=True), media=CHANNEL
        )
        t = room.report("bob", T0 + 5_000, position_s=T0 / 1000, buffering=True)
        assert room.playback.status is Status.PLAYING
        assert room.member("bob").buffering
        assert t.events == ()

    def test_a_live_room_runs_on_when_empty(self) -> None:
        room = build(settings=self.LIVE, media=CHANNEL)
        playback = room.playback
        room.do(c.Leave("hana", "hana-s1"), T0 + 10)
        assert room.playback == playback


# ---------------------------------------------------------------------------------------------- buffering
class TestBuffering:
    def test_a_stall_that_lasts_makes_the_party_wait(self) -> None:
        room = playing_room("bob")
        since = T0 + 4_100
        t = room.report("bob", since, position_s=4.0, buffering=True)
        # The moment of buffering that every seek and start costs holds nobody...
        assert room.playback.status is Status.PLAYING
        assert room.member("bob").buffering_since_ms == since
        assert t.events == (
            e.MemberUpdated(room.member("bob")),
            e.TimerRequested(f"stall:bob:{since}", since + STALL),
        )
        # ...a report in the meantime changes nothing...
        assert not room.report("bob", since + STALL - 1, position_s=4.0, buffering=True).changed
        assert room.playback.status is Status.PLAYING
        # ...a stall that lasts STALL does.
        now = since + STALL
        t = room.do(c.Tick(f"stall:bob:{since}"), now)
        pb = room.playback
        assert (pb.status, pb.at_ms, pb.by, pb.seq) == (Status.WAITING, now, None, 2)
        assert pb.position_s == pytest.approx(5.0)  # the party's position, not the laggard's
        assert room.party.wait_epoch == 1
        assert room.member("bob").buffering
        assert t.events == (e.PlaybackChanged(pb), e.TimerRequested("buffer:1", now + BUFFER_TIMEOUT))

    def test_a_stall_over_before_its_timer_holds_nobody(self) -> None:
        room = playing_room("bob")
        since = T0 + 4_100
        room.report("bob", since, position_s=4.0, buffering=True)
        room.report("bob", since + 400, position_s=4.4)
        t = room.do(c.Tick(f"stall:bob:{since}"), since + STALL)
        assert not t.changed and room.playback.status is Status.PLAYING
        # A new stall is a new timer: the old one stays stale.
        room.report("bob", since + 900, position_s=4.9, buffering=True)
        assert not room.do(c.Tick(f"stall:bob:{since}"), since + STALL + 1).changed

    def test_a_joiner_loading_pauses_nobody_until_it_has_played_in_step(self) -> None:
        room = playing_room("bob")
        room.join("cy", T0 + 2_000)
        assert room.member("cy").excused
        stall(room, "cy", T0 + 2_100)
        assert room.playback.status is Status.PLAYING
        room.report("cy", T0 + 4_000, position_s=3.9)  # playing, in step
        assert not room.member("cy").excused
        stall(room, "cy", T0 + 5_000, position_s=4.9)  # a real stall now
        assert room.playback.status is Status.WAITING

    def test_a_member_held_for_its_start_is_not_yet_in_step(self) -> None:
        room = playing_room("bob")
        room.join("cy", T0 + 2_000)
        command = c.ReportStatus("cy", position_s=3.0, playing=False, buffering=False)
        room.do(command, T0 + 2_100)  # ready, but paused for its start
        assert room.member("cy").excused

    def test_dont_wait_for_me(self) -> None:
        room = playing_room("bob")
        command = c.ReportStatus("bob", position_s=3.0, playing=True, buffering=False, wait_for_me=False)
        t = room.do(command, T0 + 3_100)
        assert room.member("bob").wait_for_me is False
        assert e.MemberUpdated(room.member("bob")) in t.events  # shown to the others
        t = room.report("bob", T0 + 4_100, position_s=4.0, buffering=True)
        assert not any(isinstance(ev, e.TimerRequested) for ev in t.events)
        assert not room.do(c.Tick(f"stall:bob:{T0 + 4_100}"), T0 + 4_100 + STALL).changed
        assert room.playback.status is Status.PLAYING
        # A report that does not say keeps the choice.
        room.report("bob", T0 + 9_000, position_s=9.0)
        assert room.member("bob").wait_for_me is False

    def test_buffering_during_the_lead_waits_at_the_start_position(self) -> None:
        room = build("bob")
        room.control("hana", c.Action.PLAY, T0 + 10, position_s=30.0)
        stall(room, "bob", T0 + 10 + LEAD // 2, position_s=30.0)
        # It waits where the party has got to when the stall has lasted STALL.
        expected = 30.0 + (LEAD // 2 + STALL - LEAD) / 1000
        assert room.playback.status is Status.WAITING
        assert room.playback.position_s == pytest.approx(expected)

    def test_the_party_resumes_with_a_scheduled_start_once_all_are_ready(self) -> None:
        room, waited = waiting_room("bob", "cy")
        room.report("cy", waited + 100, position_s=5.0, buffering=True)
        assert room.party.wait_epoch == 1  # already waiting: no second wait
        room.report("bob", waited + 100 + STALL, position_s=5.0)
        assert room.playback.status is Status.WAITING  # cy stalls too by now
        now = waited + 2_000
        t = room.report("cy", now, position_s=5.0)
        pb = room.playback
        assert (pb.status, pb.at_ms, pb.by) == (Status.PLAYING, now + LEAD, None)
        assert pb.position_s == pytest.approx(5.0)
        assert t.events[0] == e.MemberUpdated(room.member("cy"))
        assert t.events[-1] == e.PlaybackChanged(pb)
        # The timeout that was pending for this wait has gone stale.
        assert not room.do(c.Tick("buffer:1"), waited + BUFFER_TIMEOUT).changed

    def test_the_timeout_goes_on_without_the_laggard(self) -> None:
        room, waited = waiting_room("bob")
        now = waited + BUFFER_TIMEOUT
        t = room.do(c.Tick("buffer:1"), now)
        pb = room.playback
        assert (pb.status, pb.at_ms, pb.by) == (Status.PLAYING, now + LEAD, None)
        assert pb.position_s == pytest.approx(5.0)
        assert room.member("bob").excused and room.member("bob").buffering
        assert t.events == (e.PlaybackChanged(pb),)
        # Excused: its buffering no longer stops the party...
        t = room.report("bob", now + 1_000, position_s=5.0, buffering=True)
        assert room.playback.status is Status.PLAYING and not t.changed
        # ...a stale timeout changes nothing...
        assert not room.do(c.Tick("buffer:1"), now + 2_000).changed
        # ...until it plays in step again, which ends the excuse; the next stall waits again.
        room.report("bob", now + 3_000, position_s=6.0)
        assert not room.member("bob").excused
        stall(room, "bob", now + 4_000, position_s=7.0)
        assert room.party.playback.status is Status.WAITING
        assert room.party.wait_epoch == 2
        assert not room.do(c.Tick("buffer:1"), now + 5_000 + STALL).changed
        room.do(c.Tick("buffer:2"), now + 4_000 + STALL + BUFFER_TIMEOUT)
        assert room.playback.status is Status.PLAYING

    def test_a_wait_started_by_play_times_out_the_same_way(self) -> None:
        room = build("bob")
        room.report("bob", T0 + 50, position_s=0.0, buffering=True)
        room.control("hana", c.Action.PLAY, T0 + 50 + STALL, position_s=10.0)
        now = T0 + 50 + STALL + BUFFER_TIMEOUT
        room.do(c.Tick("buffer:1"), now)
        pb = room.playback
        assert (pb.status, pb.position_s, pb.at_ms) == (Status.PLAYING, 10.0, now + LEAD)
        assert room.member("bob").excused

    def test_a_new_wait_makes_the_previous_timeout_stale(self) -> None:
        room, waited = waiting_room("bob")
        room.report("bob", waited + 100, position_s=5.0)  # ready: resumes
        stall(room, "bob", waited + 2_000, position_s=6.0)  # stalls again
        assert room.party.wait_epoch == 2
        assert not room.do(c.Tick("buffer:1"), waited + BUFFER_TIMEOUT).changed
        assert room.playback.status is Status.WAITING

    def test_the_laggard_dropping_out_resumes_the_party(self) -> None:
        room, waited = waiting_room("bob")
        now = waited + 500
        t = room.do(c.Disconnect("bob", "bob-s1"), now)
        assert (room.playback.status, room.playback.at_ms) == (Status.PLAYING, now + LEAD)
        assert t.events == (
            e.MemberUpdated(room.member("bob")),
            e.TimerRequested(f"grace:bob:{now}", now + GRACE),
            e.PlaybackChanged(room.playback),
        )

    def test_the_laggard_leaving_resumes_the_party(self) -> None:
        room, waited = waiting_room("bob", "cy")
        t = room.do(c.Leave("bob", "bob-s1"), waited + 500)
        assert room.playback.status is Status.PLAYING
        assert t.events == (e.MemberLeft("bob"), e.PlaybackChanged(room.playback))

    def test_a_laggard_keeping_another_session_keeps_the_party_waiting(self) -> None:
        room, waited = waiting_room("bob")
        room.join("bob", waited + 100, n=2)
        room.do(c.Disconnect("bob", "bob-s1"), waited + 200)
        assert room.playback.status is Status.WAITING

    def test_a_rejoining_laggard_does_not_restart_a_wait_by_itself(self) -> None:
        room, waited = waiting_room("bob")
        room.do(c.Disconnect("bob", "bob-s1"), waited + 100)
        assert room.playback.status is Status.PLAYING
        room.join("bob", waited + 200, n=2)
        assert room.playback.status is Status.PLAYING

    def test_buffering_while_paused_does_not_wait(self) -> None:
        room = build("bob")
        t = room.report("bob", T0 + 100, position_s=0.0, buffering=True)
        assert room.playback.status is Status.PAUSED
        assert t.events == (e.MemberUpdated(room.member("bob")),)

    def test_nobody_waits_when_waiting_is_off(self) -> None:
        room = playing_room("bob", settings=Settings(wait_for_buffering=False))
        room.report("bob", T0 + 5_100, position_s=5.0, buffering=True)
        assert room.playback.status is Status.PLAYING

    def test_turning_waiting_off_while_waiting_resumes(self) -> None:
        room, waited = waiting_room("bob")
        now = waited + 1_000
        t = room.do(c.UpdateSettings("hana", wait_for_buffering=False), now)
        assert room.party.settings.wait_for_buffering is False
        assert (room.playback.status, room.playback.at_ms) == (Status.PLAYING, now + LEAD)
        assert kinds(t) == [e.PartyUpdated, e.PlaybackChanged]


# ---------------------------------------------------------------------------------------------- empty / end
class TestEmptyAndEnd:
    def test_an_emptied_film_party_pauses_and_schedules_its_end(self) -> None:
        room = playing_room("bob")
        room.do(c.Leave("bob", "bob-s1"), T0 + 1_000)
        now = T0 + 100 + 9_500
        t = room.do(c.Leave("hana", "hana-s1"), now)
        pb = room.playback
        assert room.party.members == {}
        assert room.party.empty_since_ms == now
        assert (pb.status, pb.at_ms, pb.by) == (Status.PAUSED, now, None)
        assert pb.position_s == pytest.approx(9.5)
        assert t.events == (
            e.MemberLeft("hana"),
            e.TimerRequested(f"empty:{now}", now + EMPTY_TTL),
            e.PlaybackChanged(pb),
        )

    def test_an_emptied_waiting_party_pauses_at_the_held_position(self) -> None:
        room, waited = waiting_room("bob")
        room.do(c.Evict(frozenset({"hana-s1", "bob-s1"})), waited + 100)
        assert room.playback.status is Status.PAUSED
        assert room.playback.position_s == pytest.approx(5.0)

    def test_an_emptied_live_channel_runs_on(self) -> None:
        room = build(media=CHANNEL)
        playback = room.playback
        t = room.do(c.Leave("hana", "hana-s1"), T0 + 10)
        assert room.playback == playback
        assert kinds(t) == [e.MemberLeft, e.TimerRequested]

    def test_the_empty_timer_ends_the_party(self) -> None:
        room = build()
        room.do(c.Leave("hana", "hana-s1"), T0 + 10)
        t = room.do(c.Tick(f"empty:{T0 + 10}"), T0 + 10 + EMPTY_TTL)
        assert room.party.ended == "empty"
        assert t.events == (e.PartyEnded("empty"),)
        assert t.changed

    def test_a_newcomer_to_an_empty_party_becomes_host_and_the_timer_goes_stale(self) -> None:
        room = build()
        room.do(c.Leave("hana", "hana-s1"), T0 + 10)
        room.join("bob", T0 + 20)
        assert room.member("bob").role is Role.HOST
        assert room.party.empty_since_ms is None
        assert not room.do(c.Tick(f"empty:{T0 + 10}"), T0 + 10 + EMPTY_TTL).changed
        assert room.party.ended is None

    def test_a_second_emptying_restarts_the_countdown(self) -> None:
        room = build()
        room.do(c.Leave("hana", "hana-s1"), T0 + 10)
        room.join("bob", T0 + 20)
        room.do(c.Leave("bob", "bob-s1"), T0 + 30)
        assert not room.do(c.Tick(f"empty:{T0 + 10}"), T0 + 10 + EMPTY_TTL).changed
        room.do(c.Tick(f"empty:{T0 + 30}"), T0 + 30 + EMPTY_TTL)
        assert room.party.ended == "empty"

    def test_members_in_grace_keep_a_party_from_emptying(self) -> None:
        room = build()
        t = room.do(c.Disconnect("hana", "hana-s1"), T0 + 10)
        assert room.party.empty_since_ms is None
        assert not any(isinstance(ev, e.PlaybackChanged) for ev in t.events)

    def test_the_host_ends_the_party(self) -> None:
        room = build("bob")
        t = room.do(c.End("hana"), T0 + 10)
        assert room.party.ended == "ended_by_host"
        assert t.events == (e.PartyEnded("ended_by_host"),)

    def test_staff_may_end_a_party(self) -> None:
        room = build("mod", staff=frozenset({"mod"}))
        room.do(c.End("mod"), T0 + 10)
        assert room.party.ended == "ended_by_host"

    @pytest.mark.parametrize("who", ["bob", "ghost"])
    def test_others_may_not_end_it(self, who: str) -> None:
        build("bob").refuse(c.End(who), T0 + 10, Code.FORBIDDEN)

    @pytest.mark.parametrize(
        "command",
        [
            c.Join(user("cy"), "cy-s1"),
            c.Leave("hana", "hana-s1"),
            c.Disconnect("hana", "hana-s1"),
            c.Evict(frozenset({"hana-s1"})),
            c.Control("hana", c.Action.PLAY),
            c.ReportStatus("hana", 0.0, playing=False, buffering=False),
            c.SetRole("hana", "bob", Role.COHOST),
            c.UpdateSettings("hana", title="x"),
            c.End("hana"),
        ],
        ids=lambda cmd: type(cmd).__name__,
    )
    def test_an_ended_party_refuses_everything_as_not_found(self, command: c.Command) -> None:
        room = build("bob")
        room.do(c.End("hana"), T0 + 10)
        room.refuse(command, T0 + 20, Code.NOT_FOUND)

    def test_an_ended_party_ignores_its_timers(self) -> None:
        room = build("bob")
        room.do(c.Disconnect("bob", "bob-s1"), T0 + 5)
        room.do(c.End("hana"), T0 + 10)
        before = room.party
        t = room.do(c.Tick(f"grace:bob:{T0 + 5}"), T0 + 5 + GRACE)
        assert not t.changed and t.events == () and t.party is before


# ---------------------------------------------------------------------------------------------- roles
class TestSetRole:
    def test_the_host_promotes_a_cohost(self) -> None:
        room = build("bob")
        t = room.do(c.SetRole("hana", "bob", Role.COHOST), T0 + 10)
        assert room.member("bob").role is Role.COHOST
        assert t.events == (e.MemberUpdated(room.member("bob")),)

    def test_the_host_demotes_a_cohost(self) -> None:
        room = build("bob")
        room.do(c.SetRole("hana", "bob", Role.COHOST), T0 + 10)
        room.do(c.SetRole("hana", "bob", Role.MEMBER), T0 + 20)
        assert room.member("bob").role is Role.MEMBER

    def test_handing_over_the_host_role_keeps_the_old_host_as_cohost(self) -> None:
        room = build("bob")
        t = room.do(c.SetRole("hana", "bob", Role.HOST), T0 + 10)
        assert room.member("bob").role is Role.HOST
        assert room.member("hana").role is Role.COHOST
        assert t.events == (e.MemberUpdated(room.member("hana")), e.MemberUpdated(room.member("bob")))
        assert room.party.host == room.member("bob")

    def test_staff_may_appoint_a_host(self) -> None:
        room = build("bob", "mod", staff=frozenset({"mod"}))
        room.do(c.SetRole("mod", "bob", Role.HOST), T0 + 10)
        assert [m.user_id for m in room.party.members.values() if m.role is Role.HOST] == ["bob"]
        assert room.member("hana").role is Role.COHOST

    def test_a_promoted_cohost_may_control_in_hosts_mode(self) -> None:
        room = build("bob", settings=Settings(control=ControlMode.HOSTS))
        room.refuse(c.Control("bob", c.Action.PLAY), T0 + 5, Code.FORBIDDEN)
        room.do(c.SetRole("hana", "bob", Role.COHOST), T0 + 10)
        room.control("bob", c.Action.PLAY, T0 + 20)
        assert room.playback.status is Status.PLAYING

    def test_setting_the_same_role_changes_nothing(self) -> None:
        room = build("bob")
        t = room.do(c.SetRole("hana", "bob", Role.MEMBER), T0 + 10)
        assert not t.changed and t.events == ()

    @pytest.mark.parametrize("actor_role", [Role.MEMBER, Role.COHOST])
    def test_only_the_host_changes_roles(self, actor_role: Role) -> None:
        room = build("bob", "cy")
        if actor_role is Role.COHOST:
            room.do(c.SetRole("hana", "bob", Role.COHOST), T0 + 5)
        room.refuse(c.SetRole("bob", "cy", Role.COHOST), T0 + 10, Code.FORBIDDEN)
        room.refuse(c.SetRole("bob", "bob", Role.HOST), T0 + 10, Code.FORBIDDEN)

    def test_strangers_change_no_roles(self) -> None:
        build("bob").refuse(c.SetRole("ghost", "bob", Role.HOST), T0 + 10, Code.FORBIDDEN)

    def test_the_target_must_be_in_the_party(self) -> None:
        build().refuse(c.SetRole("hana", "ghost", Role.COHOST), T0 + 10, Code.NOT_FOUND)

    def test_the_host_cannot_simply_be_demoted(self) -> None:
        room = build("mod", staff=frozenset({"mod"}))
        room.refuse(c.SetRole("hana", "hana", Role.MEMBER), T0 + 10, Code.BAD_REQUEST)
        room.refuse(c.SetRole("mod", "hana", Role.COHOST), T0 + 10, Code.BAD_REQUEST)


# ---------------------------------------------------------------------------------------------- settings
class TestUpdateSettings:
    def test_the_host_changes_settings_and_title(self) -> None:
        room = build()
        t = room.do(
            c.UpdateSettings("hana", title="Late show", control=ControlMode.HOSTS, max_members=3), T0 + 10
        )
        assert room.party.title == "Late show"
        assert room.party.settings == Settings(control=ControlMode.HOSTS, max_members=3)
        assert kinds(t) == [e.PartyUpdated]
        (event,) = t.events
        assert isinstance(event, e.PartyUpdated)
        announced = event.party
        assert (announced.title, announced.settings) == (room.party.title, room.party.settings)
        assert room.party.version == 2

    def test_settings_equal_to_the_current_ones_change_nothing(self) -> None:
        room = build()
        t = room.do(
            c.UpdateSettings(
                "hana",
                title="Movie night",
                control=ControlMode.EVERYONE,
                wait_for_buffering=True,
                max_members=50,
            ),
            T0 + 10,
        )
        assert not t.changed and t.events == ()

    def test_a_lower_limit_applies_to_the_next_join(self) -> None:
        room = build("bob")
        room.do(c.UpdateSettings("hana", max_members=2), T0 + 10)
        room.refuse(c.Join(user("cy"), "cy-s1"), T0 + 20, Code.FORBIDDEN)

    def test_staff_may_change_settings(self) -> None:
        room = build("mod", staff=frozenset({"mod"}))
        room.do(c.UpdateSettings("mod", control=ControlMode.HOSTS), T0 + 10)
        assert room.party.settings.control is ControlMode.HOSTS

    @pytest.mark.parametrize("who", ["bob", "ghost"])
    def test_others_may_not(self, who: str) -> None:
        build("bob").refuse(c.UpdateSettings(who, title="mine"), T0 + 10, Code.FORBIDDEN)


# ---------------------------------------------------------------------------------------------- reports
class TestLead:
    def report_rtt(self, room: Room, uid: str, now: int, rtt_ms: int) -> Transition:
        command = c.ReportStatus(uid, position_s=0.0, playing=False, buffering=False, rtt_ms=rtt_ms)
        return room.do(command, now)

    def test_the_lead_fits_the_slowest_members_path(self) -> None:
        room = build("bob", "cy")
        self.report_rtt(room, "bob", T0 + 10, 60)
        room.control("hana", c.Action.PLAY, T0 + 20)
        assert room.playback.at_ms == T0 + 20 + 30 + RULES.lead_margin_ms
        self.report_rtt(room, "cy", T0 + 30, 300)
        room.control("hana", c.Action.SEEK, T0 + 40, position_s=9.0)
        assert room.playback.at_ms == T0 + 40 + 150 + RULES.lead_margin_ms
        # A member gone does not slow the others.
        room.do(c.Leave("cy", "cy-s1"), T0 + 50)
        room.control("hana", c.Action.SEEK, T0 + 60, position_s=19.0)
        assert room.playback.at_ms == T0 + 60 + 30 + RULES.lead_margin_ms
        # Without a round trip reported, the configured lead.
        room.do(c.Leave("bob", "bob-s1"), T0 + 70)
        room.control("hana", c.Action.SEEK, T0 + 80, position_s=29.0)
        assert room.playback.at_ms == T0 + 80 + LEAD

    def test_the_lead_is_bounded(self) -> None:
        room = build("bob")
        self.report_rtt(room, "bob", T0 + 10, 5_000)
        room.control("hana", c.Action.PLAY, T0 + 20)
        assert room.playback.at_ms == T0 + 20 + RULES.max_lead_ms

    def test_resumes_use_it_too(self) -> None:
        room, waited = waiting_room("bob")
        self.report_rtt(room, "hana", waited + 10, 400)
        room.report("bob", waited + 100, position_s=5.0)
        assert room.playback.at_ms == waited + 100 + 200 + RULES.lead_margin_ms

    def test_a_round_trip_is_kept_coarse(self) -> None:
        room = build("bob")
        self.report_rtt(room, "bob", T0 + 10, 100)
        assert room.member("bob").rtt_ms == 100
        assert not self.report_rtt(room, "bob", T0 + 20, 115).changed  # within 20 ms: no write
        self.report_rtt(room, "bob", T0 + 30, 130)
        assert room.member("bob").rtt_ms == 130


class TestRejoin:
    def test_a_member_back_from_a_drop_loads_again_without_holding_the_party(self) -> None:
        room = playing_room("bob")
        room.do(c.Disconnect("bob", "bob-s1"), T0 + 1_000)
        room.join("bob", T0 + 2_000, n=2)
        assert room.member("bob").excused
        stall(room, "bob", T0 + 2_100)
        assert room.playback.status is Status.PLAYING


class TestInSync:
    """Playing from T0+100 at position 0, so at T0+100+x ms the party is at x/1000 s."""

    SETTLED = T0 + 100 + RULES.settle_ms

    def test_a_small_drift_is_measured_but_changes_nothing(self) -> None:
        room = playing_room("bob")
        t = room.report("bob", self.SETTLED, position_s=1.0 + 0.2)
        assert only_drift(t, "bob") == pytest.approx(0.2)
        assert not t.changed
        assert room.member("bob").in_sync

    def test_hysteresis_out_beyond_the_outer_limit_back_within_the_inner(self) -> None:
        room = playing_room("bob")
        now = self.SETTLED
        t = room.report("bob", now, position_s=1.0 - 0.3)
        assert not room.member("bob").in_sync
        assert t.events[-1] == e.MemberUpdated(room.member("bob"))
        # 0.2 s would have kept it in sync, but is not close enough to come back.
        now += 1_000
        t = room.report("bob", now, position_s=(now - T0 - 100) / 1000 + 0.2)
        assert not room.member("bob").in_sync and not t.changed
        now += 1_000
        t = room.report("bob", now, position_s=(now - T0 - 100) / 1000 + 0.05)
        assert room.member("bob").in_sync
        assert kinds(t) == [e.DriftMeasured, e.MemberUpdated]

    def test_reports_right_after_a_change_are_not_judged(self) -> None:
        room = playing_room("bob")
        t = room.report("bob", self.SETTLED - 1, position_s=50.0)
        assert t.events == () and not t.changed
        assert room.member("bob").in_sync

    def test_reports_on_a_paused_party_are_judged_at_once(self) -> None:
        room = build("bob")
        room.control("hana", c.Action.SEEK, T0 + 10, position_s=20.0)
        room.report("bob", T0 + 10, position_s=21.0)
        assert not room.member("bob").in_sync

    def test_buffering_reports_are_not_judged(self) -> None:
        room = playing_room("bob", settings=Settings(wait_for_buffering=False))
        t = room.report("bob", self.SETTLED, position_s=0.0, buffering=True)
        assert not any(isinstance(ev, e.DriftMeasured) for ev in t.events)
        assert room.member("bob").in_sync
        # Nor the first report after it (the player is still catching up).
        t = room.report("bob", self.SETTLED + 100, position_s=0.0)
        assert not any(isinstance(ev, e.DriftMeasured) for ev in t.events)
        assert room.member("bob").in_sync and not room.member("bob").buffering

    def test_the_clients_own_instant_is_used_when_plausible(self) -> None:
        room = playing_room("bob")
        described = self.SETTLED + 1_000
        t = room.report("bob", described + 300, position_s=2.0, at_ms=described)
        assert only_drift(t, "bob") == pytest.approx(0.0)

    def test_an_implausible_client_instant_is_replaced_by_now(self) -> None:
        room = playing_room("bob")
        now = self.SETTLED + 1_000
        t = room.report("bob", now, position_s=2.0, at_ms=now - 60_000)
        assert only_drift(t, "bob") == pytest.approx(0.0)

    def test_strangers_and_members_in_grace_may_not_report(self) -> None:
        room = playing_room("bob")
        room.refuse(c.ReportStatus("ghost", 0.0, playing=True, buffering=False), T0 + 500, Code.FORBIDDEN)
        room.do(c.Disconnect("bob", "bob-s1"), T0 + 600)
        room.refuse(c.ReportStatus("bob", 0.0, playing=True, buffering=False), T0 + 700, Code.FORBIDDEN)

    def test_live_room_in_sync_changes_are_not_announced(self) -> None:
        room = build("bob", settings=Settings(type=RoomType.LIVE_ROOM), media=CHANNEL)
        now = T0 + 5_000
        t = room.report("bob", now, position_s=0.0)
        assert not room.member("bob").in_sync
        assert kinds(t) == [e.DriftMeasured]
        assert t.changed


# ---------------------------------------------------------------------------------------------- versions
class TestVersion:
    def test_version_counts_exactly_the_committed_changes(self) -> None:
        room = build("bob")
        script: list[tuple[c.Command, int]] = [
            (c.Control("hana", c.Action.PAUSE), T0 + 10),  # no-op
            (c.Control("hana", c.Action.PLAY), T0 + 20),
            (c.Control("hana", c.Action.PLAY), T0 + 30),  # no-op
            (c.ReportStatus("bob", 0.0, playing=True, buffering=False), T0 + 40),  # not settled: no-op
            (c.Join(user("bob"), "bob-s1"), T0 + 50),  # same session: no-op
            (c.Join(user("bob"), "bob-s2"), T0 + 60),
            (c.Leave("bob", "bob-s9"), T0 + 70),  # not a session of bob's: no-op
            (c.Tick("buffer:7"), T0 + 80),  # stale: no-op
            (c.SetRole("hana", "bob", Role.MEMBER), T0 + 90),  # no-op
            (c.UpdateSettings("hana"), T0 + 95),  # no-op
            (c.Control("hana", c.Action.RATE, rate=1.25), T0 + 100),
            (c.Control("hana", c.Action.SEEK, position_s=3.0), T0 + 110),
            (c.Disconnect("bob", "bob-s1"), T0 + 120),
        ]
        version = room.party.version
        for command, now in script:
            before = room.party
            t = room.do(command, now)
            if t.changed:
                version += 1
                assert room.party is not before
            else:
                assert room.party is before
            assert room.party.version == version, command
        assert room.party.version == 7  # two joins, then five changes

    def test_refusals_leave_the_party_untouched(self) -> None:
        room = playing_room("bob", settings=Settings(control=ControlMode.HOSTS))
        before = room.party
        refused: list[c.Command] = [
            c.Control("bob", c.Action.PAUSE),
            c.Control("hana", c.Action.SEEK),
            c.SetRole("bob", "hana", Role.MEMBER),
            c.End("bob"),
        ]
        for command in refused:
            with pytest.raises(SyncError):
                room.machine.handle(room.party, command, T0 + 500)
        assert room.party is before and room.party.version == before.version

    def test_every_playback_change_bumps_seq_by_one(self) -> None:
        room = build("bob")
        seqs = [room.playback.seq]
        steps: list[tuple[c.Action, dict[str, Any]]] = [
            (c.Action.PLAY, {}),
            (c.Action.SEEK, {"position_s": 9.0}),
            (c.Action.RATE, {"rate": 2.0}),
            (c.Action.PAUSE, {}),
            (c.Action.LOAD, {"media": CHANNEL}),
        ]
        for action, kw in steps:
            t = room.control("hana", action, T0 + 100 * (len(seqs) + 1), **kw)
            seqs.append(room.playback.seq)
            assert t.events == (e.PlaybackChanged(room.playback),)
        assert seqs == [0, 1, 2, 3, 4, 5]

    def test_the_input_party_is_never_mutated(self) -> None:
        room = build("bob")
        original = room.party
        snapshot = (dict(original.members), original.playback, original.version)
        room.control("hana", c.Action.PLAY, T0 + 10)
        room.do(c.Leave("bob", "bob-s1"), T0 + 20)
        assert (dict(original.members), original.playback, original.version) == snapshot
