"""Value objects of a party. Frozen: a transition builds a new party, never edits one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class MediaKind(StrEnum):
    VOD = "vod"
    LIVE = "live"


class RoomType(StrEnum):
    WATCH_PARTY = "watch_party"
    LIVE_ROOM = "live_room"


class ControlMode(StrEnum):
    EVERYONE = "everyone"
    HOSTS = "hosts"


class Status(StrEnum):
    PLAYING = "playing"
    PAUSED = "paused"
    WAITING = "waiting"


class Role(StrEnum):
    HOST = "host"
    COHOST = "cohost"
    MEMBER = "member"


class TenantRole(StrEnum):
    VIEWER = "viewer"
    MODERATOR = "moderator"
    ADMIN = "admin"


# How many members a room of each type may be configured for.
MAX_MEMBERS = {RoomType.WATCH_PARTY: 1_000, RoomType.LIVE_ROOM: 100_000}
# ... and how many when its creator does not say.
DEFAULT_MAX_MEMBERS = {RoomType.WATCH_PARTY: 50, RoomType.LIVE_ROOM: 10_000}


@dataclass(frozen=True, slots=True)
class Media:
    url: str
    kind: MediaKind = MediaKind.VOD
    title: str | None = None
    duration_s: float | None = None
    # An image of it (http(s) URL), shown where the party's invite link unfurls.
    poster: str | None = None


MAX_SLOW_MODE_S = 120
MAX_ROOM_TERMS = 500


@dataclass(frozen=True, slots=True)
class ChatRules:
    """A room's chat modes, set by its host or the tenant's moderators."""

    slow_mode_s: int = 0  # one message per user per this many seconds (0: off)
    members_only: bool = False  # no guests
    emote_only: bool = False  # reactions only
    locked: bool = False  # nobody but staff may post
    links: bool = True  # links allowed at all (the filter may still hold some)
    link_domains: tuple[str, ...] = ()  # links to these (and subdomains) always pass
    blocked_terms: tuple[str, ...] = ()  # the room's own, "*" wildcards allowed
    allowed_terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Settings:
    type: RoomType = RoomType.WATCH_PARTY
    control: ControlMode = ControlMode.EVERYONE
    wait_for_buffering: bool = True
    max_members: int = DEFAULT_MAX_MEMBERS[RoomType.WATCH_PARTY]
    chat: ChatRules = ChatRules()
    # Members may turn their cameras on (the host can switch it off for the party).
    cameras: bool = True
    # Listed for every user of the tenant (discovery, GET /api/v1/parties), as live rooms
    # always are; a watch party is private (known by its id or an invite) unless public.
    public: bool = False


@dataclass(frozen=True, slots=True)
class Playback:
    """The shared playback state.

    ``position_s`` is the media position at server time ``at_ms``; while playing,
    the position at server time T is ``position_s + rate * (T - at_ms) / 1000``.
    ``at_ms`` may lie in the future (a scheduled start): before it, players hold.
    """

    media: Media
    status: Status = Status.PAUSED
    position_s: float = 0.0
    rate: float = 1.0
    at_ms: int = 0
    seq: int = 0
    by: str | None = None
    # A shared break (the host's `break`): the party is paused for an interstitial until
    # this server time, then plays on by itself (None: no break, or one without an end).
    break_until_ms: int | None = None
    on_break: bool = False


@dataclass(frozen=True, slots=True)
class User:
    """An authenticated person, as the edge hands it to the core."""

    id: str
    name: str
    tenant_id: str
    roles: frozenset[TenantRole] = frozenset({TenantRole.VIEWER})
    guest: bool = False
    # A guest's connection: a keyed hash of its client (services/guest_bans.py), set by
    # the edge; never the address itself. Not part of who the user is.
    fingerprint: str | None = field(default=None, compare=False, repr=False)
    # A host token's party (its ``host_of`` claim): joins it as host, or cohost if it has one.
    host_of: str | None = None

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & {TenantRole.MODERATOR, TenantRole.ADMIN})


@dataclass(frozen=True, slots=True)
class Camera:
    """What a member publishes to the party: its camera and/or microphone, from one
    of its sessions (the one whose connection carries the media)."""

    session: str
    audio: bool
    video: bool
    audio_muted: bool = False
    video_muted: bool = False


@dataclass(frozen=True, slots=True)
class Member:
    user_id: str
    name: str
    role: Role
    joined_at_ms: int
    staff: bool = False
    # Socket sessions (one per tab or device); empty while in the reconnect grace.
    sessions: frozenset[str] = frozenset()
    disconnected_at_ms: int | None = None
    buffering: bool = False
    in_sync: bool = True
    drift_ms: int | None = None
    # Left behind by a buffering timeout, or new (joined, or back from a drop): its
    # buffering does not stop the party until it has played in step (reported playing
    # and not buffering) again.
    excused: bool = False
    # Since when (server ms) its reports have said buffering; None while they do not.
    buffering_since_ms: int | None = None
    # Its own choice: False ("don't wait for me") and its stalls never hold the party.
    wait_for_me: bool = True
    # Its round trip to the server (ms) as its clock estimate measured it, when it says;
    # the lead of scheduled starts is sized by the slowest member's.
    rtt_ms: int | None = None
    # Its player is in an ad or interstitial (it says so): suspended from sync, never
    # waited for, not measured; it rejoins at the party's position when the ad ends.
    in_ad: bool = False
    # Live media: how far behind wall-clock time (s) the newest media its player can play
    # is, as it reports it; the party's shared delay is fitted to the members' (largest).
    edge_delay_s: float | None = None
    # Live rooms: put on stage by the host or a moderator, so it may publish.
    on_stage: bool = False
    camera: Camera | None = None
    # Badges shown beside its name, as (kind, n) pairs (domain/badges.py), as of its join.
    badges: tuple[tuple[str, int], ...] = ()

    @property
    def connected(self) -> bool:
        return bool(self.sessions)

    @property
    def may_control(self) -> bool:
        return self.role is not Role.MEMBER or self.staff


@dataclass(frozen=True, slots=True)
class Party:
    id: str
    tenant_id: str
    title: str
    created_at_ms: int
    created_by: str
    settings: Settings
    playback: Playback
    # Read-only by convention: transitions build a new dict (a C-level copy).
    members: Mapping[str, Member] = field(default_factory=dict)
    # Every committed change bumps version; stores compare-and-set on it.
    version: int = 0
    # Bumped each time the party starts waiting, so a stale timeout is ignored.
    wait_epoch: int = 0
    # Since when nobody has been in the party (None while anybody is).
    empty_since_ms: int | None = None
    ended: str | None = None

    @property
    def host(self) -> Member | None:
        return next((m for m in self.members.values() if m.role is Role.HOST), None)

    @property
    def is_live_room(self) -> bool:
        return self.settings.type is RoomType.LIVE_ROOM
