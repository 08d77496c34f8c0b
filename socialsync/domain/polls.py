"""Polls and predictions, pure: what may be opened, voted, closed, resolved or cancelled,
and what time does to them. Twitch's polls and predictions are the model.

A **poll** asks the party a question with 2 to 5 choices for a while (15 s to 30 min);
each member picks one choice once; when its time is up (or its opener closes it early)
the result is final. A **prediction** offers 2 to 5 outcomes; members pick one until
it locks (its time is up, or it is locked early); then the opener resolves it to the
outcome that happened, or cancels it. A locked prediction nobody resolves within a day
is cancelled by itself. A party has one poll or prediction under way at a time.

Votes and their tallies are counted by the store (ports/polls.py), atomically with the
poll's status: the rules here decide; the store makes sure that a member counts once
and that nothing is counted once voting has closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from socialsync.domain.errors import Code, SyncError, bad_request, forbidden, not_found
from socialsync.domain.model import Member
from socialsync.domain.webhooks import POLL_ENDED, EventDraft

MIN_CHOICES = 2
MAX_CHOICES = 5
MIN_DURATION_S = 15
MAX_DURATION_S = 30 * 60
MAX_QUESTION_CHARS = 120
MAX_CHOICE_CHARS = 40
# A locked prediction waits this long for its resolution, then is cancelled.
RESOLVE_WITHIN_MS = 24 * 3_600_000
# An ended poll stays the party's current one (late joiners see its result) this long.
KEEP_ENDED_MS = 3_600_000
# Its timers' keys begin so (the composition root routes them to the polls' service).
TIMER_PREFIX = "poll:"


class PollKind(StrEnum):
    POLL = "poll"
    PREDICTION = "prediction"


class PollStatus(StrEnum):
    OPEN = "open"  # members vote
    LOCKED = "locked"  # a prediction whose voting is over, waiting for its outcome
    ENDED = "ended"  # final


class PollEnd(StrEnum):
    COMPLETED = "completed"  # a poll's time ran out, or it was closed early
    RESOLVED = "resolved"  # a prediction resolved to its outcome
    CANCELLED = "cancelled"  # by its opener or a moderator; an unresolved prediction after a day


@dataclass(frozen=True, slots=True)
class PollDraft:
    """What an opener asks for (the edge has bounded its sizes)."""

    kind: PollKind
    question: str
    choices: tuple[str, ...]
    duration_s: int


@dataclass(frozen=True, slots=True)
class Poll:
    id: str
    party_id: str
    tenant_id: str
    kind: PollKind
    question: str
    choices: tuple[str, ...]
    by_id: str
    by_name: str
    opened_at_ms: int
    closes_at_ms: int  # a poll's end, a prediction's lock, unless closed earlier
    status: PollStatus = PollStatus.OPEN
    closed_at_ms: int | None = None  # when voting actually stopped
    ended_at_ms: int | None = None
    end: PollEnd | None = None
    outcome: int | None = None  # a resolved prediction's outcome
    version: int = 1  # bumped by every change; stores compare-and-set on it

    @property
    def voting(self) -> bool:
        return self.status is PollStatus.OPEN

    def votable(self, now_ms: int) -> bool:
        """Open, and its time not up (its timer may not have fired yet)."""
        return self.voting and now_ms < self.closes_at_ms

    def keep_until_ms(self, now_ms: int) -> int:
        """When a store may forget it (and its votes), from a change at ``now_ms``."""
        if self.status is PollStatus.ENDED:
            return now_ms + KEEP_ENDED_MS
        closed = self.closed_at_ms if self.closed_at_ms is not None else self.closes_at_ms
        waits = RESOLVE_WITHIN_MS if self.kind is PollKind.PREDICTION else 0
        return max(now_ms, closed) + waits + KEEP_ENDED_MS

    def to_data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "party": self.party_id,
            "tenant": self.tenant_id,
            "kind": self.kind.value,
            "question": self.question,
            "choices": list(self.choices),
            "by_id": self.by_id,
            "by_name": self.by_name,
            "opened_at": self.opened_at_ms,
            "closes_at": self.closes_at_ms,
            "status": self.status.value,
            "closed_at": self.closed_at_ms,
            "ended_at": self.ended_at_ms,
            "end": None if self.end is None else self.end.value,
            "outcome": self.outcome,
            "version": self.version,
        }

    @classmethod
    def from_data(cls, d: Mapping[str, Any]) -> Poll:
        return cls(
            id=str(d["id"]),
            party_id=str(d["party"]),
            tenant_id=str(d["tenant"]),
            kind=PollKind(d["kind"]),
            question=str(d["question"]),
            choices=tuple(str(c) for c in d["choices"]),
            by_id=str(d["by_id"]),
            by_name=str(d["by_name"]),
            opened_at_ms=int(d["opened_at"]),
            closes_at_ms=int(d["closes_at"]),
            status=PollStatus(d["status"]),
            closed_at_ms=None if d.get("closed_at") is None else int(d["closed_at"]),
            ended_at_ms=None if d.get("ended_at") is None else int(d["ended_at"]),
            end=None if d.get("end") is None else PollEnd(d["end"]),
            outcome=None if d.get("outcome") is None else int(d["outcome"]),
            version=int(d["version"]),
        )


@dataclass(frozen=True, slots=True)
class Tally:
    """A poll with its votes counted per choice (``counts[i]``: votes for choice i)."""

    poll: Poll
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)

    def to_data(self) -> dict[str, Any]:
        return {"poll": self.poll.to_data(), "counts": list(self.counts)}

    @classmethod
    def from_data(cls, d: Mapping[str, Any]) -> Tally:
        return cls(Poll.from_data(d["poll"]), tuple(int(n) for n in d["counts"]))


def zeros(poll: Poll) -> tuple[int, ...]:
    return (0,) * len(poll.choices)


# ---------------------------------------------------------------------------- who and what


def check_may_run(member: Member | None) -> None:
    """Hosts, cohosts and staff who joined the party open and run polls."""
    if member is None or not member.may_control:
        raise forbidden("only hosts, cohosts and moderators run polls")


def check_draft(draft: PollDraft) -> None:
    """The bounds the edge cannot see: choices told apart, a known duration."""
    if not MIN_CHOICES <= len(draft.choices) <= MAX_CHOICES:
        raise bad_request(f"choices: {MIN_CHOICES} to {MAX_CHOICES} choices")
    folded = [" ".join(c.casefold().split()) for c in draft.choices]
    if len(set(folded)) != len(folded):
        raise bad_request("choices: each choice once")
    if not MIN_DURATION_S <= draft.duration_s <= MAX_DURATION_S:
        raise bad_request(f"duration: {MIN_DURATION_S} to {MAX_DURATION_S} seconds")
    if not draft.question or not all(draft.choices):
        raise bad_request("question and choices must not be empty")


def open_poll(
    poll_id: str,
    party_id: str,
    tenant_id: str,
    by: Member,
    draft: PollDraft,
    current: Poll | None,
    now_ms: int,
) -> Poll:
    """A new poll; refused while the party's current one is under way (the store checks
    again, atomically)."""
    check_draft(draft)
    if current is not None and current.status is not PollStatus.ENDED:
        raise busy(current)
    return Poll(
        id=poll_id,
        party_id=party_id,
        tenant_id=tenant_id,
        kind=draft.kind,
        question=draft.question,
        choices=draft.choices,
        by_id=by.user_id,
        by_name=by.name,
        opened_at_ms=now_ms,
        closes_at_ms=now_ms + draft.duration_s * 1000,
    )


def busy(current: Poll) -> SyncError:
    what = "prediction" if current.kind is PollKind.PREDICTION else "poll"
    return SyncError(Code.CONFLICT, f"a {what} is under way in this party: close or cancel it first")


def the(current: Poll | None, poll_id: str) -> Poll:
    """The party's current poll if it is ``poll_id``."""
    if current is None or current.id != poll_id:
        raise not_found("no such poll in this party")
    return current


def check_vote(current: Poll | None, poll_id: str, choice: int, now_ms: int) -> Poll:
    poll = the(current, poll_id)
    if not 0 <= choice < len(poll.choices):
        raise bad_request(f"choice: 0 to {len(poll.choices) - 1}")
    if not poll.votable(now_ms):
        raise closed()
    return poll


def closed() -> SyncError:
    return SyncError(Code.CONFLICT, "voting has closed")


def voted_already(choice: int) -> SyncError:
    return SyncError(Code.CONFLICT, "you have voted already", details={"choice": choice})


# ---------------------------------------------------------------------------- changes


def close(poll: Poll, now_ms: int) -> Poll:
    """Stop voting now: a poll ends with its result, a prediction locks."""
    if not poll.voting:
        raise SyncError(Code.CONFLICT, "voting has closed already")
    stopped = min(now_ms, poll.closes_at_ms)
    if poll.kind is PollKind.PREDICTION:
        return _next(poll, status=PollStatus.LOCKED, closed_at_ms=stopped)
    return _next(
        poll, status=PollStatus.ENDED, closed_at_ms=stopped, ended_at_ms=now_ms, end=PollEnd.COMPLETED
    )


def resolve(poll: Poll, outcome: int, now_ms: int) -> Poll:
    """A prediction's outcome (voting stops, if it had not)."""
    if poll.kind is not PollKind.PREDICTION:
        raise bad_request("only a prediction is resolved (close a poll)")
    if poll.status is PollStatus.ENDED:
        raise SyncError(Code.CONFLICT, "this prediction has ended already")
    if not 0 <= outcome < len(poll.choices):
        raise bad_request(f"outcome: 0 to {len(poll.choices) - 1}")
    stopped = poll.closed_at_ms if poll.closed_at_ms is not None else min(now_ms, poll.closes_at_ms)
    return _next(
        poll,
        status=PollStatus.ENDED,
        closed_at_ms=stopped,
        ended_at_ms=now_ms,
        end=PollEnd.RESOLVED,
        outcome=outcome,
    )


def cancel(poll: Poll, now_ms: int) -> Poll:
    if poll.status is PollStatus.ENDED:
        raise SyncError(Code.CONFLICT, "this poll has ended already")
    stopped = poll.closed_at_ms if poll.closed_at_ms is not None else min(now_ms, poll.closes_at_ms)
    return _next(
        poll, status=PollStatus.ENDED, closed_at_ms=stopped, ended_at_ms=now_ms, end=PollEnd.CANCELLED
    )


def due(poll: Poll, now_ms: int) -> Poll | None:
    """What time has done to ``poll`` by ``now_ms`` (None: nothing yet)."""
    if poll.voting and now_ms >= poll.closes_at_ms:
        return close(poll, now_ms)
    if (
        poll.status is PollStatus.LOCKED
        and poll.closed_at_ms is not None
        and now_ms >= poll.closed_at_ms + RESOLVE_WITHIN_MS
    ):
        return cancel(poll, now_ms)
    return None


def _next(poll: Poll, **changes: Any) -> Poll:
    return replace(poll, version=poll.version + 1, **changes)


# ---------------------------------------------------------------------------- timers


def timers(poll: Poll) -> list[tuple[str, int]]:
    """(key, due_ms) of the timers ``poll`` needs in its status: its close (or lock),
    a locked prediction's deadline. Firing one is harmless: ``due`` decides."""
    if poll.voting:
        return [(f"{TIMER_PREFIX}{poll.id}:close", poll.closes_at_ms)]
    if poll.status is PollStatus.LOCKED and poll.closed_at_ms is not None:
        return [(f"{TIMER_PREFIX}{poll.id}:expire", poll.closed_at_ms + RESOLVE_WITHIN_MS)]
    return []


def is_timer(key: str) -> bool:
    return key.startswith(TIMER_PREFIX)


def timer_poll(key: str) -> str:
    """The poll a timer's key is about."""
    return key.removeprefix(TIMER_PREFIX).split(":", 1)[0]


# ---------------------------------------------------------------------------- results


def winners(tally: Tally) -> list[int]:
    """A poll's most voted choices (several on a tie; none without votes), or a resolved
    prediction's outcome."""
    poll = tally.poll
    if poll.kind is PollKind.PREDICTION:
        return [] if poll.outcome is None else [poll.outcome]
    top = max(tally.counts, default=0)
    return [i for i, n in enumerate(tally.counts) if top and n == top]


def ended_event(tally: Tally, now_ms: int) -> EventDraft:
    """The ``poll.ended`` webhook event: the poll (its words are the party's, broadcast to
    all and moderated), its counts and how it ended; never who voted what."""
    poll = tally.poll
    return EventDraft(
        type=POLL_ENDED,
        tenant_id=poll.tenant_id,
        ts_ms=now_ms,
        party_id=poll.party_id,
        dedupe_key=f"{POLL_ENDED}:{poll.id}",
        data={
            "party_id": poll.party_id,
            "poll_id": poll.id,
            "kind": poll.kind.value,
            "question": poll.question,
            "choices": [{"text": c, "votes": n} for c, n in zip(poll.choices, tally.counts, strict=True)],
            "votes": tally.total,
            "end": None if poll.end is None else poll.end.value,
            "outcome": poll.outcome,
            "winners": winners(tally),
            "created_by": {"id": poll.by_id, "name": poll.by_name},
            "duration_s": round(((poll.closed_at_ms or poll.closes_at_ms) - poll.opened_at_ms) / 1000, 3),
        },
    )


def counts_of(raw: Mapping[int, int], choices: int) -> tuple[int, ...]:
    """Per-choice counts from a store's sparse map (choices nobody picked are absent)."""
    return tuple(int(raw.get(i, 0)) for i in range(choices))


def text_of(draft: PollDraft) -> str:
    """What the content filter judges: the question and the choices, one a line."""
    return "\n".join((draft.question, *draft.choices))
