"""What a transition produced, in the past tense. The service turns these into I/O."""

from __future__ import annotations

from dataclasses import dataclass

from socialsync.domain.model import Camera, ChatRules, Member, Party, Playback


@dataclass(frozen=True, slots=True)
class PlaybackChanged:
    playback: Playback


@dataclass(frozen=True, slots=True)
class MemberJoined:
    member: Member


@dataclass(frozen=True, slots=True)
class MemberLeft:
    user_id: str


@dataclass(frozen=True, slots=True)
class MemberUpdated:
    member: Member


@dataclass(frozen=True, slots=True)
class PartyUpdated:
    party: Party


@dataclass(frozen=True, slots=True)
class RulesChanged:
    rules: ChatRules


@dataclass(frozen=True, slots=True)
class PartyEnded:
    reason: str


@dataclass(frozen=True, slots=True)
class CameraChanged:
    """A member's camera went on, off (``camera`` None) or changed its mute state.
    Off: the service stops relaying its media."""

    user_id: str
    camera: Camera | None


@dataclass(frozen=True, slots=True)
class TimerRequested:
    """Deliver ``Tick(key)`` at server time ``due_ms`` (or later; never earlier)."""

    key: str
    due_ms: int


@dataclass(frozen=True, slots=True)
class DriftMeasured:
    """A member's report was this far off (seconds, + ahead). For statistics, not state."""

    user_id: str
    drift_s: float


Event = (
    PlaybackChanged
    | MemberJoined
    | MemberLeft
    | MemberUpdated
    | PartyUpdated
    | RulesChanged
    | PartyEnded
    | CameraChanged
    | TimerRequested
    | DriftMeasured
)
