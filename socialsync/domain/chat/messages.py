"""Chat messages as the core sees them."""

from __future__ import annotations

from dataclasses import dataclass

MAX_TEXT_CHARS = 500


@dataclass(frozen=True, slots=True)
class MessageDraft:
    """A message that has passed validation and moderation and awaits its id."""

    party_id: str
    user_id: str
    user_name: str
    text: str
    ts_ms: int
    nonce: str
    media_time_s: float | None = None
    reply_to: int | None = None
    # Shadow-muted: stored and shown to its author only.
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class Message:
    party_id: str
    id: int  # 1, 2, 3 ... per party, in the order members receive them
    user_id: str
    user_name: str
    text: str
    ts_ms: int
    nonce: str
    media_time_s: float | None = None
    reply_to: int | None = None
    hidden: bool = False
