"""Webhooks, pure: Standard Webhooks signing and verification, the retry schedule,
event filters, when an endpoint is disabled, which events a change makes and what
they carry, and which target addresses are private. Time always comes in
(``now_ms``, ``now_s``); randomness too (secrets' bytes, events' ids).

A platform verifies a delivery with ``verify`` (the Python SDK re-exports it), or
with the standalone snippet of docs/webhooks.md: both check

    webhook-signature: v1,<base64 of HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")>

where ``key`` is the base64-decoded part of the endpoint's ``whsec_...`` secret.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import ipaddress
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from socialsync.domain.clips import Clip
from socialsync.domain.errors import bad_request
from socialsync.domain.model import Party, Status
from socialsync.domain.moderation.sanctions import AuditEntry, Held, Report
from socialsync.domain.party import events as e
from socialsync.domain.privacy import erasure_needles, scrub

# ---------------------------------------------------------------------------- events

PARTY_CREATED = "party.created"
PARTY_STARTED = "party.started"
PARTY_ENDED = "party.ended"
PARTY_SUMMARY = "party.summary"
MEMBER_JOINED = "member.joined"
MEMBER_LEFT = "member.left"
MESSAGE_HELD = "message.held"
MESSAGE_REPORTED = "message.reported"
MODERATION_ACTION = "moderation.action"
CLIP_RECORDED = "clip.recorded"
CLIP_REMOVED = "clip.removed"
POLL_ENDED = "poll.ended"  # made by domain/polls.py
# Sent only by an endpoint's test ping, to that endpoint, whatever its filter.
WEBHOOK_TEST = "webhook.test"

EVENT_TYPES: tuple[str, ...] = (
    PARTY_CREATED,
    PARTY_STARTED,
    PARTY_ENDED,
    PARTY_SUMMARY,
    MEMBER_JOINED,
    MEMBER_LEFT,
    MESSAGE_HELD,
    MESSAGE_REPORTED,
    MODERATION_ACTION,
    CLIP_RECORDED,
    CLIP_REMOVED,
    POLL_ENDED,
)

# ---------------------------------------------------------------------------- bounds

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24
# A rotated secret keeps signing beside the new one this long.
ROTATION_OVERLAP_MS = 24 * 3_600_000
# verify refuses a timestamp further than this from now (replays, clock trouble).
TOLERANCE_S = 300
# Failed attempts are retried this long after the previous one: 8 attempts over ~27.6 h.
RETRY_SCHEDULE_MS: tuple[int, ...] = (
    5_000,
    5 * 60_000,
    30 * 60_000,
    2 * 3_600_000,
    5 * 3_600_000,
    10 * 3_600_000,
    10 * 3_600_000,
)
# An endpoint whose deliveries have failed for this long without a success is disabled.
DISABLE_AFTER_MS = 5 * 24 * 3_600_000
MAX_URL = 2_048
MAX_DESCRIPTION = 500
MAX_ENDPOINTS_PER_TENANT = 20
# party.summary lists at most this many members by name (the count is always whole).
SUMMARY_MEMBERS = 1_000


# ---------------------------------------------------------------------------- value objects


@dataclass(frozen=True, slots=True)
class EventDraft:
    """An event a change made, before it has an id and a body."""

    type: str
    tenant_id: str
    ts_ms: int
    data: dict[str, Any]
    party_id: str | None = None
    # Events with a key are written once (a repeat is ignored): party.started, .ended...
    dedupe_key: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """An event as the outbox keeps it: ``body`` is exactly the bytes every endpoint
    gets (UTF-8 JSON), ``uid`` the stable id its deliveries' ids derive from."""

    uid: str
    tenant_id: str
    type: str
    ts_ms: int
    body: str
    party_id: str | None = None
    dedupe_key: str | None = None
    id: int = 0  # the outbox's order, set by the store


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: str
    tenant_id: str
    url: str
    description: str
    event_types: tuple[str, ...]  # empty: every event; "party.*" a family
    created_at_ms: int
    updated_at_ms: int
    enabled: bool = True
    disabled_reason: str | None = None  # "gone" (410), "failing" (5 days), "manual"
    failing_since_ms: int | None = None
    rotated_until_ms: int | None = None  # the previous secret signs too until then


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str  # the webhook-id header: the same on every attempt
    seq: int  # the store's order, the delivery log's cursor
    endpoint_id: str
    tenant_id: str
    event_type: str
    event_uid: str
    status: DeliveryStatus
    attempts: int
    created_at_ms: int
    next_attempt_ms: int | None = None
    last_status: int | None = None
    last_response_ms: int | None = None
    last_error: str | None = None
    delivered_at_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    delivery_id: str
    number: int
    at_ms: int
    status: int | None  # the HTTP status, None when no answer came
    response_ms: int
    error: str | None = None


@dataclass(frozen=True, slots=True)
class NewDelivery:
    id: str
    event_id: int
    endpoint_id: str
    tenant_id: str
    created_at_ms: int


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    """Claim up to ``limit`` deliveries for ``ttl_ms`` from ``now_ms``, as ``claim``."""

    claim: str
    now_ms: int
    ttl_ms: int
    limit: int


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery a worker holds (``claim``) until it records the attempt or the claim
    lapses; what it needs to send it."""

    delivery: Delivery
    claim: str
    url: str
    body: str
    secrets: tuple[str, ...]  # the current one first, the rotated one while it signs
    failing_since_ms: int | None


@dataclass(frozen=True, slots=True)
class Decision:
    """What one attempt's outcome does to its delivery and its endpoint."""

    status: DeliveryStatus
    next_attempt_ms: int | None
    failing_since_ms: int | None  # the endpoint's, after this attempt
    disable: str | None = None  # a reason to disable the endpoint now


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    seq: int
    claim: str
    endpoint_id: str
    attempt: Attempt
    decision: Decision


@dataclass(frozen=True, slots=True)
class PartyActivity:
    """What the durable records hold of a party, for its summary: its member events
    in order (user id, name, event type, ms), its messages and reactions counted."""

    member_events: tuple[tuple[str, str, str, int], ...] = ()
    messages: int = 0
    reactions: int = 0


# ---------------------------------------------------------------------------- secrets and signing


class WebhookVerificationError(Exception):
    """A delivery that does not verify: missing headers, an old timestamp, no matching signature."""


def secret_from_bytes(raw: bytes) -> str:
    return SECRET_PREFIX + base64.b64encode(raw).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError("not a whsec_ secret") from None


def sign(secret: str, msg_id: str, timestamp_s: int, body: bytes | str) -> str:
    """One ``v1,<base64>`` signature of a delivery."""
    payload = body.encode() if isinstance(body, str) else body
    signed = f"{msg_id}.{timestamp_s}.".encode() + payload
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers_for(secrets: Sequence[str], msg_id: str, timestamp_s: int, body: bytes | str) -> dict[str, str]:
    """The three Standard Webhooks headers (one signature per secret, space-separated)."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp_s),
        "webhook-signature": " ".join(sign(s, msg_id, timestamp_s, body) for s in secrets),
        "content-type": "application/json",
    }


def signing_secrets(
    current: str, previous: str | None, rotated_until_ms: int | None, now_ms: int
) -> tuple[str, ...]:
    if previous is not None and rotated_until_ms is not None and now_ms < rotated_until_ms:
        return (current, previous)
    return (current,)


def verify(
    secret: str, headers: Mapping[str, str], body: bytes | str, now_s: float, tolerance_s: int = TOLERANCE_S
) -> Any:
    """The delivery's JSON payload if one of its signatures is ``secret``'s and its
    timestamp within ``tolerance_s`` of ``now_s``; else WebhookVerificationError."""
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id")
    timestamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature")
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise WebhookVerificationError("webhook-timestamp is not a number of seconds")
    if abs(now_s - int(timestamp)) > tolerance_s:
        raise WebhookVerificationError("webhook-timestamp is outside the tolerance")
    expected = sign(secret, msg_id, int(timestamp), body)
    if not any(hmac.compare_digest(expected.encode(), given.encode()) for given in signatures.split()):
        raise WebhookVerificationError("no matching signature")
    return json.loads(body)


def delivery_id(event_uid: str, endpoint_id: str) -> str:
    """The stable ``webhook-id`` of an event's delivery to one endpoint."""
    digest = hashlib.sha256(f"{event_uid}:{endpoint_id}".encode()).digest()
    return "msg_" + base64.b32encode(digest[:15]).decode().lower()


# ---------------------------------------------------------------------------- schedule and disabling


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    delays_ms: tuple[int, ...] = RETRY_SCHEDULE_MS
    disable_after_ms: int = DISABLE_AFTER_MS

    def next_attempt_ms(self, attempts_made: int, now_ms: int) -> int | None:
        """When to try again after ``attempts_made`` attempts, the last just failed (None: no more)."""
        index = attempts_made - 1
        if index < 0 or index >= len(self.delays_ms):
            return None
        return now_ms + self.delays_ms[index]

    def decide(
        self, attempts_made: int, status: int | None, now_ms: int, failing_since_ms: int | None
    ) -> Decision:
        """The delivery's and its endpoint's state after attempt number ``attempts_made``."""
        if status is not None and 200 <= status < 300:
            return Decision(DeliveryStatus.DELIVERED, None, None)
        failing_since = now_ms if failing_since_ms is None else failing_since_ms
        if status == 410:
            return Decision(DeliveryStatus.FAILED, None, failing_since, disable="gone")
        disable = "failing" if now_ms - failing_since >= self.disable_after_ms else None
        following = self.next_attempt_ms(attempts_made, now_ms)
        if following is None:
            return Decision(DeliveryStatus.FAILED, None, failing_since, disable)
        return Decision(DeliveryStatus.PENDING, following, failing_since, disable)


def parse_schedule(text: str) -> RetrySchedule:
    """``"5,300,1800"``: seconds between attempts (configuration)."""
    try:
        delays = tuple(round(float(part) * 1000) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"a comma-separated list of seconds, not {text!r}") from None
    if not delays or any(d <= 0 for d in delays):
        raise ValueError("at least one positive delay")
    return RetrySchedule(delays)


# ---------------------------------------------------------------------------- filters


def check_filter(event_types: Iterable[str]) -> tuple[str, ...]:
    """Known types, or families ("party.*"); an empty filter receives every event."""
    families = {t.split(".", 1)[0] for t in EVENT_TYPES}
    checked: list[str] = []
    for name in event_types:
        if not isinstance(name, str):
            raise bad_request("events: a list of event types")
        family = name.removesuffix(".*")
        if name not in EVENT_TYPES and not (name.endswith(".*") and family in families):
            raise bad_request(f"events: unknown event type {name!r}")
        if name not in checked:
            checked.append(name)
    return tuple(checked)


def matches(event_types: Sequence[str], event_type: str) -> bool:
    if not event_types:
        return True
    family = event_type.split(".", 1)[0] + ".*"
    return event_type in event_types or family in event_types


def receives(endpoint: Endpoint, event: OutboxEvent) -> bool:
    """An event goes to the enabled endpoints of its tenant that existed when it
    happened and whose filter takes it."""
    return (
        endpoint.enabled
        and endpoint.tenant_id == event.tenant_id
        and endpoint.created_at_ms <= event.ts_ms
        and event.type != WEBHOOK_TEST
        and matches(endpoint.event_types, event.type)
    )


# ---------------------------------------------------------------------------- targets (SSRF)


def check_url(url: str, allow_private: bool) -> str:
    """An http(s) URL without credentials; a literal private address only if allowed
    (names are checked when they are resolved, at each delivery)."""
    if not isinstance(url, str) or not 1 <= len(url) <= MAX_URL:
        raise bad_request(f"url: 1 to {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise bad_request("url: not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise bad_request("url: an http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        raise bad_request("url: no credentials in the URL")
    if is_ip(host) and not address_allowed(host, allow_private):
        raise bad_request("url: a private, loopback or reserved address (see docs/webhooks.md, SSRF)")
    return url


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def address_allowed(address: str, allow_private: bool) -> bool:
    """Public unicast addresses always; private, loopback, link-local, shared (CGNAT),
    reserved and multicast ones only when the server allows private targets."""
    try:
        ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified or ip.is_multicast:
        return False
    private = ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or not ip.is_global
    return allow_private or not private


# ---------------------------------------------------------------------------- payloads


def names_in_body(body: str, user_id: str) -> set[str]:
    """The names the user goes by in an outbox body: beside their id (``{"id", "name"}``)."""
    names: set[str] = set()
    with contextlib.suppress(ValueError):
        _names_of(json.loads(body), user_id, names)
    return names


def pseudonymised_body(body: str, user_id: str, names: set[str], pseudonym: str) -> str | None:
    """An outbox body with the erased user's id and ``names`` (``names_in_body`` of every
    body of theirs) replaced by ``pseudonym`` wherever they appear, free text (reasons)
    included; None when the body holds none of them."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    cleaned = scrub(payload, erasure_needles(user_id, names, set(), pseudonym))
    if cleaned == payload:
        return None
    return json.dumps(cleaned, separators=(",", ":"), ensure_ascii=False)


def _names_of(value: Any, user_id: str, names: set[str]) -> None:
    if isinstance(value, dict):
        name = value.get("name")
        if value.get("id") == user_id and isinstance(name, str) and name:
            names.add(name)
        for item in value.values():
            _names_of(item, user_id, names)
    elif isinstance(value, list):
        for item in value:
            _names_of(item, user_id, names)


def iso_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def outbox_event(draft: EventDraft, uid: str) -> OutboxEvent:
    body = json.dumps(
        {
            "type": draft.type,
            "timestamp": iso_time(draft.ts_ms),
            "tenant_id": draft.tenant_id,
            "data": draft.data,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return OutboxEvent(uid, draft.tenant_id, draft.type, draft.ts_ms, body, draft.party_id, draft.dedupe_key)


def ping_event(tenant_id: str, endpoint_id: str, now_ms: int) -> EventDraft:
    return EventDraft(WEBHOOK_TEST, tenant_id, now_ms, {"endpoint_id": endpoint_id})


def party_events(
    before: Party | None, after: Party, events: Sequence[e.Event], now_ms: int
) -> list[EventDraft]:
    """The webhook events of one party transition (``before`` None: its creation).
    Cheap when the transition has nothing for them (most: playback, drift, buffering)."""
    drafts: list[EventDraft] = []
    if before is None:
        drafts.append(_party_draft(after, PARTY_CREATED, now_ms, _party_data(after), dedupe=True))
        joined = list(after.members)
        left: list[str] = []
    else:
        joined, left = _membership(before, after, events)
    for user_id in joined:
        member = after.members[user_id]
        joiner = {"user": {"id": member.user_id, "name": member.name}, "role": member.role.value}
        drafts.append(_party_draft(after, MEMBER_JOINED, now_ms, joiner))
    if _started(before, after, events):
        started = {
            "position_s": round(after.playback.position_s, 3),
            "media_kind": after.playback.media.kind.value,
        }
        drafts.append(_party_draft(after, PARTY_STARTED, now_ms, started, dedupe=True))
    for user_id in left:
        drafts.append(_party_draft(after, MEMBER_LEFT, now_ms, {"user": {"id": user_id}}))
    if after.ended is not None and (before is None or before.ended is None):
        drafts.append(_party_draft(after, PARTY_ENDED, now_ms, {"reason": after.ended}, dedupe=True))
    return drafts


def _membership(before: Party, after: Party, events: Sequence[e.Event]) -> tuple[list[str], list[str]]:
    """Who joined and who left. Live rooms announce no member events to their members,
    so the member sets are compared, and only when their sizes differ (a command
    adds or removes members, never both)."""
    announced = any(isinstance(ev, e.MemberJoined | e.MemberLeft) for ev in events)
    if not announced and len(before.members) == len(after.members):
        return [], []
    joined = [u for u in after.members if u not in before.members]
    left = [u for u in before.members if u not in after.members]
    return joined, left


def _started(before: Party | None, after: Party, events: Sequence[e.Event]) -> bool:
    if after.ended is not None or after.playback.status is not Status.PLAYING:
        return False
    if before is None:
        return True
    return (
        any(isinstance(ev, e.PlaybackChanged) for ev in events)
        and before.playback.status is not Status.PLAYING
    )


def _party_draft(
    party: Party, kind: str, now_ms: int, data: dict[str, Any], *, dedupe: bool = False
) -> EventDraft:
    key = f"{kind}:{party.id}" if dedupe else None
    return EventDraft(kind, party.tenant_id, now_ms, {"party_id": party.id, **data}, party.id, key)


def _party_data(party: Party) -> dict[str, Any]:
    media = party.playback.media
    return {
        "title": party.title,
        "type": party.settings.type.value,
        "created_by": party.created_by,
        "media": {
            "url": media.url,
            "kind": media.kind.value,
            "title": media.title,
            "duration_s": media.duration_s,
        },
    }


def party_summary(party: Party, activity: PartyActivity, ended_ms: int) -> EventDraft:
    """party.summary at a party's end: its members, the time each was in it (joined to
    left, the end at the latest: the best the records hold of who watched), its
    messages and reactions."""
    watched: dict[str, int] = {}
    names: dict[str, str] = {}
    since: dict[str, int] = {}
    for user_id, name, kind, at_ms in sorted(activity.member_events, key=lambda ev: ev[3]):
        if kind == MEMBER_JOINED:
            since.setdefault(user_id, at_ms)
            names[user_id] = name or names.get(user_id, "")
            watched.setdefault(user_id, 0)
        elif kind == MEMBER_LEFT and user_id in since:
            watched[user_id] += max(0, at_ms - since.pop(user_id))
    for user_id, at_ms in since.items():
        watched[user_id] += max(0, ended_ms - at_ms)
    ranked = sorted(watched.items(), key=lambda item: (-item[1], item[0]))
    total_ms = sum(watched.values())
    data = {
        "reason": party.ended,
        "duration_s": round(max(0, ended_ms - party.created_at_ms) / 1000, 3),
        "members": len(watched),
        "watch_time_s": round(total_ms / 1000, 3),
        "average_watch_time_s": round(total_ms / 1000 / len(watched), 3) if watched else 0.0,
        "viewers": [
            {"id": u, "name": names.get(u, ""), "watch_time_s": round(ms / 1000, 3)}
            for u, ms in ranked[:SUMMARY_MEMBERS]
        ],
        "viewers_truncated": len(ranked) > SUMMARY_MEMBERS,
        "messages": activity.messages,
        "reactions": activity.reactions,
        "position_s": round(party.playback.position_s, 3),
    }
    return _party_draft(party, PARTY_SUMMARY, ended_ms, data, dedupe=True)


def member_event_of(body: str) -> tuple[str, str, str, int] | None:
    """(user id, name, type, ms) of a stored member event's body (for summaries)."""
    try:
        payload = json.loads(body)
        user = payload["data"]["user"]
        at = datetime.fromisoformat(payload["timestamp"].replace("Z", "+00:00"))
        return str(user["id"]), str(user.get("name", "")), str(payload["type"]), round(at.timestamp() * 1000)
    except (ValueError, KeyError, TypeError):
        return None


# Moderation's audit details that are safe to pass on (ids, durations, scopes): never
# the texts (a deleted message's, the tenant's term lists) nor reporters' names.
_SAFE_DETAILS = ("until", "minutes", "scope", "held", "message", "clip", "by_author", "deleted")


def moderation_action(entry: AuditEntry) -> EventDraft:
    details = {k: entry.details[k] for k in _SAFE_DETAILS if k in entry.details}
    data = {
        "audit_id": entry.id,
        "action": entry.action,
        "party_id": entry.party_id,
        "actor": {"id": entry.actor_id, "name": entry.actor_name},
        "target_user_id": entry.target_user,
        "target_message_id": entry.target_message,
        "reason": entry.reason,
        "details": details,
    }
    return EventDraft(MODERATION_ACTION, entry.tenant_id, entry.ts_ms, data, entry.party_id)


def message_held(held: Held) -> EventDraft:
    """Without the text: the review queue's API has it, for those who may read it."""
    data = {
        "party_id": held.party_id,
        "held_id": held.id,
        "message_id": held.message_id,
        "user": {"id": held.user_id, "name": held.user_name},
        "source": held.source,
        "reasons": list(held.reasons),
    }
    return EventDraft(MESSAGE_HELD, held.tenant_id, held.ts_ms, data, held.party_id)


def message_reported(tenant_id: str, report: Report, reporters: int) -> EventDraft:
    """Without the reporter's words (free text) nor the message's."""
    data = {
        "party_id": report.party_id,
        "message_id": report.message_id,
        "reporter_id": report.reporter_id,
        "reporters": reporters,
    }
    return EventDraft(MESSAGE_REPORTED, tenant_id, report.ts_ms, data, report.party_id)


def clip_recorded(clip: Clip) -> EventDraft:
    data = {
        "party_id": clip.party_id,
        "clip_id": clip.id,
        "user": {"id": clip.user_id, "name": clip.user_name},
        "status": clip.status.value,
        "media_url": clip.media_url,
        "media_time_s": clip.media_time_s,
        "duration_s": clip.duration_s,
    }
    return EventDraft(CLIP_RECORDED, clip.tenant_id, clip.created_at_ms, data, clip.party_id)


def clip_removed(clip: Clip, reason: str, now_ms: int) -> EventDraft:
    data = {"party_id": clip.party_id, "clip_id": clip.id, "user_id": clip.user_id, "reason": reason}
    return EventDraft(CLIP_REMOVED, clip.tenant_id, now_ms, data, clip.party_id)
