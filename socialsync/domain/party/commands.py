"""Commands the party state machine accepts: imperative names, already validated for type and range."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from socialsync.domain.model import ControlMode, Media, Role, User


class Action(StrEnum):
    PLAY = "play"
    PAUSE = "pause"
    SEEK = "seek"
    RATE = "rate"
    LOAD = "load"
    # A shared break: the party pauses for an interstitial (hosts and cohosts), for
    # ``duration_s`` if given, then plays on by itself; a play ends it sooner.
    BREAK = "break"


@dataclass(frozen=True, slots=True)
class Join:
    user: User
    session: str
    # A deep link's moment (s): where the party starts if it has not started yet.
    start_at_s: float | None = None
    # The user's badges (domain/badges.py), shown beside its name while it is a member.
    badges: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Leave:
    """An explicit leave: the session goes at once, and the member with its last one."""

    user_id: str
    session: str


@dataclass(frozen=True, slots=True)
class Disconnect:
    """A dropped socket: the member stays for a grace period, so a reconnect changes nothing."""

    user_id: str
    session: str


@dataclass(frozen=True, slots=True)
class Evict:
    """Sessions that vanished with a dead node (or a kick): members with none left go now."""

    sessions: frozenset[str]


@dataclass(frozen=True, slots=True)
class Control:
    user_id: str
    action: Action
    position_s: float | None = None
    rate: float | None = None
    media: Media | None = None
    seq: int | None = None
    # BREAK: how long the break lasts (None: until someone plays).
    duration_s: float | None = None


@dataclass(frozen=True, slots=True)
class ReportStatus:
    user_id: str
    position_s: float
    playing: bool
    buffering: bool
    # The server time the report describes, as the client estimates it; None: now.
    at_ms: int | None = None
    # The playback seq the client had applied when it made the report, if it says.
    seq: int | None = None
    # The member's choice, if it says: False, "don't wait for me".
    wait_for_me: bool | None = None
    # The member's round trip to the server (ms), if it says.
    rtt_ms: int | None = None
    # Its player is in an ad or interstitial (True), back from one (False), if it says.
    ad: bool | None = None
    # Live media: how far behind wall-clock time (s) the newest media its player can
    # play is, if it says.
    edge_delay_s: float | None = None


@dataclass(frozen=True, slots=True)
class SetRole:
    user_id: str
    target_id: str
    role: Role


@dataclass(frozen=True, slots=True)
class UpdateSettings:
    user_id: str
    title: str | None = None
    control: ControlMode | None = None
    wait_for_buffering: bool | None = None
    max_members: int | None = None
    cameras: bool | None = None
    public: bool | None = None
    # The tenant's staff over REST, who need not be in the party (as for chat rules).
    staff: bool = False


@dataclass(frozen=True, slots=True)
class SetChatRules:
    """New chat rules for the room, from its host or a moderator of the tenant
    (``staff``: who need not be a member)."""

    user_id: str
    staff: bool
    # (field, value) pairs of ChatRules to change; the rest stay as they are.
    changes: tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class End:
    user_id: str
    # The tenant's staff over REST, who need not be in the party.
    staff: bool = False


@dataclass(frozen=True, slots=True)
class Publish:
    """Turn the member's camera and/or microphone on, from ``session``. ``consent``:
    the member itself chose to (the SDK asks only after the user's action)."""

    user_id: str
    session: str
    audio: bool
    video: bool
    consent: bool


@dataclass(frozen=True, slots=True)
class Unpublish:
    user_id: str


@dataclass(frozen=True, slots=True)
class Mute:
    user_id: str
    audio: bool | None = None
    video: bool | None = None


@dataclass(frozen=True, slots=True)
class SetStage:
    """Live rooms: who may publish besides the hosts and staff."""

    user_id: str
    target_id: str
    on: bool


@dataclass(frozen=True, slots=True)
class Tick:
    """A timer the machine asked for has come due. Stale timers are ignored."""

    key: str


Command = (
    Join
    | Leave
    | Disconnect
    | Evict
    | Control
    | ReportStatus
    | SetRole
    | UpdateSettings
    | SetChatRules
    | End
    | Publish
    | Unpublish
    | Mute
    | SetStage
    | Tick
)
