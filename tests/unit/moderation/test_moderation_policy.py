"""Room policies: the defaults per room type and the value object's rules."""

from __future__ import annotations

import pytest

from socialsync.domain.model import RoomType
from socialsync.domain.moderation import Action, Category, Severity, default_policy

PARTY, LIVE = default_policy(RoomType.WATCH_PARTY), default_policy(RoomType.LIVE_ROOM)
MILD, STRONG, SEVERE = Severity.MILD, Severity.STRONG, Severity.SEVERE


def test_mild_profanity_is_masked_in_both_room_types() -> None:
    assert PARTY.action_for(Category.PROFANITY, MILD) is Action.MASK
    assert LIVE.action_for(Category.PROFANITY, MILD) is Action.MASK


def test_severe_slurs_are_rejected_everywhere() -> None:
    assert PARTY.action_for(Category.SLUR, SEVERE) is Action.REJECT
    assert LIVE.action_for(Category.SLUR, SEVERE) is Action.REJECT


def test_milder_slurs_are_held_in_live_rooms_and_rejected_in_parties() -> None:
    for severity in (MILD, STRONG):
        assert LIVE.action_for(Category.SLUR, severity) is Action.HOLD
        assert PARTY.action_for(Category.SLUR, severity) is Action.REJECT


def test_severe_harassment_and_sexual_content_are_rejected_everywhere() -> None:
    for policy in (PARTY, LIVE):
        assert policy.action_for(Category.HARASSMENT, SEVERE) is Action.REJECT
        assert policy.action_for(Category.SEXUAL, SEVERE) is Action.REJECT


def test_links_floods_and_raids_are_left_alone_in_parties_and_held_in_live_rooms() -> None:
    for category in (
        Category.LINK,
        Category.MENTION_SPAM,
        Category.CAPS_FLOOD,
        Category.REPEAT_FLOOD,
        Category.RAID,
    ):
        for severity in (MILD, STRONG):
            assert PARTY.action_for(category, severity) is Action.ALLOW
            assert LIVE.action_for(category, severity) is Action.HOLD


def test_a_user_repeating_themselves_is_refused_in_both() -> None:
    assert PARTY.action_for(Category.DUPLICATE, MILD) is Action.REJECT
    assert LIVE.action_for(Category.DUPLICATE, MILD) is Action.REJECT


def test_room_types_may_be_given_as_strings() -> None:
    assert default_policy("live_room") == LIVE
    with pytest.raises(ValueError):
        default_policy("cinema")


def test_changing_an_action_gives_a_new_policy_and_leaves_the_default_alone() -> None:
    lenient = PARTY.with_action(Category.PROFANITY, MILD, Action.ALLOW)
    assert lenient.action_for(Category.PROFANITY, MILD) is Action.ALLOW
    assert PARTY.action_for(Category.PROFANITY, MILD) is Action.MASK


def test_only_words_and_links_can_be_masked() -> None:
    assert LIVE.with_action(Category.LINK, MILD, Action.MASK).action_for(Category.LINK, MILD) is Action.MASK
    with pytest.raises(ValueError, match="masked"):
        LIVE.with_action(Category.CAPS_FLOOD, MILD, Action.MASK)


def test_allowed_domains_are_added_in_lower_case() -> None:
    assert LIVE.with_allowed_domains("YouTube.com").allowed_domains == frozenset({"youtube.com"})
