"""What the chat's moderation asks of a text filter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ModerationContext:
    tenant_id: str
    party_id: str
    user_id: str
    live_room: bool
    now_ms: int = 0
    links: bool = True
    link_domains: tuple[str, ...] = ()
    blocked_terms: tuple[str, ...] = ()
    allowed_terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Verdict:
    """allow (text as given), mask (``text`` is the masked text), hold or reject."""

    action: str
    text: str
    reasons: tuple[str, ...] = ()


class Moderator(Protocol):
    def check(self, text: str, context: ModerationContext) -> Verdict: ...
