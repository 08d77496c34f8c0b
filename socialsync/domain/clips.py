"""Reaction clips: what is stored of one, and the rules of who sees it when.

Clips are user content like chat, so they pass the same gate (sanctions and the room's
modes, checked by the caller) and then take the room's review policy: in a live room
(a broadcast audience of strangers, with moderators on duty) a member's clip waits
for a moderator before anyone else sees it; in a watch party it is shown at once; a
shadow-muted author's clip is shown to its author only, as its chat is. Members
report clips as they report messages; enough distinct reporters hold one for review.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from socialsync.domain.errors import Reason, bad_request, not_found
from socialsync.domain.model import Playback
from socialsync.domain.party.playback import position_at


class ClipStatus(StrEnum):
    VISIBLE = "visible"  # every member sees it
    HELD = "held"  # its author and the moderators, until a moderator approves it
    HIDDEN = "hidden"  # its author only (shadow-muted)


@dataclass(frozen=True, slots=True)
class Clip:
    id: str
    tenant_id: str
    party_id: str
    user_id: str
    user_name: str
    media_url: str  # the media it reacts to: the party's media when it was recorded
    media_time_s: float  # where in that media its first frame belongs
    duration_s: float
    created_at_ms: int
    file_name: str  # relative to the clip directory
    mime_type: str
    size_bytes: int
    width: int
    height: int
    status: ClipStatus = ClipStatus.VISIBLE


def initial_status(*, live_room: bool, shadow_muted: bool, trusted: bool) -> ClipStatus:
    """``trusted``: staff and the room's hosts, whose clips are not held."""
    if shadow_muted:
        return ClipStatus.HIDDEN
    if live_room and not trusted:
        return ClipStatus.HELD
    return ClipStatus.VISIBLE


def visible_to(clip: Clip, user_id: str, *, moderator: bool = False) -> bool:
    return clip.status is ClipStatus.VISIBLE or clip.user_id == user_id or moderator


@dataclass(frozen=True, slots=True)
class ClipReport:
    """One member's report of one clip (one per member and clip: a repeat counts once)."""

    tenant_id: str
    party_id: str
    clip_id: str
    reporter_id: str
    reporter_name: str
    reason: str
    ts_ms: int


def check_reportable(clip: Clip, reporter_id: str) -> None:
    """Raise the refusal a report of ``clip`` by ``reporter_id`` gets. A clip the
    reporter cannot see (held, hidden) does not exist for them: not_found, as for a
    missing one, so a report cannot probe what is waiting for review."""
    if not visible_to(clip, reporter_id):
        raise not_found(f"no clip {clip.id} in this party")
    if clip.user_id == reporter_id:
        raise bad_request("you cannot report your own clip", Reason.OWN_CLIP)


def audit_details(clip: Clip) -> dict[str, Any]:
    """What the audit log keeps of a clip it records an action on: never the media."""
    return {
        "clip": clip.id,
        "media_url": clip.media_url,
        "media_time": clip.media_time_s,
        "duration": clip.duration_s,
        "created_at": clip.created_at_ms,
    }


def clip_media_time(playback: Playback, asked_at_ms: int, lead_s: float) -> float:
    """The media position of a clip's first frame: the recording was asked for at
    ``asked_at_ms`` (with ``playback`` the party's state then) and its first frame, a
    keyframe, came ``lead_s`` later."""
    return round(position_at(playback, asked_at_ms + round(lead_s * 1000)), 3)
