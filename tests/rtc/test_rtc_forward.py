"""The media relay forwards publishers' encoded VP8/Opus to subscribers over real aiortc peers."""

from __future__ import annotations

import asyncio
import fractions
import logging
import time

import av
import pytest
from aiortc.codecs import h264, vpx

from socialsync.media import forward as rtc_forward
from socialsync.media.codecs import is_keyframe


def assert_advancing(received, at_least: int) -> None:  # type: ignore[no-untyped-def]
    assert received.count >= at_least
    assert all(b > a for a, b in zip(received.pts, received.pts[1:], strict=False)), "pts must increase"


def assert_moving(received) -> None:  # type: ignore[no-untyped-def]
    assert len(set(received.first_luma)) > 3, "the picture should change from frame to frame"


async def test_one_subscriber_gets_forwarded_frames_and_nothing_is_decoded_on_the_server(rtc, decoders):
    sources = await rtc.start_publisher()
    sub = await rtc.add_subscriber()
    await sub.wait_frames("video", 45)
    await sub.wait_frames("audio", 25)

    video = sub.received["video"]
    assert_advancing(video, 45)
    assert_moving(video)
    assert video.sizes == {(640, 480)}
    assert_advancing(sub.received["audio"], 25)
    assert {link.mode for link in sub.links.values()} == {"forward"}
    stats = sources["video"].stats
    assert stats.frames_forwarded >= 45 and stats.transcoded_streams == 0 and stats.frames_decoded == 0
    assert sources["video"].mime_type == "video/vp8" and sources["audio"].mime_type == "audio/opus"
    for pc in (sub.pc, sub.server_pc, rtc.server_pub):
        candidates = [line for line in pc.localDescription.sdp.splitlines() if line.startswith("a=candidate")]
        assert candidates and all(" 127.0.0.1 " in line for line in candidates), candidates
    # The subscriber's two receivers decoded; none of the server's receivers ever made a decoder.
    assert sorted(decoders.threads) == ["audio-decoder", "video-decoder"]


async def test_three_subscribers_each_get_advancing_frames(rtc, decoders):
    sources = await rtc.start_publisher()
    subs = [await rtc.add_subscriber(server_offers=i != 1) for i in range(3)]
    for sub in subs:
        await sub.wait_frames("video", 40)
        await sub.wait_frames("audio", 20)
    for sub in subs:
        assert_advancing(sub.received["video"], 40)
        assert_moving(sub.received["video"])
        assert_advancing(sub.received["audio"], 20)
    assert sources["video"].stats.forwarded_streams == 3
    assert sources["video"].stats.frames_decoded == 0
    assert sorted(decoders.threads) == ["audio-decoder"] * 3 + ["video-decoder"] * 3


async def test_late_subscriber_sees_its_first_frame_within_a_second(rtc):
    sources = await rtc.start_publisher()
    early = await rtc.add_subscriber()
    await early.wait_frames("video", 30)
    await asyncio.sleep(1.5)  # the publisher's last keyframe is long gone (aiortc sends none unasked)
    requests_before = sources["video"].stats.keyframe_requests_sent

    keyframes_before = sources["video"].stats.keyframes_in
    late = await rtc.add_subscriber()
    await late.wait_frames("video", 1, within_s=5)
    assert sources["video"].stats.keyframes_in > keyframes_before  # the one the late subscriber asked for
    assert late.connected_at is not None
    first_frame_s = late.received["video"].times[0] - late.connected_at
    assert first_frame_s < 1.0, f"first frame {first_frame_s:.3f} s after connecting"
    assert sources["video"].stats.keyframe_requests_sent > requests_before
    await late.wait_frames("video", 20)
    assert_advancing(late.received["video"], 20)


async def test_keyframe_requests_from_subscribers_reach_the_publisher_rate_limited(rtc):
    sources = await rtc.start_publisher()
    sub = await rtc.add_subscriber()
    await sub.wait_frames("video", 20)
    stats = sources["video"].stats
    keyframes, sent = stats.keyframes_in, stats.keyframe_requests_sent
    # The member's receiver sends RTCP PLI to the server's sender, as a browser does on loss.
    receiver = next(t.receiver for t in sub.pc.getTransceivers() if t.kind == "video")
    server_ssrc = sub.links["video"].sender._ssrc
    for burst in range(2):
        for _ in range(20):
            await receiver._send_rtcp_pli(server_ssrc)
        await asyncio.sleep(0.1 if burst == 0 else 1.0)
    assert stats.subscriber_keyframe_requests == 40
    assert 1 <= stats.keyframe_requests_sent - sent <= 2  # 300 ms apart at most
    assert stats.keyframes_in > keyframes


async def test_slow_subscriber_is_bounded_drops_frames_and_recovers_on_a_keyframe(rtc, gate):
    sources = await rtc.start_publisher()
    slow, steady = await rtc.add_subscriber(), await rtc.add_subscriber()
    await slow.wait_frames("video", 20)
    track = slow.links["video"].track
    assert track.max_frames == 60
    stall = asyncio.Event()
    with gate(track, stall):
        await asyncio.sleep(0.3)
        before = slow.received["video"].count
        peak = 0
        deadline = time.monotonic() + 3.5  # ~105 frames arrive: more than the queue holds
        while time.monotonic() < deadline:
            peak = max(peak, track.queued)
            await asyncio.sleep(0.01)
        assert peak <= 60 and track.max_queued <= 60
        assert track.frames_dropped > 0
        assert slow.received["video"].count <= before + 1
        waits = sources["video"].stats.keyframe_waits
        assert waits >= 1
        # It starts again on a keyframe (any frames between the overflow and that keyframe are
        # skipped; with the PLI answered at once there may be none).
        assert track.queued == 0 or track._queue[0].keyframe
        stall.set()
        resumed_at = time.monotonic()
        await slow.wait_frames("video", before + 15, within_s=5)
    assert slow.received["video"].times[before + 1] - resumed_at < 3.0
    assert track.queued < 60
    assert steady.received["video"].count > 100  # the other subscriber never stalled
    assert sources["video"].stats.frames_dropped >= track.frames_dropped


async def test_closing_the_publisher_ends_the_subscribers_tracks(rtc):
    sources = await rtc.start_publisher()
    subs = [await rtc.add_subscriber(), await rtc.add_subscriber()]
    for sub in subs:
        await sub.wait_frames("video", 10)
    await rtc.publisher.close()
    await asyncio.wait_for(sources["video"].wait_ended(), 5)
    for sub in subs:
        for kind in ("video", "audio"):
            await asyncio.wait_for(sub.received[kind].ended.wait(), 5)
            assert sub.received[kind].track.readyState == "ended"


async def test_h264_only_subscriber_is_transcoded_while_vp8_ones_are_forwarded(rtc, decoders, caplog):
    sources = await rtc.start_publisher()
    with caplog.at_level(logging.WARNING, logger=rtc_forward.__name__):
        h264 = await rtc.add_subscriber(video_codecs=("video/H264",))
        vp8 = await rtc.add_subscriber()
        await h264.wait_frames("video", 30)
        await vp8.wait_frames("video", 30)
    assert h264.links["video"].mode == "transcode" and h264.links["video"].codec_mime_type == "video/h264"
    assert h264.links["audio"].mode == "forward"
    assert vp8.links["video"].mode == "forward"
    assert_advancing(h264.received["video"], 30)
    assert_moving(h264.received["video"])
    stats = sources["video"].stats
    assert stats.transcoded_streams == 1 and stats.forwarded_streams == 1
    assert stats.frames_decoded >= 30
    assert any("transcoding" in r.getMessage() for r in caplog.records)
    assert not any("forward-tap" in name for name in decoders.threads)


async def test_an_h264_publisher_is_forwarded_as_h264(rtc, decoders):
    sources = await rtc.start_publisher(video_codecs=("video/H264",))  # the server's answer decides
    subs = [await rtc.add_subscriber(), await rtc.add_subscriber(server_offers=False)]
    for sub in subs:
        await sub.wait_frames("video", 30)
        assert sub.links["video"].mode == "forward" and sub.links["video"].codec_mime_type == "video/h264"
        assert_advancing(sub.received["video"], 30)
        assert_moving(sub.received["video"])
    assert sources["video"].mime_type == "video/h264"
    assert sources["video"].stats.keyframes_in >= 1 and sources["video"].stats.frames_decoded == 0
    assert not any("forward-tap" in name for name in decoders.threads)


async def test_forwarding_survives_three_percent_loss_on_the_publisher_leg(rtc):
    await rtc.start_publisher(loss=0.03)
    sub = await rtc.add_subscriber()
    await sub.wait_frames("video", 30, within_s=6)
    audio_before, started = sub.received["audio"].count, time.monotonic()
    await sub.wait_frames("video", 90, within_s=6)  # NACK + RTX repair the video
    assert_advancing(sub.received["video"], 90)
    await asyncio.sleep(max(0.0, 2.0 - (time.monotonic() - started)))
    audio_fps = (sub.received["audio"].count - audio_before) / (time.monotonic() - started)
    # 50 packets/s: each lost one costs one frame (aiortc's own audio buffer would shed about 20 %)
    assert audio_fps > 50 * 0.85, audio_fps


def test_keyframe_detection_on_what_aiortc_depayloads():
    for mime, encoder, depayload in (
        ("video/vp8", vpx.Vp8Encoder(), vpx.vp8_depayload),
        ("video/h264", h264.H264Encoder(), h264.h264_depayload),
    ):
        seen = []
        for i, force in enumerate((False, False, True, False)):
            frame = av.VideoFrame(width=320, height=240, format="yuv420p")  # a forced one stays "I"
            frame.pts, frame.time_base = i * 3000, fractions.Fraction(1, 90000)
            payloads, _ = encoder.encode(frame, force)
            seen.append(is_keyframe(mime, b"".join(depayload(p) for p in payloads)))
        assert seen == [True, False, True, False], mime
    assert is_keyframe("audio/opus", b"\x01")


def test_check_aiortc_passes_and_catches_a_renamed_internal(monkeypatch):
    rtc_forward.check_aiortc()
    from aiortc import RTCRtpSender

    monkeypatch.delattr(RTCRtpSender, "_send_keyframe")
    with pytest.raises(RuntimeError, match="_send_keyframe"):
        rtc_forward.check_aiortc()
