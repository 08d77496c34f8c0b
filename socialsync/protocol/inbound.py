"""The wire protocol's inbound payloads: parsing and validation into typed models.

Every inbound payload is validated here (types, sizes, ranges) and turned into a
frozen model; anything wrong becomes a SyncError with a wire code before it can
reach the service. docs/protocol.md is the human-readable form of this module.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from socialsync.domain.chat.messages import MAX_TEXT_CHARS
from socialsync.domain.errors import Code, SyncError
from socialsync.domain.feedback import MAX_COMMENT
from socialsync.domain.model import (
    DEFAULT_MAX_MEMBERS,
    MAX_MEMBERS,
    MAX_ROOM_TERMS,
    MAX_SLOW_MODE_S,
    ControlMode,
    Media,
    MediaKind,
    RoomType,
    Settings,
)
from socialsync.domain.polls import (
    MAX_CHOICE_CHARS,
    MAX_CHOICES,
    MAX_DURATION_S,
    MAX_QUESTION_CHARS,
    MIN_CHOICES,
    MIN_DURATION_S,
    PollDraft,
    PollKind,
)
from socialsync.domain.text import control_character

# JavaScript numbers are exact up to 2**53; larger integers are refused rather than
# silently rounded by a client (and msgpack cannot pack beyond 64 bits anyway).
MAX_SAFE_INT = 2**53 - 1
# Positions are seconds: a VOD position, or live program time in epoch seconds.
MAX_POSITION_S = 1e11


def trimmed_text(max_chars: int, min_chars: int = 1) -> AfterValidator:
    """Trim surrounding white space, then bound the length (in characters)."""

    def check(value: str) -> str:
        value = value.strip()
        if len(value) > max_chars:
            raise PydanticCustomError(
                "string_too_long", "at most {max} characters, not {n}", {"max": max_chars, "n": len(value)}
            )
        if len(value) < min_chars:
            raise PydanticCustomError("string_too_short", "must not be empty")
        return value

    return AfterValidator(check)


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    # Players load this URL in every member's browser: only plain web URLs, so a
    # javascript: or data: URL can never be planted in somebody else's page.
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http(s) URL")
    return value


PartyId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
InviteCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Position = Annotated[float, Field(ge=0, le=MAX_POSITION_S)]
Rate = Annotated[float, Field(ge=0.25, le=4.0)]
MessageId = Annotated[int, Field(ge=1, le=MAX_SAFE_INT)]
# The raw bound keeps a hostile megabyte of white space from being copied about.
Title = Annotated[str, Field(max_length=1_000), trimmed_text(200)]


class _In(BaseModel):
    # Unknown fields are ignored so that a newer SDK can talk to an older server.
    model_config = ConfigDict(strict=True, allow_inf_nan=False, frozen=True, extra="ignore")


class MediaIn(_In):
    url: Annotated[str, Field(min_length=1, max_length=2048), AfterValidator(_http_url)]
    kind: Literal["vod", "live"] = "vod"
    title: Annotated[str, Field(max_length=1_000), trimmed_text(200, min_chars=0)] | None = None
    duration: Annotated[float, Field(gt=0, le=1e7)] | None = None
    # An image of the media (shown where the party's invite link unfurls).
    poster: Annotated[str, Field(min_length=1, max_length=2048), AfterValidator(_http_url)] | None = None

    def to_domain(self) -> Media:
        return Media(
            url=self.url,
            kind=MediaKind(self.kind),
            title=self.title or None,
            duration_s=self.duration,
            poster=self.poster,
        )


class SettingsIn(_In):
    type: Literal["watch_party", "live_room"] = "watch_party"
    control: Literal["everyone", "hosts"] | None = None
    wait_for_buffering: bool | None = None
    max_members: Annotated[int, Field(ge=1, le=100_000)] | None = None
    # Listed for every user of the tenant (discovery): live rooms always are.
    public: bool = False

    def to_domain(self) -> Settings:
        room = RoomType(self.type)
        max_members = self.max_members or DEFAULT_MAX_MEMBERS[room]
        if max_members > MAX_MEMBERS[room]:
            raise SyncError(
                Code.BAD_REQUEST, f"settings.max_members: at most {MAX_MEMBERS[room]} for a {room.value}"
            )
        live = room is RoomType.LIVE_ROOM
        return Settings(
            type=room,
            control=ControlMode(self.control or ("hosts" if live else "everyone")),
            wait_for_buffering=self.wait_for_buffering if self.wait_for_buffering is not None else not live,
            max_members=max_members,
            public=self.public,
        )


class TimeSync(_In):
    t0: Annotated[float, Field(ge=-1e15, le=1e15)]


class PartyCreate(_In):
    title: Title
    media: MediaIn
    settings: SettingsIn = SettingsIn()


class PartyRef(_In):
    party: PartyId


class PartyJoin(_In):
    """By the party's id, or by an invite's code (exactly one of them)."""

    party: PartyId | None = None
    invite: InviteCode | None = None
    since: Annotated[int, Field(ge=0, le=MAX_SAFE_INT)] | None = None
    # A deep link's moment, s: where the party starts if it has not started yet.
    t: Position | None = None

    @model_validator(mode="after")
    def _one_way_in(self) -> PartyJoin:
        if (self.party is None) == (self.invite is None):
            raise PydanticCustomError("party_or_invite", "give party or invite (exactly one)")
        return self


class PlaybackControl(PartyRef):
    action: Literal["play", "pause", "seek", "rate", "load", "break"]
    position: Position | None = None
    rate: Rate | None = None
    media: MediaIn | None = None
    seq: Annotated[int, Field(ge=0, le=MAX_SAFE_INT)] | None = None
    # "break": how long the shared break lasts, s (absent: until someone plays).
    duration: Annotated[float, Field(ge=1, le=3_600)] | None = None


class PlaybackStatus(PartyRef):
    position: Position
    playing: bool
    buffering: bool
    at: Annotated[int, Field(ge=0, le=MAX_SAFE_INT)] | None = None
    seq: Annotated[int, Field(ge=0, le=MAX_SAFE_INT)] | None = None
    # "Don't wait for me" when false; absent: unchanged (protocol 5.9).
    wait_for_me: bool | None = None
    # The client's round trip to the server, ms (its clock estimate's best); sizes the lead.
    rtt: Annotated[int, Field(ge=0, le=60_000)] | None = None
    # The member's player is in an ad or interstitial (true) or back from one (false);
    # absent: unchanged.
    ad: bool | None = None
    # Live media: how far behind wall-clock time (s) the newest media the player can play is.
    edge_delay: Annotated[float, Field(ge=0, le=3_600)] | None = None


class ChatSend(PartyRef):
    text: Annotated[str, Field(max_length=10 * MAX_TEXT_CHARS), trimmed_text(MAX_TEXT_CHARS)]
    nonce: Annotated[str, Field(min_length=1, max_length=64)]
    reply_to: MessageId | None = None
    media_time: Position | None = None


class ChatHistory(PartyRef):
    before: MessageId | None = None
    after: Annotated[int, Field(ge=0, le=MAX_SAFE_INT)] | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 50


class ReactionSend(PartyRef):
    emoji: Annotated[str, Field(min_length=1, max_length=16)]
    media_time: Position | None = None


# A session description with a handful of candidates is 3-6 KB.
MAX_SDP_CHARS = 16_384
Sdp = Annotated[str, Field(min_length=1, max_length=MAX_SDP_CHARS)]
UserId = Annotated[str, Field(min_length=1, max_length=128)]


class MemberRole(PartyRef):
    user: Annotated[str, Field(min_length=1, max_length=128)]
    role: Literal["host", "cohost", "member"]


class SettingsPatch(_In):
    control: Literal["everyone", "hosts"] | None = None
    wait_for_buffering: bool | None = None
    max_members: Annotated[int, Field(ge=1, le=100_000)] | None = None
    cameras: bool | None = None
    public: bool | None = None


class RtcPublish(PartyRef):
    sdp: Sdp
    audio: bool
    video: bool
    consent: bool


class RtcMute(PartyRef):
    audio: bool | None = None
    video: bool | None = None


class RtcPeer(PartyRef):
    publisher: UserId


class RtcAnswer(RtcPeer):
    sdp: Sdp


class RtcStage(PartyRef):
    user: UserId
    on: bool


class PartyUpdate(PartyRef):
    title: Title | None = None
    settings: SettingsPatch = SettingsPatch()


_M = TypeVar("_M", bound=_In)

# Errors about a value being too long/large are "too_large"; everything else is a bad request.
_TOO_LARGE = {"string_too_long", "too_long", "bytes_too_long"}


# Deeper payloads are refused before they are looked at (no inbound shape nests
# beyond 3 levels).
MAX_DEPTH = 16


def check_strings(data: Any, where: str = "", depth: int = 0) -> None:
    """bad_request for a control character (NUL above all) in any string of ``data``,
    keys included, or for nesting beyond MAX_DEPTH: text hygiene for every payload."""
    if depth > MAX_DEPTH:
        raise SyncError(Code.BAD_REQUEST, f"{where or 'payload'}: nested too deeply")
    if isinstance(data, str):
        found = control_character(data)
        if found is not None:
            raise SyncError(
                Code.BAD_REQUEST, f"{where or 'payload'}: control character U+{ord(found):04X} is not allowed"
            )
    elif isinstance(data, dict):
        for key, value in data.items():
            name = f"{where}.{key}" if where else str(key)
            check_strings(key, name[:80], depth + 1)
            check_strings(value, name[:80], depth + 1)
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            check_strings(value, f"{where}.{i}" if where else str(i), depth + 1)


def parse(model: type[_M], data: Any) -> _M:
    if not isinstance(data, dict):
        raise SyncError(Code.BAD_REQUEST, "the payload must be an object")
    check_strings(data)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        code = Code.TOO_LARGE if first["type"] in _TOO_LARGE else Code.BAD_REQUEST
        raise SyncError(code, f"{where}: {first['msg']}") from None


# ---------------------------------------------------------------------------- moderation

Reason = Annotated[str, Field(max_length=1_000), trimmed_text(200, min_chars=0)]
# A report must say why (chat.report, clip.report): trimmed 1..200 characters.
ReportReason = Annotated[str, Field(max_length=1_000), trimmed_text(200)]
UserRef = Annotated[str, Field(min_length=1, max_length=128)]
Term = Annotated[str, Field(max_length=200), trimmed_text(100)]


class ChatReport(PartyRef):
    id: MessageId
    reason: ReportReason


class ModDelete(PartyRef):
    id: MessageId
    reason: Reason | None = None


class ModPurge(PartyRef):
    user: UserRef
    minutes: Annotated[int, Field(ge=1, le=1_440)] = 10
    reason: Reason | None = None


class ModTimeout(PartyRef):
    user: UserRef
    seconds: Annotated[int, Field(ge=1, le=86_400)]
    reason: Reason | None = None


class ModBan(PartyRef):
    user: UserRef
    scope: Literal["room", "tenant"] = "room"
    seconds: Annotated[int, Field(ge=1, le=31_536_000)] | None = None
    reason: Reason | None = None


class ModUnban(PartyRef):
    user: UserRef
    scope: Literal["room", "tenant"] = "room"
    reason: Reason | None = None


class ModShadowMute(PartyRef):
    user: UserRef
    on: bool
    reason: Reason | None = None


def _domain(value: str) -> str:
    if "." not in value:
        raise ValueError("must be a domain name such as example.com")
    return value


Domain = Annotated[
    str,
    Field(min_length=3, max_length=253, pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$"),
    AfterValidator(_domain),
]


class ModRules(PartyRef):
    slow_mode_s: Annotated[int, Field(ge=0, le=MAX_SLOW_MODE_S)] | None = None
    members_only: bool | None = None
    emote_only: bool | None = None
    locked: bool | None = None
    links: bool | None = None
    link_domains: Annotated[list[Domain], Field(max_length=100)] | None = None
    blocked_terms: Annotated[list[Term], Field(max_length=MAX_ROOM_TERMS)] | None = None
    allowed_terms: Annotated[list[Term], Field(max_length=MAX_ROOM_TERMS)] | None = None

    def changes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("slow_mode_s", "members_only", "emote_only", "locked", "links"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        for name in ("blocked_terms", "allowed_terms", "link_domains"):
            terms = normalised_terms(getattr(self, name))
            if terms is not None:
                out[name] = terms
        return out


def normalised_terms(terms: list[str] | None) -> tuple[str, ...] | None:
    # One of each, in the order given, case-insensitively.
    return None if terms is None else tuple(dict.fromkeys(t.casefold() for t in terms if t))


class ModTenantTerms(_In):
    blocked_terms: Annotated[list[Term], Field(max_length=MAX_ROOM_TERMS)] | None = None
    allowed_terms: Annotated[list[Term], Field(max_length=MAX_ROOM_TERMS)] | None = None


class ModReview(PartyRef):
    held: Annotated[int, Field(ge=1, le=MAX_SAFE_INT)]
    decision: Literal["approve", "reject"]
    reason: Reason | None = None


class ModAudit(_In):
    party: PartyId | None = None
    before: Annotated[int, Field(ge=1, le=MAX_SAFE_INT)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class Empty(_In):
    pass


# ---------------------------------------------------------------------------- reaction clips

ClipId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class ClipStart(PartyRef):
    consent: bool


class ClipList(PartyRef):
    media_url: Annotated[str, Field(min_length=1, max_length=2048)] | None = None


class ClipDelete(PartyRef):
    id: ClipId
    reason: Reason | None = None


class ModClipReview(PartyRef):
    id: ClipId
    decision: Literal["approve", "reject"]
    reason: Reason | None = None


class ClipReport(PartyRef):
    id: ClipId
    reason: ReportReason


# ---------------------------------------------------------------------------- polls and predictions

PollId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
PollQuestion = Annotated[str, Field(max_length=1_000), trimmed_text(MAX_QUESTION_CHARS)]
PollChoice = Annotated[str, Field(max_length=400), trimmed_text(MAX_CHOICE_CHARS)]
ChoiceIndex = Annotated[int, Field(ge=0, le=MAX_CHOICES - 1)]


class PollOpen(PartyRef):
    kind: Literal["poll", "prediction"] = "poll"
    question: PollQuestion
    # More than MAX_CHOICES is too_large, fewer than MIN_CHOICES bad_request (1.3).
    choices: Annotated[list[PollChoice], Field(min_length=MIN_CHOICES, max_length=MAX_CHOICES)]
    # Seconds: how long a poll runs, or a prediction takes picks before it locks.
    duration: Annotated[int, Field(ge=MIN_DURATION_S, le=MAX_DURATION_S)]

    def to_domain(self) -> PollDraft:
        return PollDraft(PollKind(self.kind), self.question, tuple(self.choices), self.duration)


class PollRef(PartyRef):
    id: PollId


class PollVote(PollRef):
    choice: ChoiceIndex


class PredictionResolve(PollRef):
    outcome: ChoiceIndex


class AnalyticsMoments(PartyRef):
    """``analytics.moments``: the top moments of the party's media item (18)."""

    # How many moments (at most), and how many media seconds each spans.
    top: Annotated[int, Field(ge=1, le=10)] = 5
    bucket_s: Annotated[int, Field(ge=5, le=600)] = 10


# ---------------------------------------------------------------------------- feedback (19.2)

PromptId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class FeedbackSend(_In):
    """``feedback.send``: the answer to a ``feedback.prompt`` (19.2)."""

    prompt: PromptId
    # CSAT: 1 to 5, NPS: 0 to 10 (the prompt's survey says which; checked by the service).
    score: Annotated[int, Field(ge=0, le=10)]
    comment: (
        Annotated[str, Field(max_length=10 * MAX_COMMENT), trimmed_text(MAX_COMMENT, min_chars=0)] | None
    ) = None
