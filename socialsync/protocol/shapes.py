"""The outbound wire shapes: what the server sends, as typed dicts.

These mirror the builders of outbound.py (``media_out``, ``playback_out``, ``member_out``,
``camera_out``, ``party_out``, ``message_out``, ``rules_out``, ``clip_out``, ``notice_out``'s
member events), the join answer and the ``session`` event key for key and docs/protocol.md field
for field: a field that can be ``null`` is ``X | None``, a key that can be absent is
``NotRequired``. ``json_schema.py`` emits them as JSON Schema, from which the browser
SDK's TypeScript types are generated (web_client/src/protocol/types.generated.ts).

typing_extensions' TypedDict, as pydantic needs it before Python 3.12; TypeAliasType gives
a literal type a name of its own in the schema. The docstrings (of the classes, and of the
fields where `use_attribute_docstrings` is on) become the comments of the generated types,
so they are written for a reader of the TypeScript; section numbers are docs/protocol.md's.
"""

from typing import Any, Literal, NotRequired

from pydantic import with_config
from typing_extensions import TypeAliasType, TypedDict

from socialsync.domain.errors import Code, Reason

# ---------------------------------------------------------------------------- named values

ErrorCode = TypeAliasType("ErrorCode", Code)
# What exactly was refused (1.4), for clients to translate; `params` fill its words.
RefusalReason = TypeAliasType("RefusalReason", Reason)
Role = TypeAliasType("Role", Literal["host", "cohost", "member"])
ClipStatus = TypeAliasType("ClipStatus", Literal["visible", "held", "hidden"])
# Why a recording ended (16.2 clip.ended): clip.stop, its duration cap, the size cap,
# the camera went off, no keyframe came, the room refused it, or it failed.
ClipEndReason = TypeAliasType(
    "ClipEndReason", Literal["stopped", "limit", "size", "camera_off", "no_video", "moderated", "failed"]
)


# ---------------------------------------------------------------------------- shared objects (4)


class Media(TypedDict):
    """What is played (docs/protocol.md 4.1; media_out)."""

    url: str
    kind: Literal["vod", "live"]
    title: NotRequired[str]
    duration: NotRequired[float]
    poster: NotRequired[str]


class PlaybackState(TypedDict):
    """A party's shared playback state, also the `playback.state` event (4.2, 8; playback_out).
    `position` (s) is where the media is at server time `at` (ms), which may lie ahead."""

    party: str
    seq: int
    status: Literal["playing", "paused", "waiting"]
    position: float
    rate: float
    at: int
    media: Media
    by: str | None
    on_break: NotRequired[bool]
    # Present (true) during a shared break (the host's `break`, 8); `break_until` is the
    # server time (ms) it ends by itself, or null for a break until someone plays.
    break_until: NotRequired[int | None]


class CameraState(TypedDict):
    """A member's camera and microphone: what it sends, and what it has muted (15; camera_out)."""

    audio: bool
    video: bool
    audio_muted: bool
    video_muted: bool


@with_config(use_attribute_docstrings=True)
class Badge(TypedDict):
    """A badge shown beside a member's name (4.3, 19.1)."""

    kind: Literal["first_party", "watched_together", "hosted", "top_reactor", "streak"]
    n: int
    """Its level: hours watched together, parties hosted, live events topped, weeks in a row (1 for
    `first_party`)."""


@with_config(use_attribute_docstrings=True)
class Member(TypedDict):
    """A member of a party (4.3; member_out)."""

    id: str
    name: str
    role: Role
    buffering: bool
    in_sync: bool
    connected: bool
    camera: CameraState | None
    """What the member publishes while its camera or microphone is on, else null."""
    on_stage: bool
    """Live rooms: put on stage, so it may publish."""
    wait_for_me: bool
    """False: the member chose "don't wait for me"; its stalls never make the party wait."""
    in_ad: bool
    """Its player is in an ad or interstitial: suspended from sync until it ends."""
    sync: Literal["in_sync", "catching_up", "loading", "in_ad", "away"]
    """Where the member stands, as the server sees it from its reports (4.3): for a
    member list in plain words ("in sync", "catching up", "loading", "in an ad", "away")."""
    badges: list[Badge]
    """Its badges as of its join, when the tenant shows badges (19.1); at most one of each kind."""


@with_config(use_attribute_docstrings=True)
class PartySettings(TypedDict):
    """A party's settings (4.4; party_out)."""

    type: Literal["watch_party", "live_room"]
    control: Literal["everyone", "hosts"]
    wait_for_buffering: bool
    max_members: int
    cameras: bool
    """`false`: the host has turned cameras off (none may be on, none may start)."""
    public: bool
    """Listed for every user of the tenant (discovery), as live rooms always are."""


class PartyInfo(TypedDict):
    """A party (4.4; party_out)."""

    id: str
    title: str
    created_at: int
    created_by: str
    host: str | None
    media: Media
    settings: PartySettings
    member_count: int
    invite_url: NotRequired[str]


class UserRef(TypedDict):
    """A user as messages and clips name it."""

    id: str
    name: str


class ChatMessage(TypedDict):
    """A chat message, also the `chat.message` and `chat.restored` events (4.5; message_out)."""

    party: str
    id: int
    user: UserRef
    text: str
    ts: int
    nonce: str
    media_time: NotRequired[float]
    reply_to: NotRequired[int]


class ChatRules(TypedDict):
    """A room's chat rules (docs/moderation.md; rules_out)."""

    slow_mode_s: int
    members_only: bool
    emote_only: bool
    locked: bool
    links: bool
    link_domains: list[str]
    blocked_terms: list[str]
    allowed_terms: list[str]


@with_config(use_attribute_docstrings=True)
class ClipInfo(TypedDict):
    """A reaction clip, as members get it (16.1; clip_out)."""

    id: str
    party: str
    user: UserRef
    media_url: str
    """The media the clip reacts to, and where in it the clip's first frame belongs."""
    media_time: float
    duration: float
    created_at: int
    mime_type: str
    size: int
    width: int
    height: int
    status: ClipStatus
    """visible: everyone; held: you and the moderators until approved; hidden: you only."""
    url: str
    """The file (Range requests work); signed, it stops working at `url_expires` (server ms)."""
    url_expires: int


@with_config(use_attribute_docstrings=True)
class ClipRecording(TypedDict):
    """A recording under way: `clip.start`'s `recording` (16.2)."""

    id: str
    started_at: int
    """Server time it started, and the longest it may last (seconds)."""
    max_duration: float
    mime_type: str


@with_config(use_attribute_docstrings=True)
class PollInfo(TypedDict):
    """A poll or prediction with its counts (17; poll_out)."""

    id: str
    party: str
    kind: Literal["poll", "prediction"]
    question: str
    choices: list[str]
    """A poll's choices, a prediction's outcomes, in order: votes and `outcome` are indexes."""
    status: Literal["open", "locked", "ended"]
    """open: members vote; locked: a prediction waiting for its outcome; ended: final."""
    by: UserRef
    opened_at: int
    closes_at: int
    """Server ms: when voting ends (a poll) or the prediction locks, unless closed earlier."""
    closed_at: int | None
    """When voting stopped (null while open)."""
    ended_at: int | None
    end: Literal["completed", "resolved", "cancelled"] | None
    outcome: int | None
    """A resolved prediction's outcome (an index of `choices`), else null."""
    counts: list[int]
    """Votes per choice, in the order of `choices`."""
    total: int


class ErrorBody(TypedDict):
    """The `error` of a refused request (1.4)."""

    code: ErrorCode
    message: str
    retry_after: NotRequired[float]
    reason: NotRequired[RefusalReason]
    params: NotRequired[dict[str, str | int | float]]


# ---------------------------------------------------------------------------- answers and session


class SessionUser(TypedDict):
    """The connected user: the `session` event's `user` (2.4)."""

    id: str
    name: str
    roles: list[str]
    guest: bool
    tenant: str


class Session(TypedDict):
    """The `session` event, once per accepted connection (2.4)."""

    user: SessionUser
    server_time: int
    token: NotRequired[str]


class JoinAnswer(TypedDict):
    """The `party.join` answer (5.3)."""

    ok: Literal[True]
    party: PartyInfo
    you: Member
    members: list[Member]
    playback: PlaybackState
    messages: list[ChatMessage]
    has_more: bool
    server_time: int
    rules: ChatRules


class PollCurrent(TypedDict):
    """The `poll.get` answer: the party's current poll (or null) and your vote in it (17)."""

    ok: Literal[True]
    poll: PollInfo | None
    choice: int | None


@with_config(use_attribute_docstrings=True)
class KeyMoment(TypedDict):
    """One of a media item's top moments (18): a span of media time where viewers of the
    tenant's parties reacted, wrote or seeked back to watch again the most."""

    start_s: int
    """Media seconds: where the moment starts (a chapter mark), and ends (excluded)."""
    end_s: int
    score: int
    """`reactions` + `messages` + `rewatches`: how the moments are ranked."""
    reactions: int
    messages: int
    rewatches: int
    """Media seconds in it watched again within one view (a seek back)."""


@with_config(use_attribute_docstrings=True)
class MomentsAnswer(TypedDict):
    """The `analytics.moments` answer: the top moments of the party's media item (18)."""

    ok: Literal[True]
    media: str | None
    """The media item's id (`null` for live media, which has no moments)."""
    views: int
    """Views of the media item the moments were counted over (every party, 30 days)."""
    bucket_s: int
    moments: list[KeyMoment]
    """At most `top`, the densest first chosen, none side by side; in media order."""


class WatchingAnswer(TypedDict):
    """The `analytics.watching` answer: members present in the party now (18)."""

    ok: Literal[True]
    watching: int


class IceServer(TypedDict):
    urls: str | list[str]
    username: NotRequired[str]
    credential: NotRequired[str]


class RtcConfig(TypedDict):
    """The `rtc.config` answer: the ICE servers for every peer connection of the party (15.2)."""

    ok: Literal[True]
    ice_servers: list[IceServer]
    max_cameras: int


# ---------------------------------------------------------------------------- server events (6, 15, 16)


class MemberChanged(TypedDict):
    """`member.joined`, `member.updated` (6.2)."""

    party: str
    member: Member


class MemberLeft(TypedDict):
    party: str
    user: str


class PartyUpdated(TypedDict):
    party: str
    info: PartyInfo


class PartyEnded(TypedDict):
    party: str
    reason: Literal["ended_by_host", "empty"]


class PartyKicked(TypedDict):
    party: str
    reason: str


class PartyRules(TypedDict):
    party: str
    rules: ChatRules


class ChatDeleted(TypedDict):
    party: str
    id: int


class ReactionBurst(TypedDict):
    """`reaction.burst`: emoji -> number of reactions in the window (6.7, 10)."""

    party: str
    counts: dict[str, int]
    window_ms: int


class ServerDraining(TypedDict):
    reason: str
    reconnect: bool


class RtcCamera(TypedDict):
    party: str
    user: str
    camera: CameraState | None


class RtcReset(TypedDict):
    party: str
    reason: str
    users: list[str]


class ClipAdded(TypedDict):
    party: str
    clip: ClipInfo


class ClipRemoved(TypedDict):
    party: str
    id: str
    reason: Literal["deleted", "rejected", "reported"]


class ClipEnded(TypedDict):
    party: str
    id: str
    reason: ClipEndReason
    clip: ClipInfo | None


class ClipRecordingChanged(TypedDict):
    party: str
    user: str
    id: str
    on: bool


class PollChanged(TypedDict):
    """`poll.opened`, `poll.locked`, `poll.ended` (17)."""

    party: str
    poll: PollInfo


class PollResults(TypedDict):
    """`poll.results`: the open poll's votes per choice, after a window of votes (17)."""

    party: str
    id: str
    counts: list[int]
    total: int


@with_config(use_attribute_docstrings=True)
class FeedbackPrompt(TypedDict):
    """`feedback.prompt` (19.2): one question at the end of a party, answered with `feedback.send`."""

    id: str
    party: str
    """The party that ended (or that the member left)."""
    survey: Literal["csat", "nps"]
    """`csat`: "How satisfied were you with this watch party?"; `nps`: "How likely are you to
    recommend watching together to a friend?"."""
    min: int
    max: int
    """The scale: 1 to 5 (CSAT) or 0 to 10 (NPS)."""
    expires_at: int
    """Server ms: an answer after this is `not_found`."""


# Every event the server sends a member, by name, with its payload (the mod.* events
# for moderators are in docs/moderation.md).
ServerEvents = TypedDict(
    "ServerEvents",
    {
        "session": Session,
        "playback.state": PlaybackState,
        "member.joined": MemberChanged,
        "member.left": MemberLeft,
        "member.updated": MemberChanged,
        "party.updated": PartyUpdated,
        "party.ended": PartyEnded,
        "party.kicked": PartyKicked,
        "party.rules": PartyRules,
        "chat.message": ChatMessage,
        "chat.deleted": ChatDeleted,
        "chat.restored": ChatMessage,
        "reaction.burst": ReactionBurst,
        "server.draining": ServerDraining,
        "rtc.camera": RtcCamera,
        "rtc.reset": RtcReset,
        "clip.added": ClipAdded,
        "clip.removed": ClipRemoved,
        "clip.ended": ClipEnded,
        "clip.recording": ClipRecordingChanged,
        "poll.opened": PollChanged,
        "poll.results": PollResults,
        "poll.locked": PollChanged,
        "poll.ended": PollChanged,
        "feedback.prompt": FeedbackPrompt,
    },
)

# What json_schema.py emits, in this order.
OUTBOUND: tuple[Any, ...] = (
    ErrorCode,
    ErrorBody,
    Media,
    PlaybackState,
    CameraState,
    Member,
    PartySettings,
    PartyInfo,
    UserRef,
    ChatMessage,
    ChatRules,
    ClipInfo,
    ClipRecording,
    PollInfo,
    SessionUser,
    JoinAnswer,
    RtcConfig,
    PollCurrent,
    MomentsAnswer,
    WatchingAnswer,
    ServerEvents,
)
