"""Polls and predictions, pure (socialsync/domain/polls.py): who runs them, what a draft
may be, voting once and only while open, closing, locking, resolving, cancelling, what
time does, the timers each status needs, and the results that go out."""

from __future__ import annotations

from dataclasses import replace

import pytest

from socialsync.domain.codec import notice_from_data, notice_to_data
from socialsync.domain.errors import Code, SyncError
from socialsync.domain.model import Member, Role
from socialsync.domain.notices import PollChanged, PollCounted
from socialsync.domain.polls import (
    KEEP_ENDED_MS,
    RESOLVE_WITHIN_MS,
    Poll,
    PollDraft,
    PollEnd,
    PollKind,
    PollStatus,
    Tally,
    cancel,
    check_may_run,
    check_vote,
    close,
    due,
    ended_event,
    open_poll,
    resolve,
    timer_poll,
    timers,
    winners,
)

T0 = 1_000_000
HOST = Member("ann", "Ann", Role.HOST, 0)
COHOST = Member("cy", "Cy", Role.COHOST, 0)
MEMBER = Member("ben", "Ben", Role.MEMBER, 0)
MOD = Member("moe", "Moe", Role.MEMBER, 0, staff=True)
POLL = PollDraft(PollKind.POLL, "Best film?", ("Alien", "Heat", "Up"), 60)
PREDICTION = PollDraft(PollKind.PREDICTION, "Who wins?", ("Red", "Blue"), 30)


def _open(draft: PollDraft = POLL, current: Poll | None = None) -> Poll:
    return open_poll("p1", "party", "demo", HOST, draft, current, T0)


def _code(call) -> Code:
    with pytest.raises(SyncError) as caught:
        call()
    return caught.value.code


def test_hosts_cohosts_and_staff_run_polls_plain_members_do_not():
    for runner in (HOST, COHOST, MOD):
        check_may_run(runner)
    assert _code(lambda: check_may_run(MEMBER)) is Code.FORBIDDEN
    assert _code(lambda: check_may_run(None)) is Code.FORBIDDEN


@pytest.mark.parametrize(
    "draft",
    [
        replace(POLL, choices=("Alien",)),
        replace(POLL, choices=tuple("abcdef")),
        replace(POLL, choices=("Alien", "  alien ")),  # the same choice twice, told apart by case only
        replace(POLL, duration_s=14),
        replace(POLL, duration_s=1801),
    ],
)
def test_a_draft_out_of_bounds_is_a_bad_request(draft):
    assert _code(lambda: _open(draft)) is Code.BAD_REQUEST


def test_a_poll_opens_for_its_duration_and_one_at_a_time():
    poll = _open()
    assert (poll.status, poll.closes_at_ms, poll.by_id, poll.version) == (
        PollStatus.OPEN,
        T0 + 60_000,
        "ann",
        1,
    )
    assert _code(lambda: _open(current=poll)) is Code.CONFLICT
    locked = close(_open(PREDICTION), T0 + 1)
    assert _code(lambda: _open(current=locked)) is Code.CONFLICT, "a locked prediction is still under way"
    assert _open(current=close(poll, T0 + 5)).status is PollStatus.OPEN, "after the end, a new one"


def test_votes_name_the_current_poll_a_real_choice_and_come_while_open():
    poll = _open()
    assert check_vote(poll, "p1", 2, T0 + 1) is poll
    assert _code(lambda: check_vote(poll, "other", 0, T0)) is Code.NOT_FOUND
    assert _code(lambda: check_vote(None, "p1", 0, T0)) is Code.NOT_FOUND
    assert _code(lambda: check_vote(poll, "p1", 3, T0)) is Code.BAD_REQUEST
    assert _code(lambda: check_vote(poll, "p1", 0, T0 + 60_000)) is Code.CONFLICT, "its time is up"
    assert _code(lambda: check_vote(close(poll, T0 + 5), "p1", 0, T0 + 6)) is Code.CONFLICT


def test_closing_a_poll_ends_it_closing_a_prediction_locks_it():
    ended = close(_open(), T0 + 5_000)
    assert (ended.status, ended.end, ended.closed_at_ms, ended.version) == (
        PollStatus.ENDED,
        PollEnd.COMPLETED,
        T0 + 5_000,
        2,
    )
    assert _code(lambda: close(ended, T0 + 6_000)) is Code.CONFLICT
    locked = close(_open(PREDICTION), T0 + 5_000)
    assert (locked.status, locked.end, locked.closed_at_ms) == (PollStatus.LOCKED, None, T0 + 5_000)
    assert _code(lambda: close(locked, T0 + 6_000)) is Code.CONFLICT


def test_a_prediction_resolves_to_an_outcome_or_is_cancelled():
    locked = close(_open(PREDICTION), T0 + 5_000)
    resolved = resolve(locked, 1, T0 + 9_000)
    assert (resolved.status, resolved.end, resolved.outcome, resolved.closed_at_ms) == (
        PollStatus.ENDED,
        PollEnd.RESOLVED,
        1,
        T0 + 5_000,
    )
    assert _code(lambda: resolve(resolved, 0, T0 + 9_001)) is Code.CONFLICT
    assert _code(lambda: resolve(locked, 2, T0 + 9_000)) is Code.BAD_REQUEST
    assert _code(lambda: resolve(_open(), 0, T0)) is Code.BAD_REQUEST, "a poll is closed, not resolved"
    early = resolve(_open(PREDICTION), 0, T0 + 1_000)
    assert (early.closed_at_ms, early.outcome) == (T0 + 1_000, 0), "resolving an open one stops its voting"
    cancelled = cancel(locked, T0 + 9_000)
    assert (cancelled.status, cancelled.end, cancelled.outcome) == (PollStatus.ENDED, PollEnd.CANCELLED, None)
    assert _code(lambda: cancel(cancelled, T0 + 9_001)) is Code.CONFLICT


def test_time_closes_a_poll_locks_a_prediction_and_cancels_it_unresolved_after_a_day():
    poll, prediction = _open(), _open(PREDICTION)
    assert due(poll, T0 + 59_999) is None
    ended = due(poll, T0 + 60_400)
    assert ended is not None and ended.end is PollEnd.COMPLETED and ended.closed_at_ms == T0 + 60_000
    locked = due(prediction, T0 + 30_000)
    assert locked is not None and locked.status is PollStatus.LOCKED
    assert due(locked, T0 + 30_000 + RESOLVE_WITHIN_MS - 1) is None
    expired = due(locked, T0 + 30_000 + RESOLVE_WITHIN_MS)
    assert expired is not None and expired.end is PollEnd.CANCELLED
    assert due(ended, T0 + 10 * RESOLVE_WITHIN_MS) is None


def test_each_status_asks_for_its_timer_and_the_key_names_the_poll():
    poll = _open()
    assert timers(poll) == [("poll:p1:close", T0 + 60_000)]
    locked = close(_open(PREDICTION), T0 + 1_000)
    assert timers(locked) == [("poll:p1:expire", T0 + 1_000 + RESOLVE_WITHIN_MS)]
    assert timers(close(poll, T0 + 1)) == []
    assert timer_poll("poll:p1:expire") == "p1"


def test_a_store_keeps_it_while_it_may_change_and_an_hour_after_its_end():
    poll = _open()
    assert poll.keep_until_ms(T0) == T0 + 60_000 + KEEP_ENDED_MS
    assert _open(PREDICTION).keep_until_ms(T0) == T0 + 30_000 + RESOLVE_WITHIN_MS + KEEP_ENDED_MS
    assert close(poll, T0 + 5).keep_until_ms(T0 + 5) == T0 + 5 + KEEP_ENDED_MS


def test_winners_and_the_webhook_event_carry_counts_never_voters():
    poll = close(_open(), T0 + 10_000)
    tally = Tally(poll, (2, 5, 5))
    assert winners(tally) == [1, 2] and tally.total == 12
    assert winners(Tally(poll, (0, 0, 0))) == []
    event = ended_event(tally, T0 + 10_000)
    assert (event.type, event.dedupe_key, event.party_id) == ("poll.ended", "poll.ended:p1", "party")
    assert event.data["choices"] == [
        {"text": "Alien", "votes": 2},
        {"text": "Heat", "votes": 5},
        {"text": "Up", "votes": 5},
    ]
    assert (event.data["votes"], event.data["end"], event.data["duration_s"]) == (12, "completed", 10.0)
    resolved = resolve(_open(PREDICTION), 1, T0 + 1)
    assert ended_event(Tally(resolved, (3, 1)), T0 + 1).data["winners"] == [1]


def test_poll_notices_cross_the_broker_as_plain_data():
    tally = Tally(resolve(_open(PREDICTION), 0, T0 + 1), (4, 1))
    for notice in (PollChanged(tally), PollCounted("party", "p1", (4, 1))):
        kind, data = notice_to_data(notice)
        assert notice_from_data(kind, data) == notice
    assert Poll.from_data(tally.poll.to_data()) == tally.poll
