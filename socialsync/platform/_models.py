"""What the REST API answers, as frozen dataclasses with the wire's field names and
units (times in Unix ms unless a name says otherwise; docs/api.md).

The server's answer shapes live beside its handlers (edge/http/*, protocol/shapes.py),
which import aiohttp, pydantic and the services: a backend using this SDK must not pull
those in, so the shapes are declared again here, field for field, and
tests/unit/test_platform_models.py checks each against the server's so they cannot
drift apart. ``decode`` reads an answer into them: unknown fields (a newer server) are
ignored, a field that is missing and has a default takes it.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

T = TypeVar("T")

# ---------------------------------------------------------------------------- parties


@dataclass(frozen=True, slots=True)
class Media:
    """What a party plays: ``duration`` in seconds (VOD); ``poster``: an image of it
    (shown where the party's invite link unfurls)."""

    url: str
    kind: Literal["vod", "live"] = "vod"
    title: str | None = None
    duration: float | None = None
    poster: str | None = None


@dataclass(frozen=True, slots=True)
class PartySettings:
    type: Literal["watch_party", "live_room"]
    control: Literal["everyone", "hosts"]
    wait_for_buffering: bool
    max_members: int
    cameras: bool
    public: bool = False


@dataclass(frozen=True, slots=True)
class Party:
    id: str
    title: str
    created_at: int
    created_by: str
    host: str | None
    media: Media
    settings: PartySettings
    member_count: int
    invite_url: str | None = None


@dataclass(frozen=True, slots=True)
class Playback:
    """The shared playback: ``position`` (s) is where the media is at server time ``at`` (ms)."""

    party: str
    seq: int
    status: Literal["playing", "paused", "waiting"]
    position: float
    rate: float
    at: int
    media: Media
    by: str | None
    on_break: bool = False
    break_until: int | None = None


@dataclass(frozen=True, slots=True)
class Drift:
    p50_ms: float
    p95_ms: float
    reports: int


@dataclass(frozen=True, slots=True)
class SyncHealth:
    """Members by standing (in_sync, catching_up, loading, in_ad, away), and their drift."""

    members: Mapping[str, int]
    drift: Drift | None


@dataclass(frozen=True, slots=True)
class PartyState:
    """``parties.get``: the party, its playback and its sync health."""

    party: Party
    playback: Playback
    sync: SyncHealth


@dataclass(frozen=True, slots=True)
class Camera:
    audio: bool
    video: bool
    audio_muted: bool
    video_muted: bool


@dataclass(frozen=True, slots=True)
class Badge:
    """Shown beside a member's name (docs/engagement.md): ``n`` is its level (hours
    watched together, parties hosted, live events topped, weeks in a row)."""

    kind: Literal["first_party", "watched_together", "hosted", "top_reactor", "streak"]
    n: int


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    name: str
    role: Literal["host", "cohost", "member"]
    buffering: bool
    in_sync: bool
    connected: bool
    camera: Camera | None
    on_stage: bool
    wait_for_me: bool
    in_ad: bool
    sync: Literal["in_sync", "catching_up", "loading", "in_ad", "away"]
    badges: tuple[Badge, ...] = ()


@dataclass(frozen=True, slots=True)
class UserRef:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Clip:
    """A reaction clip; ``url`` (signed) works until ``url_expires`` (ms)."""

    id: str
    party: str
    user: UserRef
    media_url: str
    media_time: float
    duration: float
    created_at: int
    mime_type: str
    size: int
    width: int
    height: int
    status: Literal["visible", "held", "hidden"]
    url: str
    url_expires: int


@dataclass(frozen=True, slots=True)
class Invite:
    """An invite link: ``created_at`` and ``expires_at`` in epoch **seconds**; ``uses``:
    users it let in (each once); ``t``: the moment of the media it starts at (s)."""

    code: str
    url: str
    party: str
    created_by: str
    created_at: int
    expires_at: int
    max_uses: int | None
    uses: int
    t: float | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """A chat message as the tenant's staff see it: ``hidden``: shadow-muted (shown to
    its author only); ``ts`` in server ms, ``media_time`` (s) where the media was."""

    party: str
    id: int
    user: UserRef
    text: str
    ts: int
    nonce: str
    hidden: bool
    media_time: float | None = None
    reply_to: int | None = None


# ---------------------------------------------------------------------------- tokens and keys


@dataclass(frozen=True, slots=True)
class Token:
    """A token minted by the server: ``expires_at`` in epoch **seconds** (a JWT's exp);
    ``host_of``: the party its user joins as host. Secrets are left out of the repr (logs)."""

    token: str = field(repr=False)
    user: str
    roles: tuple[str, ...]
    expires_at: int
    host_of: str | None = None


@dataclass(frozen=True, slots=True)
class Revocation:
    """``at``: epoch seconds; tokens issued before it (of ``user``) are refused."""

    at: int
    jti: str | None = None
    user: str | None = None


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    scopes: tuple[str, ...]
    created_at: int
    expires_at: int | None
    revoked_at: int | None
    last_used_at: int | None
    per_minute: int | None
    burst: int | None
    prefix: str


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A key just made: ``api_key`` (``ssk_...``) is in this answer only."""

    key: ApiKey
    api_key: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class TenantAccess:
    jwks_url: str | None
    jwks: Mapping[str, Any] | None
    allowed_origins: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class Limits:
    """A tenant's own limits (None: the server's)."""

    parties_per_hour: int | None
    cameras_per_user: int | None
    guests_per_address_per_hour: int | None


@dataclass(frozen=True, slots=True)
class Engagement:
    """Badges beside names, and the end-of-party feedback prompt (off, CSAT or NPS)."""

    badges: bool
    feedback: Literal["off", "csat", "nps"]


@dataclass(frozen=True, slots=True)
class ChatHook:
    """The tenant's synchronous chat hook (docs/chat-hook.md). ``secret`` (``whsec_...``)
    only in the answer that made the hook or rotated its secret; ms timestamps."""

    url: str
    timeout_ms: int
    on_timeout: Literal["allow", "hold"]
    enabled: bool
    previous_secret_until: int | None
    created_at: int
    updated_at: int
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class TenantSettings:
    frame_ancestors: tuple[str, ...] | None
    limits: Limits
    effective_limits: Limits
    engagement: Engagement = Engagement(False, "off")
    chat_hook: ChatHook | None = None


# ---------------------------------------------------------------------------- moderation


@dataclass(frozen=True, slots=True)
class Terms:
    """The tenant's blocked terms (``*`` wildcards) and allowed terms (never blocked)."""

    blocked_terms: tuple[str, ...]
    allowed_terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Sanction:
    """A ban, timeout or shadow mute in force: ``party`` None: every room of the tenant;
    ``until`` (ms) None: until lifted."""

    id: int
    kind: Literal["ban", "timeout", "shadow_mute"]
    user: str
    party: str | None
    until: int | None
    reason: str | None
    by: str
    created_at: int


@dataclass(frozen=True, slots=True)
class HeldMessage:
    """A message waiting for review: held by the filter (``source`` "filter") or taken
    down by reports ("reports", ``message``: the delivered message's id)."""

    party: str
    id: int
    user: UserRef
    text: str
    ts: int
    reasons: tuple[str, ...]
    source: str
    message: int | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who (``actor``: a user, an API key ``key:<id>``, or ``reports``) did what to whom, when (ms)."""

    id: int
    party: str | None
    actor: UserRef
    action: str
    target_user: str | None
    target_message: int | None
    reason: str | None
    details: Mapping[str, Any]
    ts: int


# ---------------------------------------------------------------------------- analytics


@dataclass(frozen=True, slots=True)
class Window:
    """What an analytics answer covers: one party, one media item, or the tenant (both
    None), from ``since`` to ``until`` (server epoch ms, excluded)."""

    party: str | None
    media: str | None
    since: int
    until: int


@dataclass(frozen=True, slots=True)
class Metrics:
    sessions: int
    unique_viewers: int
    returning_viewers: int
    parties: int
    session_duration_mean_s: float | None
    session_duration_median_s: float | None
    watch_time_s: float
    watch_time_per_viewer_s: float | None
    peak_viewers: int
    average_viewers: float
    average_party_size: float | None
    messages: int
    reactions: int
    engagement_per_minute: float | None


@dataclass(frozen=True, slots=True)
class AnalyticsSummary:
    range: Window
    metrics: Metrics


@dataclass(frozen=True, slots=True)
class ConcurrencyPoint:
    """Viewers at once in the step starting at ``t`` (ms): the peak, and the average."""

    t: int
    viewers: int
    average: float


@dataclass(frozen=True, slots=True)
class Concurrency:
    range: Window
    peak: int
    peak_at: int | None
    average: float
    points: tuple[ConcurrencyPoint, ...]


@dataclass(frozen=True, slots=True)
class RetentionPoint:
    """PeerTube's shape: ``second`` or ``percent`` of the media, and the share of views
    still watching there."""

    second: int | None = None
    percent: int | None = None
    retentionPercent: float | None = None  # the wire's (PeerTube's) name


@dataclass(frozen=True, slots=True)
class RetentionCurve:
    range: Window
    media: str | None
    unit: Literal["second", "percent"]
    views: int
    intro_retention: float | None
    data: tuple[RetentionPoint, ...]


@dataclass(frozen=True, slots=True)
class Moment:
    """A bucket of media time (s) and what happened in it."""

    start_s: int
    end_s: int
    reactions: int
    messages: int
    rewatches: int
    viewers: int
    score: int


@dataclass(frozen=True, slots=True)
class Moments:
    range: Window
    media: str | None
    buckets: tuple[Moment, ...]
    top: tuple[Moment, ...]


@dataclass(frozen=True, slots=True)
class FunnelStep:
    step: str
    count: int
    conversion: float | None


@dataclass(frozen=True, slots=True)
class Funnels:
    range: Window
    invite: tuple[FunnelStep, ...]
    share: tuple[FunnelStep, ...]


@dataclass(frozen=True, slots=True)
class ViewerStats:
    """One (pseudonymous) viewer's engagement; ``per_minute``: messages and reactions a minute watched."""

    viewer: str
    sessions: int
    watch_time_s: float
    messages: int
    reactions: int
    per_minute: float | None


@dataclass(frozen=True, slots=True)
class Viewers:
    range: Window
    viewers: tuple[ViewerStats, ...]


@dataclass(frozen=True, slots=True)
class Ranked:
    """A party or a media item (``about``: its title...) by watch time."""

    id: str
    sessions: int
    unique_viewers: int
    watch_time_s: float
    messages: int
    reactions: int
    about: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Top:
    range: Window
    by: Literal["parties", "media"]
    items: tuple[Ranked, ...]


@dataclass(frozen=True, slots=True)
class ScoreCount:
    score: int
    answers: int


@dataclass(frozen=True, slots=True)
class Csat:
    """CSAT: ``csat_percent`` is the share of answers 4 or 5 (of 1 to 5)."""

    answers: int
    csat_percent: float | None
    mean: float | None
    satisfied: int
    neutral: int
    dissatisfied: int
    distribution: tuple[ScoreCount, ...]


@dataclass(frozen=True, slots=True)
class Nps:
    """NPS: ``nps`` = % promoters (9-10) - % detractors (0-6)."""

    answers: int
    nps: float | None
    mean: float | None
    promoters: int
    passives: int
    detractors: int
    distribution: tuple[ScoreCount, ...]


@dataclass(frozen=True, slots=True)
class FeedbackComment:
    id: str
    party: str | None
    survey: Literal["csat", "nps"]
    score: int
    comment: str
    held: bool
    ts: int


@dataclass(frozen=True, slots=True)
class Feedback:
    """The end-of-party feedback over a range: CSAT, NPS, and the comments, newest first."""

    range: Window
    csat: Csat
    nps: Nps
    comments_total: int
    comments: tuple[FeedbackComment, ...]


# ---------------------------------------------------------------------------- discovery


@dataclass(frozen=True, slots=True)
class DiscoveryActivity:
    members: int
    messages_per_min: float
    reactions_per_min: float


@dataclass(frozen=True, slots=True)
class DiscoveryHistory:
    friends: int
    watched_min: float


@dataclass(frozen=True, slots=True)
class Discovered:
    """A party and why it ranks where it does (docs/engagement.md)."""

    party: Party
    score: float
    activity_score: float
    history_score: float
    activity: DiscoveryActivity
    history: DiscoveryHistory | None
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Discovery:
    user: str | None
    generated_at: int
    window_s: int
    items: tuple[Discovered, ...]


# ---------------------------------------------------------------------------- webhooks


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    id: str
    url: str
    description: str
    events: tuple[str, ...]
    enabled: bool
    disabled_reason: Literal["gone", "failing", "manual"] | None
    failing_since: int | None
    previous_secret_until: int | None
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class NewWebhookSecret:
    """An endpoint just made or rotated: ``secret`` (``whsec_...``) is in this answer only."""

    endpoint: WebhookEndpoint
    secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event's delivery to one endpoint; ``id`` is its ``webhook-id``."""

    id: str
    endpoint_id: str
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: int | None
    last_status: int | None
    last_response_ms: int | None
    last_error: str | None
    created_at: int
    delivered_at: int | None


@dataclass(frozen=True, slots=True)
class Attempt:
    number: int
    at: int
    status: int | None
    response_ms: int
    error: str | None


@dataclass(frozen=True, slots=True)
class DeliveryLog:
    delivery: Delivery
    attempts: tuple[Attempt, ...]


# ---------------------------------------------------------------------------- privacy


@dataclass(frozen=True, slots=True)
class Retention:
    """Days each kind of data is kept (0: not beyond its use)."""

    chat_days: int
    deleted_text_days: int
    audit_days: int
    ended_parties_days: int
    clips_days: int
    reports_days: int
    analytics_events_days: int
    analytics_aggregates_days: int
    feedback_days: int = 365


@dataclass(frozen=True, slots=True)
class Erasure:
    pseudonym: str
    counts: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Consent:
    tenant_id: str
    party_id: str
    user_id: str
    kind: Literal["camera", "recording"]
    ts_ms: int
    details: Mapping[str, Any]


# ---------------------------------------------------------------------------- pages


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: ``next_cursor`` is None on the last."""

    items: tuple[T, ...]
    next_cursor: str | None


# ---------------------------------------------------------------------------- reading answers


def decode(kind: Any, value: Any) -> Any:
    """``value`` (parsed JSON) as ``kind``: a dataclass above, ``tuple[X, ...]``,
    ``Mapping[str, X]``, ``X | None``, a literal (a value a newer server adds passes)
    or a plain type. ValueError names what does not fit."""
    if kind is Any:
        return value
    origin = typing.get_origin(kind)
    if dataclasses.is_dataclass(kind):
        return _dataclass(kind, value)
    if origin is Literal:  # a value a newer server adds passes
        return value
    if origin in (types.UnionType, typing.Union):
        arms = typing.get_args(kind)
        if value is None and type(None) in arms:
            return None
        (arm,) = [a for a in arms if a is not type(None)]
        return decode(arm, value)
    if origin is tuple:
        return tuple(decode(typing.get_args(kind)[0], v) for v in _of(list, value))
    if origin is Mapping or origin is dict:
        return {str(k): decode(typing.get_args(kind)[1], v) for k, v in _of(dict, value).items()}
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return _of(kind, value)


def _of(kind: type[T], value: Any) -> T:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ValueError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


_HINTS: dict[type, dict[str, Any]] = {}


def _dataclass(kind: Any, value: Any) -> Any:
    data = _of(dict, value)
    hints = _HINTS.get(kind)
    if hints is None:
        hints = _HINTS[kind] = typing.get_type_hints(kind)
    known = {}
    for f in dataclasses.fields(kind):
        if f.name in data:
            try:
                known[f.name] = decode(hints[f.name], data[f.name])
            except ValueError as exc:
                raise ValueError(f"{kind.__name__}.{f.name}: {exc}") from None
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ValueError(f"{kind.__name__}: no {f.name}")
    return kind(**known)


def page_of(kind: type[T]) -> Callable[[Any], Page[T]]:
    """The reader of a page of ``kind`` (``{items, next_cursor}``)."""

    def read(data: Any) -> Page[T]:
        body = _of(dict, data)
        items = tuple(decode(kind, item) for item in _of(list, body.get("items")))
        cursor = body.get("next_cursor")
        return Page(items, None if cursor is None else _of(str, cursor))

    return read


def reader(kind: type[T], key: str | None = None) -> Callable[[Any], T]:
    """The reader of an answer: ``kind`` at its ``key``, or the whole answer as ``kind``."""

    def read(data: Any) -> T:
        value: T = decode(kind, data if key is None else _of(dict, data)[key])
        return value

    return read
