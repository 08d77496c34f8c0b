"""What the services tell a party's sockets (and its moderators), in the past tense.

A notice crosses the broker inside an Envelope (socialsync.ports.broker) to every
node with sockets in the party, as plain data (socialsync.domain.codec); each node's
edge turns it into its wire event and payload (socialsync.protocol.outbound). The
services publish and react to notices by type (``match``), never by event name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from socialsync.domain.chat.messages import Message
from socialsync.domain.clips import Clip, ClipReport
from socialsync.domain.model import Camera, ChatRules, Member, Party, Playback
from socialsync.domain.moderation.sanctions import AuditEntry, Held, Report
from socialsync.domain.polls import Tally


@dataclass(frozen=True, slots=True)
class SignedClip:
    """A clip with its short-lived signed media URL (``url_expires_ms``: server time)."""

    clip: Clip
    url: str
    url_expires_ms: int


# ---------------------------------------------------------------------------- party state


@dataclass(frozen=True, slots=True)
class PlaybackChanged:
    party_id: str
    playback: Playback


@dataclass(frozen=True, slots=True)
class MemberJoined:
    party_id: str
    member: Member


@dataclass(frozen=True, slots=True)
class MemberLeft:
    party_id: str
    user_id: str


@dataclass(frozen=True, slots=True)
class MemberUpdated:
    party_id: str
    member: Member


@dataclass(frozen=True, slots=True)
class PartyUpdated:
    party: Party


@dataclass(frozen=True, slots=True)
class RulesChanged:
    party_id: str
    rules: ChatRules


@dataclass(frozen=True, slots=True)
class PartyEnded:
    """Every node detaches its sockets from the party and drops its media."""

    party_id: str
    reason: str


# A Kicked's reason when the user was erased: every node also closes their sockets.
ERASED = "erased"


@dataclass(frozen=True, slots=True)
class Kicked:
    """Sent to one user: every node removes that user's sockets from the party."""

    party_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class CameraChanged:
    """Off (``camera`` None): every node stops relaying the member's media."""

    party_id: str
    user_id: str
    camera: Camera | None


@dataclass(frozen=True, slots=True)
class CamerasReset:
    party_id: str
    reason: str
    users: tuple[str, ...]


# ---------------------------------------------------------------------------- chat


@dataclass(frozen=True, slots=True)
class ChatPosted:
    message: Message


@dataclass(frozen=True, slots=True)
class ChatDeleted:
    party_id: str
    message_id: int


@dataclass(frozen=True, slots=True)
class ChatRestored:
    message: Message


@dataclass(frozen=True, slots=True)
class ReactionBurst:
    party_id: str
    counts: dict[str, int]
    window_ms: int


# ---------------------------------------------------------------------------- moderators


@dataclass(frozen=True, slots=True)
class MessageObserved:
    """A delivered message as the room's moderators see it: the filter's verdict, and
    what the author wrote when the filter masked it."""

    message: Message
    verdict: str
    reasons: tuple[str, ...]
    original: str | None = None


@dataclass(frozen=True, slots=True)
class MessageHeld:
    held: Held


@dataclass(frozen=True, slots=True)
class HeldResolved:
    party_id: str
    held_id: int
    decision: str
    by: str


@dataclass(frozen=True, slots=True)
class MessageReported:
    report: Report
    count: int


@dataclass(frozen=True, slots=True)
class Audited:
    entry: AuditEntry


# ---------------------------------------------------------------------------- reaction clips


@dataclass(frozen=True, slots=True)
class ClipAdded:
    """For members: the clip, to everyone (visible) or its author only."""

    clip: SignedClip


@dataclass(frozen=True, slots=True)
class ClipForModerators:
    clip: SignedClip
    reports: int


@dataclass(frozen=True, slots=True)
class ClipRemoved:
    party_id: str
    clip_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class ClipEnded:
    """To the recording member: the recording closed, kept as ``clip`` or not (None)."""

    party_id: str
    clip_id: str
    reason: str
    clip: SignedClip | None = field(default=None)


@dataclass(frozen=True, slots=True)
class ClipReported:
    report: ClipReport
    count: int


@dataclass(frozen=True, slots=True)
class ClipRecording:
    """To everyone in the party: a member's recording started (``on``) or ended, so
    nobody is recorded unseen."""

    party_id: str
    user_id: str
    clip_id: str
    on: bool


# ---------------------------------------------------------------------------- polls


@dataclass(frozen=True, slots=True)
class PollChanged:
    """A poll or prediction opened, locked or ended (its status says which), with its counts."""

    tally: Tally


@dataclass(frozen=True, slots=True)
class PollCounted:
    """Live results: the counts of the party's open poll after a window of votes."""

    party_id: str
    poll_id: str
    counts: tuple[int, ...]


Notice = (
    PlaybackChanged
    | MemberJoined
    | MemberLeft
    | MemberUpdated
    | PartyUpdated
    | RulesChanged
    | PartyEnded
    | Kicked
    | CameraChanged
    | CamerasReset
    | ChatPosted
    | ChatDeleted
    | ChatRestored
    | ReactionBurst
    | MessageObserved
    | MessageHeld
    | HeldResolved
    | MessageReported
    | Audited
    | ClipAdded
    | ClipForModerators
    | ClipRemoved
    | ClipEnded
    | ClipReported
    | ClipRecording
    | PollChanged
    | PollCounted
)

NOTICES: tuple[type[Notice], ...] = (
    PlaybackChanged,
    MemberJoined,
    MemberLeft,
    MemberUpdated,
    PartyUpdated,
    RulesChanged,
    PartyEnded,
    Kicked,
    CameraChanged,
    CamerasReset,
    ChatPosted,
    ChatDeleted,
    ChatRestored,
    ReactionBurst,
    MessageObserved,
    MessageHeld,
    HeldResolved,
    MessageReported,
    Audited,
    ClipAdded,
    ClipForModerators,
    ClipRemoved,
    ClipEnded,
    ClipReported,
    ClipRecording,
    PollChanged,
    PollCounted,
)
