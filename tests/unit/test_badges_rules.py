"""Badges (domain/badges.py): what a viewer's sessions earn, streaks by UTC week, a live
event's top reactors, what is shown and what a store must write."""

from __future__ import annotations

from socialsync.domain.badges import (
    HOUR_MS,
    WEEK_MS,
    Award,
    Badge,
    BadgeKind,
    PartySession,
    SessionFact,
    changes,
    earned,
    longest_run,
    shown,
    step,
    to_wire,
    top_reactors,
    week_of,
)

MONDAY = 1_799_625_600_000  # 2027-01-11 00:00 UTC, a Monday


def fact(
    party: str, session: int, watch_h: float = 0, first: int | None = None, viewers: int = 2
) -> SessionFact:
    return SessionFact(
        party, session, session, round(watch_h * HOUR_MS), session if first is None else first, viewers
    )


def test_weeks_run_monday_to_sunday_utc():
    assert week_of(MONDAY) == week_of(MONDAY + WEEK_MS - 1) == week_of(MONDAY - 1) + 1
    assert longest_run([1, 2, 3, 5, 6]) == 3
    assert longest_run([4, 4, 4]) == 1
    assert longest_run([]) == 0


def test_levels_are_the_highest_step_reached():
    assert step(0.99, (1, 5)) == 0
    assert step(5, (1, 5)) == 5
    assert step(400, (1, 5, 10)) == 10


def test_a_first_session_earns_the_first_party_badge_and_hosting_it_counts():
    assert earned([]) == {}
    assert earned([fact("p1", MONDAY)]) == {BadgeKind.FIRST_PARTY: 1, BadgeKind.HOSTED: 1}
    # Not the party's first: a guest of it, not its host.
    assert earned([fact("p1", MONDAY + 5, first=MONDAY)]) == {BadgeKind.FIRST_PARTY: 1}


def test_watch_time_counts_together_only_in_parties_of_two_or_more():
    alone = [fact(f"a{i}", MONDAY + i, watch_h=1, viewers=1) for i in range(3)]
    together = [fact(f"t{i}", MONDAY + 10 + i, watch_h=2.5, viewers=3, first=0) for i in range(2)]
    found = earned(alone + together)
    assert found[BadgeKind.WATCHED_TOGETHER] == 5  # 5 h together (3 h alone do not count)
    assert found[BadgeKind.HOSTED] == 1  # the three parties alone: the step of 1 (not yet 5)


def test_hosting_five_parties_reaches_the_second_step_and_rejoins_count_once():
    sessions = [fact(f"p{i}", MONDAY + i) for i in range(5)] + [fact("p0", MONDAY + 99, first=MONDAY)]
    assert earned(sessions)[BadgeKind.HOSTED] == 5


def test_a_streak_is_the_longest_run_of_weeks_from_two():
    one_week = [fact("p1", MONDAY), fact("p2", MONDAY + 6 * 86_400_000)]
    assert BadgeKind.STREAK not in earned(one_week)
    weeks = [fact(f"w{i}", MONDAY + i * WEEK_MS) for i in (0, 1, 2, 4)]
    assert earned(weeks)[BadgeKind.STREAK] == 3


def test_a_live_events_top_reactor_once_every_session_ended():
    done = [
        PartySession("ana", True, 7, True),
        PartySession("ben", True, 2, True),
        PartySession("cy", True, 7, True),
    ]
    assert top_reactors(done) == ["ana", "cy"]  # a tie: both
    assert top_reactors([*done[:2], PartySession("cy", False, 9, True)]) == []  # under way
    assert top_reactors([PartySession(s.viewer, True, s.reactions, False) for s in done]) == []  # VOD
    assert top_reactors(done[:2]) == []  # two viewers: not an event
    assert top_reactors([PartySession(s.viewer, True, 1, True) for s in done]) == []  # too few reactions
    # Two sessions of one viewer add up.
    assert top_reactors([*done, PartySession("ben", True, 6, True)]) == ["ben"]


def test_shown_keeps_the_highest_level_per_kind_and_counts_per_party_kinds():
    def award(kind: BadgeKind, n: int, ref: str = "") -> Award:
        return Award("t", "v", kind, ref, n, 0)

    held = [
        award(BadgeKind.STREAK, 3),
        award(BadgeKind.HOSTED, 5),
        award(BadgeKind.HOSTED, 1),
        award(BadgeKind.TOP_REACTOR, 1, "p1"),
        award(BadgeKind.TOP_REACTOR, 1, "p2"),
        award(BadgeKind.FIRST_PARTY, 1),
    ]
    assert shown(held) == (
        Badge(BadgeKind.FIRST_PARTY, 1),
        Badge(BadgeKind.HOSTED, 5),
        Badge(BadgeKind.TOP_REACTOR, 2),
        Badge(BadgeKind.STREAK, 3),
    )
    assert to_wire(shown(held))[2] == ("top_reactor", 2)
    # What a store writes: only what is new or higher.
    now = {BadgeKind.STREAK: 3, BadgeKind.HOSTED: 10, BadgeKind.WATCHED_TOGETHER: 1}
    assert changes(now, held) == {BadgeKind.HOSTED: 10, BadgeKind.WATCHED_TOGETHER: 1}
