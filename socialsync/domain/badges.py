"""Badges and streaks (docs/engagement.md): what a viewer has earned, worked out from the
analytics aggregates (the sessions the committer writes), never from a count of its own.

Pure: the SQL adapter reads a viewer's sessions (with, for each, the party's first
session and how many viewers it had) and a finished party's sessions; the functions
here say what they earn. The stores keep what was earned (with the party that earned
it, for the badges earned per party), so a badge stays when the aggregates behind it
expire, and re-working it out is harmless (idempotent).

- ``first_party``: a first session in any party (``n`` 1);
- ``watched_together``: watch time in parties that had two viewers or more (``n``: the
  hours step reached, ``TOGETHER_HOURS``);
- ``hosted``: parties the viewer was the first in, so their host when they began (``n``:
  the step reached, ``HOSTED_PARTIES``);
- ``top_reactor``: the most reactions (at least 5) in a live event (live media, 3
  viewers or more) once all its sessions ended (``n``: live events topped);
- ``streak``: consecutive weeks (Monday to Sunday, UTC) with a session (``n``: the
  longest run, from 2 weeks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
WEEK_MS = 7 * DAY_MS
# 1970-01-01 was a Thursday: weeks start on Monday 1970-01-05 plus multiples of 7 days.
_MONDAY_MS = 4 * DAY_MS

TOGETHER_HOURS = (1, 5, 10, 25, 50, 100, 250, 500)
HOSTED_PARTIES = (1, 5, 10, 25, 50, 100)
MIN_STREAK_WEEKS = 2
TOP_REACTOR_MIN_REACTIONS = 5
TOP_REACTOR_MIN_VIEWERS = 3


class BadgeKind(StrEnum):
    FIRST_PARTY = "first_party"
    WATCHED_TOGETHER = "watched_together"
    HOSTED = "hosted"
    TOP_REACTOR = "top_reactor"
    STREAK = "streak"


# The order they are shown in (and sent).
ORDER = tuple(BadgeKind)
# Kinds earned once per party (the award's ``ref`` is the party); the others once.
PER_PARTY = frozenset({BadgeKind.TOP_REACTOR})


@dataclass(frozen=True, slots=True)
class Badge:
    kind: BadgeKind
    n: int


@dataclass(frozen=True, slots=True)
class Award:
    """What a store keeps: a badge of a viewer (its pseudonym), for one party when the
    kind is earned per party (``ref``), else ``ref`` is ""; ``n`` its level."""

    tenant_id: str
    viewer: str
    kind: BadgeKind
    ref: str
    n: int
    earned_ms: int


@dataclass(frozen=True, slots=True)
class SessionFact:
    """One session of the viewer, from the aggregates, with what its party says."""

    party_id: str
    session_ms: int  # when the viewer joined (the session's key)
    started_ms: int  # its first activity
    watch_ms: int
    party_first_ms: int  # the party's earliest session
    party_viewers: int  # distinct viewers who had a session in the party


@dataclass(frozen=True, slots=True)
class PartySession:
    """One session of a party whose top reactor is being decided."""

    viewer: str
    ended: bool
    reactions: int
    live: bool  # its media item was live


def step(value: float, steps: Sequence[int]) -> int:
    """The highest step ``value`` reached (0: none yet)."""
    return max((s for s in steps if value >= s), default=0)


def week_of(ms: int) -> int:
    """The week (Monday 00:00 UTC to Sunday) of a server time, as a number."""
    return (ms - _MONDAY_MS) // WEEK_MS


def longest_run(weeks: Iterable[int]) -> int:
    """The longest run of consecutive weeks."""
    best = run = 0
    last: int | None = None
    for week in sorted(set(weeks)):
        run = run + 1 if last is not None and week == last + 1 else 1
        best = max(best, run)
        last = week
    return best


def earned(facts: Sequence[SessionFact]) -> dict[BadgeKind, int]:
    """The levels a viewer's sessions earn (kinds not earned are left out)."""
    out: dict[BadgeKind, int] = {}
    if not facts:
        return out
    out[BadgeKind.FIRST_PARTY] = 1
    hosted = {f.party_id for f in facts if f.session_ms <= f.party_first_ms}
    if level := step(len(hosted), HOSTED_PARTIES):
        out[BadgeKind.HOSTED] = level
    together_ms = sum(f.watch_ms for f in facts if f.party_viewers >= 2)
    if level := step(together_ms / HOUR_MS, TOGETHER_HOURS):
        out[BadgeKind.WATCHED_TOGETHER] = level
    run = longest_run(week_of(f.started_ms) for f in facts)
    if run >= MIN_STREAK_WEEKS:
        out[BadgeKind.STREAK] = run
    return out


def top_reactors(sessions: Sequence[PartySession]) -> list[str]:
    """The viewers (several on a tie) a finished live event makes its top reactors:
    every session ended, live media, enough viewers, and enough reactions."""
    if not sessions or not all(s.ended for s in sessions) or not any(s.live for s in sessions):
        return []
    reactions: dict[str, int] = {}
    for s in sessions:
        reactions[s.viewer] = reactions.get(s.viewer, 0) + s.reactions
    if len(reactions) < TOP_REACTOR_MIN_VIEWERS:
        return []
    most = max(reactions.values())
    if most < TOP_REACTOR_MIN_REACTIONS:
        return []
    return sorted(v for v, n in reactions.items() if n == most)


def shown(awards: Iterable[Award]) -> tuple[Badge, ...]:
    """What is shown beside a name: one badge per kind, its highest level (per-party
    kinds: how many parties earned it), in ``ORDER``."""
    levels: dict[BadgeKind, int] = {}
    for a in awards:
        if a.kind in PER_PARTY:
            levels[a.kind] = levels.get(a.kind, 0) + 1
        else:
            levels[a.kind] = max(levels.get(a.kind, 0), a.n)
    return tuple(Badge(k, levels[k]) for k in ORDER if levels.get(k))


def changes(current: Mapping[BadgeKind, int], held: Iterable[Award]) -> dict[BadgeKind, int]:
    """Of ``current`` levels, those above what the viewer holds (what a store writes)."""
    have: dict[BadgeKind, int] = {}
    for a in held:
        if a.kind not in PER_PARTY:
            have[a.kind] = max(have.get(a.kind, 0), a.n)
    return {k: n for k, n in current.items() if n > have.get(k, 0)}


def to_wire(badges: Iterable[Badge]) -> tuple[tuple[str, int], ...]:
    """As a party's member keeps them (domain/model.py ``Member.badges``)."""
    return tuple((b.kind.value, b.n) for b in badges)
