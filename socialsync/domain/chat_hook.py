"""The optional synchronous chat hook, pure: a tenant's hook and its settings, the signed
request a message makes, the hook's answer read strictly, and what a timeout, an error
or a full tenant falls back to (docs/chat-hook.md). Time comes in (``now_ms``); the
message ids and secrets' bytes too.

The request is signed as a webhook delivery is (Standard Webhooks: domain/webhooks.py),
so a platform verifies both with the same code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Literal

from socialsync.domain.chat.messages import MAX_TEXT_CHARS, MessageDraft
from socialsync.domain.errors import SyncError
from socialsync.domain.model import Party, User
from socialsync.domain.moderation.masking import mask
from socialsync.domain.text import check_text
from socialsync.domain.webhooks import check_url, headers_for, iso_time, signing_secrets

REQUEST_TYPE = "chat.message"
DEFAULT_TIMEOUT_MS = 300
MIN_TIMEOUT_MS = 50
MAX_TIMEOUT_MS = 2_000
# At most this much of an answer is read; a longer one is an error.
MAX_ANSWER_BYTES = 16 * 1024
MAX_SPANS = 100
MAX_REASON = 200
DEFAULT_REASON = "the message was not accepted"
# What the review queue shows as the hold's reason ("chat_hook:timeout"...).
REASON_PREFIX = "chat_hook"
FIELDS = ("url", "timeout_ms", "on_timeout", "enabled", "rotate_secret")


class OnTimeout(StrEnum):
    """What a message becomes when the hook does not answer in time, answers
    something unusable, or the tenant's hook calls are at their cap."""

    ALLOW = "allow"  # delivered as our own filter left it
    HOLD = "hold"  # into the review queue, as the filter's holds


class Outcome(StrEnum):
    """One message's outcome at the hook (metrics' labels)."""

    ALLOWED = "allowed"
    MASKED = "masked"
    REJECTED = "rejected"
    TIMEOUT = "timeout"  # no answer within the deadline
    ERROR = "error"  # refused (SSRF), unreachable, non-2xx, or an answer not as documented
    BUSY = "busy"  # the tenant's calls in flight on this node were at the cap: not called


@dataclass(frozen=True, slots=True)
class ChatHook:
    """A tenant's hook: where, how long it may take, and what a failure falls back to."""

    tenant_id: str
    url: str
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    on_timeout: OnTimeout = OnTimeout.ALLOW
    enabled: bool = True
    created_at_ms: int = 0
    updated_at_ms: int = 0
    # The secret before the last rotation signs beside the new one until then.
    rotated_until_ms: int | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "timeout_ms": self.timeout_ms,
            "on_timeout": self.on_timeout.value,
            "enabled": self.enabled,
            "previous_secret_until": self.rotated_until_ms,
            "created_at": self.created_at_ms,
            "updated_at": self.updated_at_ms,
        }


@dataclass(frozen=True, slots=True)
class StoredChatHook:
    """A hook with its secrets, as the store keeps it."""

    hook: ChatHook
    secret: str
    previous_secret: str | None = None

    def secrets(self, now_ms: int) -> tuple[str, ...]:
        """The secrets that sign now: the current one first, the rotated one while it signs."""
        return signing_secrets(self.secret, self.previous_secret, self.hook.rotated_until_ms, now_ms)


@dataclass(frozen=True, slots=True)
class HookChange:
    """A checked change of a tenant's hook: the hook after it (None: removed) and
    whether it needs a new secret (a new hook, or ``rotate_secret``)."""

    hook: ChatHook | None
    new_secret: bool = False


def change_hook(
    current: ChatHook | None, data: object, tenant_id: str, now_ms: int, allow_private: bool
) -> HookChange:
    """``current`` changed by ``data`` (a mapping of FIELDS; null: remove the hook);
    ValueError saying which field is wrong. A new hook needs ``url``."""
    if data is None:
        return HookChange(None)
    if not isinstance(data, Mapping):
        raise ValueError("chat_hook: an object, or null to remove the hook")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ValueError(f"chat_hook: unknown {', '.join(map(str, unknown))[:200]}")
    given = {k: v for k, v in data.items() if v is not None}
    if current is None and "url" not in given:
        raise ValueError("chat_hook.url: required for a new hook")
    hook = current or ChatHook(tenant_id, "", created_at_ms=now_ms)
    if "url" in given:
        try:
            hook = replace(hook, url=check_url(given["url"], allow_private))
        except SyncError as exc:
            raise ValueError(f"chat_hook.{exc.message}") from None
    timeout = given.get("timeout_ms", hook.timeout_ms)
    if isinstance(timeout, bool) or not isinstance(timeout, int):
        raise ValueError(f"chat_hook.timeout_ms: an integer {MIN_TIMEOUT_MS}..{MAX_TIMEOUT_MS}")
    if not MIN_TIMEOUT_MS <= timeout <= MAX_TIMEOUT_MS:
        raise ValueError(f"chat_hook.timeout_ms: an integer {MIN_TIMEOUT_MS}..{MAX_TIMEOUT_MS}")
    on_timeout = given.get("on_timeout", hook.on_timeout)
    if on_timeout not in tuple(OnTimeout):
        raise ValueError("chat_hook.on_timeout: allow or hold")
    enabled = given.get("enabled", hook.enabled)
    rotate = given.get("rotate_secret", False)
    if not isinstance(enabled, bool) or not isinstance(rotate, bool):
        raise ValueError("chat_hook.enabled, chat_hook.rotate_secret: true or false")
    hook = replace(
        hook, timeout_ms=timeout, on_timeout=OnTimeout(on_timeout), enabled=enabled, updated_at_ms=now_ms
    )
    return HookChange(hook, new_secret=current is None or rotate)


# ---------------------------------------------------------------------------- the request


@dataclass(frozen=True, slots=True)
class HookRequest:
    """One signed call: the exact body and its headers."""

    id: str
    body: bytes
    headers: dict[str, str]


def request_for(
    stored: StoredChatHook, party: Party, user: User, draft: MessageDraft, request_id: str, now_ms: int
) -> HookRequest:
    """The JSON a message makes (docs/chat-hook.md, "Request"), signed with the hook's secrets."""
    hook = stored.hook
    payload = {
        "type": REQUEST_TYPE,
        "id": request_id,
        "timestamp": iso_time(now_ms),
        "tenant_id": hook.tenant_id,
        "deadline_ms": hook.timeout_ms,
        "party": {"id": party.id, "type": party.settings.type.value},
        "user": {"id": user.id, "name": user.name, "guest": user.guest},
        "message": {"text": draft.text, "reply_to": draft.reply_to, "media_time_s": draft.media_time_s},
    }
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return HookRequest(
        request_id, body, headers_for(stored.secrets(now_ms), request_id, now_ms // 1000, body)
    )


# ---------------------------------------------------------------------------- the answer


class HookAnswerError(ValueError):
    """The hook's answer is not as docs/chat-hook.md says."""


@dataclass(frozen=True, slots=True)
class Ruling:
    """What happens to the message: delivered (``text``: as it goes out), rejected (the
    sender is told ``reason``), or held for review (``reasons``)."""

    action: Literal["allow", "mask", "reject", "hold"]
    text: str = ""
    reason: str = ""
    reasons: tuple[str, ...] = ()
    outcome: Outcome = Outcome.ALLOWED

    @property
    def delivers(self) -> bool:
        return self.action in ("allow", "mask")


def read_answer(status: int, body: bytes, text: str) -> Ruling:
    """The ruling of a 2xx answer about ``text``; HookAnswerError for anything else."""
    if not 200 <= status < 300:
        raise HookAnswerError(f"HTTP {status}")
    if status == 204 and not body.strip():
        return Ruling("allow", text)
    if len(body) > MAX_ANSWER_BYTES:
        raise HookAnswerError(f"an answer over {MAX_ANSWER_BYTES} bytes")
    try:
        answer = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise HookAnswerError("not JSON") from None
    if not isinstance(answer, dict):
        raise HookAnswerError("not a JSON object")
    action = answer.get("action")
    if action == "allow":
        return Ruling("allow", text)
    if action == "reject":
        return Ruling("reject", reason=_reason(answer.get("reason")), outcome=Outcome.REJECTED)
    if action == "mask":
        return Ruling("mask", _masked(answer, text), outcome=Outcome.MASKED)
    raise HookAnswerError("action: allow, mask or reject")


def _reason(value: object) -> str:
    if value is None:
        return DEFAULT_REASON
    if not isinstance(value, str):
        raise HookAnswerError("reason: a string")
    reason = " ".join(value.split())
    try:
        check_text(reason)
    except ValueError as exc:
        raise HookAnswerError(f"reason: {exc}") from None
    if len(reason) > MAX_REASON:
        raise HookAnswerError(f"reason: at most {MAX_REASON} characters")
    return reason or DEFAULT_REASON


def _masked(answer: Mapping[str, Any], text: str) -> str:
    has_text, has_spans = answer.get("text") is not None, answer.get("spans") is not None
    if has_text == has_spans:
        raise HookAnswerError("mask: text or spans, one of them")
    if has_spans:
        return mask(text, _spans(answer["spans"], len(text)))
    masked = answer["text"]
    if not isinstance(masked, str):
        raise HookAnswerError("text: a string")
    masked = masked.strip()
    if not 1 <= len(masked) <= MAX_TEXT_CHARS:
        raise HookAnswerError(f"text: 1..{MAX_TEXT_CHARS} characters")
    try:
        return check_text(masked)
    except ValueError as exc:
        raise HookAnswerError(f"text: {exc}") from None


def _spans(value: object, length: int) -> list[tuple[int, int]]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_SPANS:
        raise HookAnswerError(f"spans: a list of 1..{MAX_SPANS} [start, end] pairs")
    spans: list[tuple[int, int]] = []
    for span in value:
        ok = (
            isinstance(span, list)
            and len(span) == 2
            and all(isinstance(i, int) and not isinstance(i, bool) for i in span)
            and 0 <= span[0] < span[1] <= length
        )
        if not ok:
            raise HookAnswerError(f"spans: each [start, end] with 0 <= start < end <= {length}")
        spans.append((span[0], span[1]))
    return spans


def fallback(hook: ChatHook, outcome: Outcome, text: str) -> Ruling:
    """What a timeout, an error or a full tenant makes of the message: the tenant's choice."""
    if hook.on_timeout is OnTimeout.HOLD:
        return Ruling("hold", text, reasons=(f"{REASON_PREFIX}:{outcome.value}",), outcome=outcome)
    return Ruling("allow", text, outcome=outcome)
