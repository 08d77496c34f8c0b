"""Discovery's ranking (domain/discovery.py), against the formula docs/engagement.md
gives: activity now, then the viewer's history; full parties left out; ties."""

from __future__ import annotations

import math

from socialsync.domain.discovery import ACTIVITY_WINDOW_MS, Activity, Candidate, History, rank


def cand(
    pid: str, members: int, *, created: int = 0, present: frozenset[str] = frozenset(), media: str = "m"
) -> Candidate:
    return Candidate(pid, media, created, members, members, 50, present)


def test_activity_alone_ranks_by_members_and_chat_per_minute():
    minutes = ACTIVITY_WINDOW_MS / 60_000
    found = rank(
        [cand("quiet", 8), cand("busy", 3), cand("empty", 0)],
        {"busy": Activity(messages=int(10 * minutes), reactions=int(20 * minutes))},
        None,
    )
    assert [r.party_id for r in found] == ["busy", "quiet", "empty"]
    busy = found[0]
    assert busy.messages_per_min == 10 and busy.reactions_per_min == 20
    assert busy.score == round(math.log2(4) + math.log2(1 + 10 + 0.5 * 20), 4)
    assert busy.reasons == ("chat", "members") and busy.history == 0
    assert found[2].reasons == () and found[2].score == 0


def test_friends_and_media_watched_before_lift_a_party():
    history = History(frozenset({"me"}), {"film": 30 * 60_000}, {"ana": 2, "ben": 1})
    parties = [
        cand("strangers", 6, present=frozenset({"x", "y", "z", "w", "v", "u"})),
        cand("friends", 3, present=frozenset({"ana", "ben", "me"})),
        cand("film", 1, media="film", present=frozenset({"q"})),
    ]
    found = {r.party_id: r for r in rank(parties, {}, history)}
    friends = found["friends"]
    assert friends.friends == 2  # the viewer itself is not its own friend
    assert friends.history == round(2 * math.log2(3), 4)
    assert friends.reasons[0] == "friends"
    film = found["film"]
    assert film.watched_min == 30.0 and film.history == round(min(3, math.log2(1 + 3)), 4)
    assert [r.party_id for r in rank(parties, {}, history)] == ["friends", "film", "strangers"]
    assert [r.party_id for r in rank(parties, {}, None)] == ["strangers", "friends", "film"]


def test_full_parties_are_left_out_and_ties_go_to_more_members_then_the_older():
    full = Candidate("full", "m", 0, 50, 50, 50)
    a, b = cand("a", 2, created=5), cand("b", 2, created=1)
    assert [r.party_id for r in rank([full, a, b], {}, None)] == ["b", "a"]
