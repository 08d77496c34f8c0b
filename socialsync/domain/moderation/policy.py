"""What a room does about each kind of finding: the ``Policy`` value object and its defaults.

The defaults follow the room types' audiences. A watch party is a few people who
invited each other: mask what is merely rude, refuse what is hateful, and leave
links, shouting and crowd noise alone. A live room is a broadcast audience of
strangers with moderators on duty: hold for review what is likely abuse, refuse
what is certainly abuse, and hold links to unknown sites, floods and raids.

Slurs: "hold slurs in live rooms" and "reject slurs everywhere" are reconciled by
severity. Severe slurs are rejected everywhere; milder ones (reclaimed or ambiguous
terms, where context matters) are held for a human in live rooms and rejected in
parties, which usually have no moderator on duty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from socialsync.domain.model import RoomType
from socialsync.domain.moderation.categories import MASKABLE_CATEGORIES, Action, Category, Severity

A, M, H, R = Action.ALLOW, Action.MASK, Action.HOLD, Action.REJECT

# The severity each rule finding carries (words carry their term's severity).
RULE_SEVERITY = {
    Category.LINK: Severity.MILD,
    Category.MENTION_SPAM: Severity.STRONG,
    Category.CAPS_FLOOD: Severity.MILD,
    Category.REPEAT_FLOOD: Severity.MILD,
    Category.DUPLICATE: Severity.MILD,
    Category.RAID: Severity.STRONG,
}


@dataclass(frozen=True, slots=True)
class RuleLimits:
    max_mentions: int = 5
    caps_min_letters: int = 20  # shorter shouts ("GOAL!!! WHAT A STRIKE") are fine
    caps_ratio: float = 0.9
    flood_min_chars: int = 24  # "hahahaha" is laughter; 24+ characters of it is a flood
    same_sender_repeats: int = 3  # the third identical message within the window
    raid_senders: int = 5  # five senders of one text within the window
    duplicate_min_chars: int = 4  # shorter texts ("lol", "gg") are repeated innocently
    raid_min_chars: int = 16  # so are short cheers ("what a goal") across a crowd


@dataclass(frozen=True, slots=True)
class Policy:
    actions: Mapping[tuple[Category, Severity], Action]
    allowed_domains: frozenset[str] = frozenset()
    limits: RuleLimits = field(default_factory=RuleLimits)

    def __post_init__(self) -> None:
        for (category, severity), action in self.actions.items():
            if action is Action.MASK and category not in MASKABLE_CATEGORIES:
                raise ValueError(f"{category}/{severity}: only words and links can be masked")

    def action_for(self, category: Category, severity: Severity) -> Action:
        return self.actions.get((category, severity), Action.ALLOW)

    def with_action(self, category: Category, severity: Severity, action: Action) -> Policy:
        return replace(self, actions=MappingProxyType({**self.actions, (category, severity): action}))

    def with_allowed_domains(self, *domains: str) -> Policy:
        return replace(self, allowed_domains=self.allowed_domains | {d.lower() for d in domains})


def _table(
    rows: Mapping[Category, tuple[Action, Action, Action]],
) -> Mapping[tuple[Category, Severity], Action]:
    """Rows of (mild, strong, severe) actions per category."""
    severities = (Severity.MILD, Severity.STRONG, Severity.SEVERE)
    return MappingProxyType(
        {
            (category, severity): action
            for category, row in rows.items()
            for severity, action in zip(severities, row, strict=True)
        }
    )


_WATCH_PARTY = _table(
    {
        Category.PROFANITY: (M, M, M),
        Category.SEXUAL: (M, M, R),
        Category.SLUR: (R, R, R),
        Category.HARASSMENT: (M, R, R),
        Category.CUSTOM: (M, M, R),
        Category.LINK: (A, A, A),
        Category.MENTION_SPAM: (A, A, A),
        Category.CAPS_FLOOD: (A, A, A),
        Category.REPEAT_FLOOD: (A, A, A),
        Category.DUPLICATE: (R, R, R),
        Category.RAID: (A, A, A),
    }
)

_LIVE_ROOM = _table(
    {
        Category.PROFANITY: (M, M, H),
        Category.SEXUAL: (M, H, R),
        Category.SLUR: (H, H, R),
        Category.HARASSMENT: (H, H, R),
        Category.CUSTOM: (M, H, R),
        Category.LINK: (H, H, H),
        Category.MENTION_SPAM: (H, H, H),
        Category.CAPS_FLOOD: (H, H, H),
        Category.REPEAT_FLOOD: (H, H, H),
        Category.DUPLICATE: (R, R, R),
        Category.RAID: (H, H, H),
    }
)


def default_policy(room_type: RoomType | str) -> Policy:
    if RoomType(room_type) is RoomType.LIVE_ROOM:
        return Policy(_LIVE_ROOM)
    return Policy(_WATCH_PARTY)
