"""What the request path hands the analytics pipeline: small immutable facts, made in
microseconds and queued (ports/analytics.py). The pipeline turns them into events
(``tracker.py``) off the request path. User ids are still plain here: they are hashed
by the tracker, so the request path does no hashing."""

from __future__ import annotations

from dataclasses import dataclass

from socialsync.domain.model import Media, Party, Playback


@dataclass(frozen=True, slots=True)
class Reported:
    """A member's playback status report: where its player was at ``at_ms``, and
    whether it was playing (playing, not buffering, not in an ad)."""

    tenant_id: str
    party_id: str
    user_id: str
    session_ms: int
    media: Media
    position_s: float
    watching: bool
    rate: float
    at_ms: int


@dataclass(frozen=True, slots=True)
class Moved:
    """The party's shared playback changed at ``at_ms`` (play, pause, seek, load, a wait)."""

    party: Party  # after the change
    before: Playback
    at_ms: int


@dataclass(frozen=True, slots=True)
class Joined:
    tenant_id: str
    party_id: str
    user_id: str
    session_ms: int
    media: Media
    at_ms: int
    ref: str | None = None  # the invite's code or the share's id it came by


@dataclass(frozen=True, slots=True)
class Left:
    """The member is gone from the party (``ended``: because the party ended)."""

    tenant_id: str
    party_id: str
    user_id: str
    session_ms: int
    media: Media
    at_ms: int


@dataclass(frozen=True, slots=True)
class Stopped:
    """The member's last socket in the party went (it may come back within the grace):
    it watches no more."""

    party_id: str
    user_id: str
    at_ms: int


@dataclass(frozen=True, slots=True)
class Posted:
    """A chat message or a reaction (``emoji``) at media time ``media_time_s``."""

    tenant_id: str
    party_id: str
    user_id: str
    session_ms: int | None
    media: Media
    media_time_s: float | None
    at_ms: int
    emoji: str | None = None


@dataclass(frozen=True, slots=True)
class Marked:
    """An invite made or opened, a share, a poll vote, a survey answer (``kind``: an
    events.Kind value); ``user_id`` None when nobody signed in did it."""

    tenant_id: str
    kind: str
    at_ms: int
    party_id: str | None
    user_id: str | None
    ref: str | None
    value: str | None = None
    media: Media | None = None


Observation = Reported | Moved | Joined | Left | Stopped | Posted | Marked
