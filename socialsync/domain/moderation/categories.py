"""The closed vocabularies of moderation: what was found, how bad it is, what to do."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Action(StrEnum):
    """What happens to a message. The string values are the port's ``Verdict.action``."""

    ALLOW = "allow"
    MASK = "mask"  # deliver with the offending characters replaced by ``*``
    HOLD = "hold"  # keep back for a moderator to review
    REJECT = "reject"  # refuse; the sender is told


_RANK = {Action.ALLOW: 0, Action.MASK: 1, Action.HOLD: 2, Action.REJECT: 3}


def strictest(actions: Iterable[Action]) -> Action:
    """The most severe action of several; a message gets the worst of its findings."""
    return max(actions, key=_RANK.__getitem__, default=Action.ALLOW)


class Severity(StrEnum):
    MILD = "mild"
    STRONG = "strong"
    SEVERE = "severe"


class Category(StrEnum):
    # Found by the word matcher.
    PROFANITY = "profanity"
    SLUR = "slur"  # slurs and hate
    SEXUAL = "sexual"
    HARASSMENT = "harassment"
    CUSTOM = "custom"  # a tenant's or a room's own blocked terms
    # Found by the rules about text that is not words.
    LINK = "link"
    MENTION_SPAM = "mention_spam"
    CAPS_FLOOD = "caps_flood"
    REPEAT_FLOOD = "repeat_flood"
    DUPLICATE = "duplicate"  # one user saying the same thing again and again
    RAID = "raid"  # many users pasting the same text


WORD_CATEGORIES = frozenset(
    {Category.PROFANITY, Category.SLUR, Category.SEXUAL, Category.HARASSMENT, Category.CUSTOM}
)
# Findings whose span can be starred out; the rest are about the whole message.
MASKABLE_CATEGORIES = WORD_CATEGORIES | {Category.LINK}
