"""Playback arithmetic: where the media is at a server instant, and how far a member is off."""

from __future__ import annotations

from socialsync.domain.model import Playback, Status

# A member whose report is further off than this is shown out of sync; it must come
# back within BACK_IN_SYNC_S to be shown in sync again. The gap (hysteresis) keeps a
# member hovering near one threshold from flapping member.updated at the room.
OUT_OF_SYNC_S = 0.25
BACK_IN_SYNC_S = 0.1


def position_at(playback: Playback, now_ms: float) -> float:
    """The media position, in seconds, at server time ``now_ms``."""
    position = playback.position_s
    if playback.status is Status.PLAYING and now_ms > playback.at_ms:
        position += playback.rate * (now_ms - playback.at_ms) / 1000.0
    duration = playback.media.duration_s
    if duration is not None and position > duration:
        return duration
    return position


def drift_s(playback: Playback, reported_position_s: float, reported_at_ms: int) -> float:
    """How far ahead (+) or behind (-) a member's reported position is."""
    return reported_position_s - position_at(playback, reported_at_ms)


def next_in_sync(was_in_sync: bool, drift: float) -> bool:
    limit = OUT_OF_SYNC_S if was_in_sync else BACK_IN_SYNC_S
    return abs(drift) <= limit
