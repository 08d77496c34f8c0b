"""Reaction clips: a publisher's forwarded packets muxed into a file, never decoded.

A recording is one more consumer of a publisher's `MediaSource`s, like a subscriber:
`forwarded_track` hands it the encoded frames (video from a keyframe on, which it
asks the publisher for), and PyAV's muxer writes them as they are: VP8 (+ Opus) into
WebM, H.264 (+ Opus) into MP4, both of which browsers play in a <video>.

H.264 arrives as aiortc's depacketizer rebuilds it: Annex B (every NAL unit after a
4-byte start code), with the SPS and PPS in-band before each IDR picture (aiortc's and
Chromium's senders repeat them there; neither signals sprop-parameter-sets). MP4 wants
them out-of-band, in the sample entry's avcC, and length-prefixed samples. FFmpeg does
both for a stream muxed without extradata: PyAV (18) runs extract_extradata on its
first packet, the mov muxer makes the avcC of those parameter sets and rewrites each
sample's start codes as 4-byte lengths, so samples keep their size and bytes. Hence a
recording opens only on a keyframe that carries its SPS and PPS, and takes the picture
size from that SPS: the mp4 muxer refuses a video stream of 0x0 ("dimensions not set").
A later SPS of another size stays in-band, and Chromium plays on at the new size.
WebRTC H.264 has no B-frames (decode order is presentation order): dts = pts, as for VP8.

RTP timestamps of audio and video start at unrelated random values, so each track is
placed on the recording's clock by the arrival time of its first packet (the lip sync
is as good as the network jitter), then follows its own RTP clock.

Bounded: a recording stops by itself at `max_s` of media or `max_bytes` of file, and
when its publisher's camera goes off. The result is plain data (`RecordedClip`), so
the relay that owns recordings can be asked across nodes.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError

from socialsync.media.codecs import h264_size, is_keyframe, vp8_size
from socialsync.media.forward import MediaSource, forwarded_track
from socialsync.ports.media import RecordedClipData

log = logging.getLogger("socialsync.services.clips")

# Container per video codec: what Chromium, Firefox and Safari play from a file.
CONTAINERS = {"video/vp8": ("webm", "video/webm"), "video/h264": ("mp4", "video/mp4")}
VIDEO_CLOCK = 90_000
OPUS_CLOCK = 48_000
# A keyframe normally follows the request within a round trip; a publisher that
# sends none for this long is not sending video (muted, or its connection is stuck).
FIRST_KEYFRAME_TIMEOUT_S = 5.0
_RTP_WRAP = 1 << 32


@dataclass(frozen=True)
class RecordedClip:
    """What a finished recording left on disk (or, with ``packets`` empty, nothing)."""

    path: str
    mime_type: str
    duration_s: float
    size_bytes: int
    video_codec: str
    audio_codec: str | None
    width: int
    height: int
    # How long after the recording was asked for its first frame (a keyframe) came.
    lead_s: float
    reason: str  # stopped | limit | size | camera_off | no_video | failed
    packets: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> RecordedClipData:
        return RecordedClipData(
            path=self.path,
            mime_type=self.mime_type,
            duration_s=self.duration_s,
            size_bytes=self.size_bytes,
            video_codec=self.video_codec,
            audio_codec=self.audio_codec,
            width=self.width,
            height=self.height,
            lead_s=self.lead_s,
            reason=self.reason,
            packets=dict(self.packets),
        )


class _Timeline:
    """One track's RTP timestamps onto the recording's clock, unwrapped at 2**32."""

    def __init__(self, first_rtp: int, clock: int, offset_s: float) -> None:
        self.clock = clock
        self._last_rtp = first_rtp
        self._ticks = round(offset_s * clock)
        self.last_pts = -1

    def pts(self, rtp: int) -> int:
        step = (rtp - self._last_rtp) % _RTP_WRAP
        if step >= _RTP_WRAP // 2:  # earlier than the last one: reordered or repeated
            return -1
        self._last_rtp = rtp
        self._ticks += step
        return self._ticks


class ClipRecording:
    """One member's recording. `start()` begins it; it ends by `stop()`, its limits,
    or its sources ending, and then calls ``on_end`` once with the result."""

    def __init__(
        self,
        sources: dict[str, MediaSource],
        path_stem: Path,
        *,
        clip_id: str,
        max_s: float,
        max_bytes: int,
        on_end: Callable[[RecordedClip], Awaitable[None]],
    ) -> None:
        video = sources.get("video")
        if video is None:
            raise ValueError("a clip records a camera: the publication has no video")
        mime = (video.codec_mime_type or "").lower()
        if mime not in CONTAINERS:
            raise ValueError(f"clips cannot store {mime or 'unknown'} video")
        self.video_mime = mime
        self.clip_id = clip_id
        self.container_format, self.mime_type = CONTAINERS[mime]
        self.path = path_stem.with_suffix(f".{self.container_format}")
        self.max_s = max_s
        self.max_bytes = max_bytes
        self._tracks = {kind: forwarded_track(s) for kind, s in sources.items()}
        self._video_source = video
        self._on_end = on_end
        self._container: Any = None
        self._streams: dict[str, Any] = {}
        self._timelines: dict[str, _Timeline] = {}
        self._packets: dict[str, int] = {kind: 0 for kind in sources}
        self._bytes = 0
        self._size = (0, 0)
        self._asked_at = 0.0
        self._first_at: float | None = None
        self._duration_s = 0.0
        self._reason: str | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._deadline: asyncio.TimerHandle | None = None
        self._finished: asyncio.Future[RecordedClip] | None = None

    # ------------------------------------------------------------------ lifetime
    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._asked_at = time.monotonic()
        self._finished = loop.create_future()
        self._video_source.request_keyframe()  # the file must open with one
        self._tasks = [loop.create_task(self._read(kind, track)) for kind, track in self._tracks.items()]
        self._deadline = loop.call_later(FIRST_KEYFRAME_TIMEOUT_S + self.max_s, self._end, "limit")
        loop.call_later(FIRST_KEYFRAME_TIMEOUT_S, self._check_started)

    @property
    def recording(self) -> bool:
        return self._reason is None

    async def stop(self, reason: str = "stopped") -> RecordedClip:
        self._end(reason)
        assert self._finished is not None
        return await asyncio.shield(self._finished)

    def _check_started(self) -> None:
        if self._first_at is None:
            self._end("no_video")

    def _end(self, reason: str) -> None:
        if self._reason is not None:
            return
        self._reason = reason
        if self._deadline is not None:
            self._deadline.cancel()
        for track in self._tracks.values():
            track.stop()
        asyncio.get_running_loop().create_task(self._finish())

    async def _finish(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        result = await self._close_file()
        log.info(
            "clip: %s, %.1f s, %d bytes, %s (%s)",
            self.path.name,
            result.duration_s,
            result.size_bytes,
            result.packets,
            result.reason,
        )
        try:
            await self._on_end(result)
        except Exception:
            log.exception("clip: storing %s failed", self.path.name)
        assert self._finished is not None
        self._finished.set_result(result)

    async def _close_file(self) -> RecordedClip:
        reason = self._reason or "failed"
        container, self._container = self._container, None
        if container is not None:
            try:
                # The muxer writes its index (cues, moov) now: off the event loop.
                await asyncio.to_thread(container.close)
            except (av.FFmpegError, OSError) as exc:
                log.warning("clip: closing %s failed: %s", self.path.name, exc)
                reason = "failed"
        if not self._packets.get("video") or reason == "failed":
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            return self._result("no_video" if reason != "failed" else reason, 0)
        size = self.path.stat().st_size
        return self._result(reason, size)

    def _result(self, reason: str, size: int) -> RecordedClip:
        audio = "opus" if self._packets.get("audio") else None
        return RecordedClip(
            str(self.path),
            self.mime_type,
            round(self._duration_s, 3),
            size,
            self.video_mime.split("/")[1],
            audio,
            *self._size,
            round((self._first_at or self._asked_at) - self._asked_at, 3),
            reason,
            dict(self._packets),
        )

    # ------------------------------------------------------------------ packets
    async def _read(self, kind: str, track: Any) -> None:
        try:
            while True:
                packet = await track.recv()
                if self._reason is not None:
                    return
                self._take(kind, packet)
        except MediaStreamError:
            self._end("camera_off")
        except (av.FFmpegError, OSError) as exc:
            log.warning("clip: writing %s failed: %s", self.path.name, exc)
            self._end("failed")

    def _take(self, kind: str, packet: av.Packet[Any]) -> None:
        data = bytes(packet)
        if self._container is None:
            if kind != "video" or not is_keyframe(self.video_mime, data):
                return  # the file opens with the first keyframe; audio before it goes
            size = h264_size(data) if self.video_mime == "video/h264" else vp8_size(data)
            if size == (0, 0):
                # No size, no file header; and an H.264 keyframe without its parameter sets
                # cannot start an MP4 (the module's notes). Senders repeat them with the
                # keyframe they send for a request, so ask for another one.
                self._video_source.request_keyframe()
                return
            self._open(size)
        rtp_timestamp = packet.pts
        assert rtp_timestamp is not None  # forwarded packets carry their RTP timestamp
        timeline = self._timelines.get(kind)
        if timeline is None:
            clock = VIDEO_CLOCK if kind == "video" else OPUS_CLOCK
            assert self._first_at is not None
            timeline = self._timelines[kind] = _Timeline(
                rtp_timestamp, clock, time.monotonic() - self._first_at
            )
        pts = timeline.pts(rtp_timestamp)
        if pts <= timeline.last_pts:
            return
        position_s = pts / timeline.clock
        if position_s >= self.max_s:
            self._end("limit")
            return
        if self._bytes + len(data) > self.max_bytes:
            self._end("size")
            return
        timeline.last_pts = pts
        # A copy: the forwarded packet is shared with the subscribers' senders.
        out = av.Packet(data)
        out.pts = out.dts = pts
        out.time_base = fractions.Fraction(1, timeline.clock)
        out.stream = self._streams[kind]
        if kind == "video":
            out.is_keyframe = is_keyframe(self.video_mime, data)
        self._container.mux(out)
        self._bytes += len(data)
        self._packets[kind] += 1
        self._duration_s = max(self._duration_s, position_s)

    def _open(self, size: tuple[int, int]) -> None:
        self._first_at = time.monotonic()
        # Media time caps the clip; this catches a publisher that stops sending.
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = asyncio.get_running_loop().call_later(self.max_s + 0.5, self._end, "limit")
        self._size = size
        self.path.parent.mkdir(parents=True, exist_ok=True)
        container = av.open(str(self.path), "w", format=self.container_format)
        try:
            width, height = self._size
            video = container.add_mux_stream(self.video_mime.split("/")[1], width=width, height=height)
            video.time_base = fractions.Fraction(1, VIDEO_CLOCK)
            self._streams["video"] = video
            if "audio" in self._tracks:
                # An Opus stream needs its OpusHead in the file header: the codec context
                # writes it when the muxer opens it. Nothing is ever encoded with it.
                audio = container.add_stream("libopus", rate=OPUS_CLOCK, layout="stereo")
                audio.time_base = fractions.Fraction(1, OPUS_CLOCK)
                self._streams["audio"] = audio
        except BaseException:
            container.close()
            raise
        self._container = container
