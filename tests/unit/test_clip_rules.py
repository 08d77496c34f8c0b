"""Reaction clips' pure parts: who sees a clip, where in the media it starts, and the
recorder's reading of VP8 sizes and RTP timestamps."""

from __future__ import annotations

import pytest

from socialsync.domain.clips import ClipStatus, clip_media_time, initial_status, visible_to
from socialsync.domain.model import Media, Playback, Status
from socialsync.media.recording import _Timeline, vp8_size


@pytest.mark.parametrize(
    ("live_room", "shadow_muted", "trusted", "status"),
    [
        (False, False, False, ClipStatus.VISIBLE),
        (True, False, False, ClipStatus.HELD),
        (True, False, True, ClipStatus.VISIBLE),
        (False, True, False, ClipStatus.HIDDEN),
        (True, True, True, ClipStatus.HIDDEN),
    ],
)
def test_a_clip_takes_the_rooms_review_policy(live_room, shadow_muted, trusted, status):
    assert initial_status(live_room=live_room, shadow_muted=shadow_muted, trusted=trusted) is status


def test_held_and_hidden_clips_show_to_their_author_and_moderators_only():
    from dataclasses import replace

    from socialsync.domain.clips import Clip

    clip = Clip("c", "t", "p", "ada", "Ada", "u", 1.0, 2.0, 0, "p/c.webm", "video/webm", 1, 2, 2)
    for status in (ClipStatus.HELD, ClipStatus.HIDDEN):
        held = replace(clip, status=status)
        assert visible_to(held, "ada") and visible_to(held, "bob", moderator=True)
        assert not visible_to(held, "bob")
    assert visible_to(clip, "bob")


def test_a_clips_media_time_is_where_its_first_frame_came():
    media = Media("https://m.example/x.mp4", duration_s=600.0)
    playing = Playback(media, Status.PLAYING, position_s=100.0, at_ms=10_000)
    assert clip_media_time(playing, 12_000, 0.25) == 102.25
    paused = Playback(media, Status.PAUSED, position_s=42.0, at_ms=10_000)
    assert clip_media_time(paused, 12_000, 0.25) == 42.0
    assert clip_media_time(Playback(media, Status.PLAYING, 599.0, 2.0, 0), 10_000, 0.0) == 600.0


def test_vp8_keyframe_size():
    header = (
        bytes([0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A])
        + (640).to_bytes(2, "little")
        + (480).to_bytes(2, "little")
    )
    assert vp8_size(header) == (640, 480)
    assert vp8_size(b"\x00") == (0, 0)


def test_rtp_timestamps_unwrap_and_late_packets_are_refused():
    line = _Timeline(first_rtp=2**32 - 3000, clock=90_000, offset_s=0.5)
    assert line.pts(2**32 - 3000) == 45_000
    assert line.pts(0) == 48_000  # wrapped past 2**32
    assert line.pts(3000) == 51_000
    assert line.pts(0) == -1  # from before the last one: dropped
