"""Moderation records and the rule that decides whether someone may post now."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from socialsync.domain.errors import Code, SyncError
from socialsync.domain.model import ChatRules, User


class SanctionKind(StrEnum):
    BAN = "ban"
    TIMEOUT = "timeout"
    SHADOW_MUTE = "shadow_mute"


@dataclass(frozen=True, slots=True)
class Sanction:
    tenant_id: str
    party_id: str | None  # None: every room of the tenant
    user_id: str
    kind: SanctionKind
    until_ms: int | None  # None: until revoked
    reason: str | None
    by_user: str
    created_at_ms: int
    id: int = 0

    def active(self, now_ms: int) -> bool:
        return self.until_ms is None or now_ms < self.until_ms

    def covers(self, party_id: str) -> bool:
        return self.party_id is None or self.party_id == party_id


@dataclass(frozen=True, slots=True)
class AuditEntry:
    tenant_id: str
    party_id: str | None
    actor_id: str
    actor_name: str
    action: str
    ts_ms: int
    target_user: str | None = None
    target_message: int | None = None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    id: int = 0


@dataclass(frozen=True, slots=True)
class Held:
    """A message waiting for a moderator: from the filter's hold, or from reports."""

    tenant_id: str
    party_id: str
    user_id: str
    user_name: str
    text: str
    ts_ms: int
    nonce: str
    reasons: tuple[str, ...]
    source: str  # "filter" or "reports"
    media_time_s: float | None = None
    reply_to: int | None = None
    message_id: int | None = None  # the delivered message it was taken from (reports)
    status: str = "held"
    id: int = 0


@dataclass(frozen=True, slots=True)
class FilterNote:
    """What the chat filter said of a delivered message, for the room's moderators: the
    verdict (``mask``, ``approved``, or ``allow`` with reasons), its reasons, and what the
    author wrote when the filter masked it (``original``). Kept for the review window
    (``Retention.deleted_text_days``), gone with its message or its author's erasure."""

    party_id: str
    message_id: int
    verdict: str
    reasons: tuple[str, ...]
    ts_ms: int  # the message's
    original: str | None = None


@dataclass(frozen=True, slots=True)
class Report:
    party_id: str
    message_id: int
    reporter_id: str
    reporter_name: str
    reason: str
    ts_ms: int


def active_sanction(
    sanctions: list[Sanction], party_id: str, kind: SanctionKind, now_ms: int
) -> Sanction | None:
    """The sanction of ``kind`` in force in the party, the longest-lasting first."""
    found = [s for s in sanctions if s.kind is kind and s.covers(party_id) and s.active(now_ms)]
    if not found:
        return None
    return max(found, key=lambda s: float("inf") if s.until_ms is None else s.until_ms)


def check_may_post(
    user: User,
    party_id: str,
    rules: ChatRules,
    sanctions: list[Sanction],
    now_ms: int,
    *,
    reaction: bool,
    last_post_ms: int | None,
    host: bool = False,
) -> None:
    """Raise the refusal a post would get, or return if it may go ahead.

    Staff, and the host in its own party, are never held back by room modes; bans
    and timeouts are checked first
    because they say the most.
    """
    ban = active_sanction(sanctions, party_id, SanctionKind.BAN, now_ms)
    if ban is not None:
        raise SyncError(Code.FORBIDDEN, "you are banned from this room", retry_after_s=_wait(ban, now_ms))
    timeout = active_sanction(sanctions, party_id, SanctionKind.TIMEOUT, now_ms)
    if timeout is not None:
        raise SyncError(Code.FORBIDDEN, "you are timed out", retry_after_s=_wait(timeout, now_ms))
    if user.is_staff or host:
        return
    if rules.members_only and user.guest:
        raise SyncError(Code.FORBIDDEN, "this room is for signed-in members only")
    if rules.locked:
        raise SyncError(Code.FORBIDDEN, "chat is locked")
    if reaction:
        return
    if rules.emote_only:
        raise SyncError(Code.FORBIDDEN, "this room takes reactions only")
    if rules.slow_mode_s and last_post_ms is not None:
        wait_ms = last_post_ms + rules.slow_mode_s * 1000 - now_ms
        if wait_ms > 0:
            raise SyncError(
                Code.RATE_LIMITED,
                f"slow mode: one message every {rules.slow_mode_s} s",
                retry_after_s=wait_ms / 1000,
            )


def _wait(sanction: Sanction, now_ms: int) -> float | None:
    return None if sanction.until_ms is None else (sanction.until_ms - now_ms) / 1000
