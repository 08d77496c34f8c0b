"""Discovery (docs/engagement.md): a tenant's live rooms and public parties, ranked for
one viewer by what happens in them now and by what the viewer watched before. Pure:
the service brings the parties (their live state), their activity and the viewer's
history (both read from the analytics event stream and its aggregates: nothing is
recorded for discovery), and the time.

    score = activity + history
    activity = log2(1 + members now) + log2(1 + messages/min + reactions/min ÷ 2)
    history  = 2 × log2(1 + friends here) + min(3, log2(1 + minutes of this media ÷ 10))

*members now*: members with a socket in the party; *messages/min*, *reactions/min*:
over the last ``ACTIVITY_WINDOW_MS``; *friends here*: members now whom the viewer
watched with before (a session in the same party at the same time); *minutes of this
media*: how long the viewer watched the party's media item before. Ties: more members
first, then the older party.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ACTIVITY_WINDOW_MS = 5 * 60_000
REACTION_WEIGHT = 0.5
FRIEND_WEIGHT = 2.0
MEDIA_CAP = 3.0
MEDIA_MINUTES_UNIT = 10.0
# A reason is given for a part of the score at least this large.
REASON_MIN = 0.5


@dataclass(frozen=True, slots=True)
class Candidate:
    """A party that may be listed: a live room, or a watch party made public."""

    party_id: str
    media_id: str
    created_at_ms: int
    members: int  # with a socket in the party now
    member_count: int  # every member, those in the reconnect grace too
    max_members: int
    present: frozenset[str] = frozenset()  # pseudonyms of the members now (for friends)


@dataclass(frozen=True, slots=True)
class Activity:
    messages: int = 0
    reactions: int = 0


@dataclass(frozen=True, slots=True)
class History:
    """What the viewer did before: watch time per media item, and for each viewer it
    watched with, in how many parties."""

    viewers: frozenset[str]  # the viewer's own pseudonyms (under every key)
    media_ms: Mapping[str, int]
    coviewers: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Ranked:
    party_id: str
    score: float
    activity: float
    history: float
    members: int
    messages_per_min: float
    reactions_per_min: float
    friends: int
    watched_min: float
    reasons: tuple[str, ...]  # of "members", "chat", "friends", "media": the largest parts first


def rank(
    candidates: Sequence[Candidate],
    activity: Mapping[str, Activity],
    history: History | None,
    window_ms: int = ACTIVITY_WINDOW_MS,
) -> list[Ranked]:
    """The candidates that still have room, best first."""
    minutes = window_ms / 60_000
    out: list[tuple[Ranked, Candidate]] = []
    for c in candidates:
        if c.member_count >= c.max_members:
            continue
        a = activity.get(c.party_id, Activity())
        messages, reactions = a.messages / minutes, a.reactions / minutes
        parts = {
            "members": math.log2(1 + c.members),
            "chat": math.log2(1 + messages + REACTION_WEIGHT * reactions),
            "friends": 0.0,
            "media": 0.0,
        }
        friends, watched = 0, 0.0
        if history is not None:
            friends = sum(1 for v in c.present - history.viewers if v in history.coviewers)
            watched = history.media_ms.get(c.media_id, 0) / 60_000
            parts["friends"] = FRIEND_WEIGHT * math.log2(1 + friends)
            parts["media"] = min(MEDIA_CAP, math.log2(1 + watched / MEDIA_MINUTES_UNIT))
        reasons = tuple(
            k for k, v in sorted(parts.items(), key=lambda kv: (-kv[1], kv[0])) if v >= REASON_MIN
        )
        act, hist = parts["members"] + parts["chat"], parts["friends"] + parts["media"]
        ranked = Ranked(
            c.party_id,
            round(act + hist, 4),
            round(act, 4),
            round(hist, 4),
            c.members,
            round(messages, 3),
            round(reactions, 3),
            friends,
            round(watched, 1),
            reasons,
        )
        out.append((ranked, c))
    out.sort(key=lambda rc: (-rc[0].score, -rc[1].members, rc[1].created_at_ms, rc[1].party_id))
    return [r for r, _ in out]
