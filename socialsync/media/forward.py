"""Media relay core for camera reactions: forward encoded frames between aiortc peer connections.

Stock aiortc decodes every received track and encodes again for every sender. Here a publisher's
receiver hands its encoded frames (reassembled by aiortc's jitter buffer) to a `MediaSource`
instead of a decoder, and each subscriber's sender gets them back as `av.Packet`s, which aiortc
packetizes without encoding. Only when a subscriber cannot take the publisher's codec does a
source decode (once) and that subscriber's sender encode: the transcoding fallback.

Everything that touches aiortc's private parts lives in this module, and `check_aiortc()` verifies
at start-up (and when the first source is made) that those parts are still there.

Wiring, publisher (browser offers send-only audio+video)::

    sources = add_publisher_tracks(pc)              # before setRemoteDescription(offer)
    await pc.setRemoteDescription(offer); answer = await pc.createAnswer(); ...

Subscriber (either side may offer)::

    links = [add_subscriber_track(pc, s) for s in sources.values()]   # before the offer/answer
    ... offer/answer ...    # once the transport is up each link forwards (or transcodes)
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fractions
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, cast

import av
from aiortc import RTCPeerConnection, RTCRtpSender, RTCRtpTransceiver
from aiortc.codecs import get_decoder
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecCapability, RTCRtpCodecParameters

from socialsync.media.codecs import is_keyframe

__all__ = [
    "DEFAULT_VIDEO_CODECS",
    "ForwardStats",
    "MediaSource",
    "SubscriberLink",
    "add_publisher_tracks",
    "add_subscriber_track",
    "check_aiortc",
    "forwarded_track",
    "link_keyframe_requests",
    "loopback_ice",
]

log = logging.getLogger(__name__)

AIORTC_VERSION = "1.16.0"
DEFAULT_VIDEO_CODECS = ("video/VP8", "video/H264")
VIDEO_QUEUE_FRAMES = 60
AUDIO_QUEUE_FRAMES = 50
PLI_INTERVAL_S = 0.3
PLI_RETRY_S = 1.0

# Mangled names of RTCRtpReceiver's private attributes used below.
_RX_QUEUE = "_RTCRtpReceiver__decoder_queue"
_RX_THREAD = "_RTCRtpReceiver__decoder_thread"
_RX_STARTED = "_RTCRtpReceiver__started"
_RX_RTX = "_RTCRtpReceiver__rtx_ssrc"
_RX_JITTER = "_RTCRtpReceiver__jitter_buffer"
VIDEO_JITTER_CAPACITY = 512  # what aiortc 1.16's receiver gives video


# --------------------------------------------------------------------------- self-check


def _names(func: Any) -> set[str]:
    code = getattr(func, "__code__", None)
    return set(code.co_names) if code is not None else set()


def check_aiortc() -> None:
    """Raise RuntimeError if an aiortc internal this module relies on is missing or changed.

    The checks read the compiled code of the methods concerned, so they need no peer connection."""
    import aiortc
    from aiortc import rtcrtpreceiver

    rx, tx = rtcrtpreceiver.RTCRtpReceiver, RTCRtpSender
    problems = []
    expectations: list[tuple[str, Any, set[str]]] = [
        ("RTCRtpReceiver.__init__", rx.__init__, {_RX_QUEUE, _RX_THREAD, _RX_STARTED, _RX_RTX, _RX_JITTER}),
        ("RTCRtpReceiver.receive", rx.receive, {_RX_QUEUE, _RX_THREAD, _RX_STARTED}),
        (
            "RTCRtpReceiver._handle_rtp_packet",
            rx._handle_rtp_packet,
            {_RX_QUEUE, _RX_JITTER, "add", "put", "_send_rtcp_pli"},
        ),
        ("RTCRtpReceiver._send_rtcp_pli", rx._send_rtcp_pli, {"_send_rtcp"}),
        ("rtcrtpreceiver.decoder_worker", getattr(rtcrtpreceiver, "decoder_worker", None), {"get"}),
        ("RTCRtpSender._handle_rtcp_packet", tx._handle_rtcp_packet, {"_send_keyframe"}),
        ("RTCRtpSender._next_encoded_frame", tx._next_encoded_frame, {"pack", "recv"}),
        ("RTCRtpSender.send", tx.send, {"_run_rtp"}),
        ("RTCRtpTransceiver.__init__", RTCRtpTransceiver.__init__, {"_codecs"}),
        ("JitterBuffer.__init__", JitterBuffer.__init__, {"_capacity", "_origin", "_packets"}),
        ("JitterBuffer.add", JitterBuffer.add, {"_remove_frame", "_packets", "_origin"}),
        ("JitterBuffer.remove", JitterBuffer.remove, {"_packets", "_origin"}),
    ]
    for label, func, needed in expectations:
        missing = needed - _names(func)
        if func is None or missing:
            problems.append(f"{label} no longer uses {sorted(missing) or 'itself'}")
    if not all(hasattr(RTCRtpSender, m) for m in ("_send_keyframe", "replaceTrack")):
        problems.append("RTCRtpSender lacks _send_keyframe/replaceTrack")
    if problems:
        raise RuntimeError(
            f"aiortc {aiortc.__version__} changed internals that socialsync.media.forward "
            f"patches (written for {AIORTC_VERSION}): " + "; ".join(problems)
        )
    if aiortc.__version__ != AIORTC_VERSION:
        log.warning("aiortc %s, rtc_forward was written for %s", aiortc.__version__, AIORTC_VERSION)


@functools.cache
def _ensure_checked() -> None:
    check_aiortc()  # once per process; raising leaves it unchecked, so it raises again next time


# --------------------------------------------------------------------------- codecs


def _capabilities(kind: str, mime_types: Iterable[str]) -> list[RTCRtpCodecCapability]:
    available = RTCRtpSender.getCapabilities(kind).codecs
    chosen = []
    for mime in mime_types:
        chosen += [c for c in available if c.mimeType.lower() == mime.lower() and c not in chosen]
    rtx = [c for c in available if c.mimeType.lower() == "video/rtx"]
    return chosen + (rtx if kind == "video" else [])


@dataclass
class ForwardStats:
    """Counters of one source (its forwarded and transcoded subscribers included).

    frames_dropped: thrown away because a subscriber's queue was full (or it fell behind and a
    keyframe let it catch up); frames_skipped: not sent while a subscriber waited for a keyframe."""

    frames_in: int = 0
    keyframes_in: int = 0
    frames_forwarded: int = 0
    frames_dropped: int = 0
    frames_skipped: int = 0
    keyframe_waits: int = 0
    keyframe_requests_sent: int = 0
    keyframe_requests_coalesced: int = 0
    subscriber_keyframe_requests: int = 0
    forwarded_streams: int = 0
    transcoded_streams: int = 0
    frames_decoded: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class _Frame:
    packet: av.Packet[Any]
    keyframe: bool


# --------------------------------------------------------------------------- the publisher side


class _EncodedTap:
    """Takes the place of a receiver's decoder queue: encoded frames go to the source, and the
    receiver's decoder thread is given nothing to decode, only the final None when it stops."""

    def __init__(self, source: MediaSource, loop: asyncio.AbstractEventLoop) -> None:
        self._source = source
        self._loop = loop
        self._closed = threading.Event()

    def put(self, item: tuple[RTCRtpCodecParameters, JitterFrame] | None) -> None:
        if not self._in_loop():  # aiortc calls this from the event loop; be safe anyway
            self._loop.call_soon_threadsafe(self.put, item)
            return
        if item is None:
            self._closed.set()
            self._source._end()
        else:
            self._source._on_encoded(*item)

    def _in_loop(self) -> bool:
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    def get(self) -> None:
        self._closed.wait()
        return None


class _AudioPassThrough:
    """Replaces the jitter buffer of a forwarded audio receiver: every Opus packet is a frame, so
    it goes on at once (the subscriber's jitter buffer conceals losses). aiortc's own audio buffer
    stalls on a lost packet (there is no NACK for audio) and then sheds several good frames."""

    def __init__(self) -> None:
        self._last_timestamp: int | None = None

    def add(self, packet: Any) -> tuple[bool, JitterFrame | None]:
        last = self._last_timestamp
        if last is not None and 0 <= (last - packet.timestamp) % (1 << 32) < (1 << 31):
            return False, None  # a duplicate or late packet: its moment has passed
        self._last_timestamp = packet.timestamp
        return False, JitterFrame(data=packet._data, timestamp=packet.timestamp)


class _FrameEndJitterBuffer(JitterBuffer):
    """aiortc's video jitter buffer, releasing a frame as soon as its last packet is in.

    The stock buffer knows a frame is complete only when a packet of the *next* frame arrives, so
    every forwarded frame waited one frame interval on the server, and the last frame before a
    pause (a muted camera, a frozen screen) waited for the whole pause: it went out seconds late
    with its old RTP timestamp, right before the first new frame. Chromium's jitter estimator takes
    that as seconds of network delay and raises its playout delay, so after an unmute the new
    frames arrived but were held, undecoded, for up to ~2 s. The RTP marker bit ends a video
    frame (RFC 7741 for VP8, RFC 6184 for H.264), so a contiguous run of packets from the buffer's
    start up to a marker is a whole frame. The stock rule (a new timestamp) still applies too."""

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        origin = self._origin
        if origin is None:
            return None
        timestamp = None
        packets = []
        for count in range(self._capacity):
            packet = self._packets[(origin + count) % self._capacity]
            if packet is None:
                return None  # a hole (NACK may fill it) or nothing more yet
            if timestamp is None:
                timestamp = packet.timestamp
            elif packet.timestamp != timestamp:
                break  # the next frame has begun: this one is whole
            packets.append(packet)
            if packet.marker:
                count += 1
                break
        else:
            return None
        self.remove(count)
        # _data: the depayloaded frame data aiortc's receiver sets on each packet.
        data = b"".join(p._data for p in packets)  # type: ignore[attr-defined]
        return JitterFrame(data=data, timestamp=timestamp)


class MediaSource:
    """One publisher's incoming track on the server, forwarded without decoding.

    Made from the receiving transceiver before the connection starts (`add_publisher_tracks`
    makes them before the offer is applied); the receiver's encoded frames then come here."""

    def __init__(
        self, transceiver: RTCRtpTransceiver, *, name: str = "", pli_interval_s: float = PLI_INTERVAL_S
    ):
        _ensure_checked()
        receiver = transceiver.receiver
        if getattr(receiver, _RX_STARTED):
            raise RuntimeError("MediaSource must wrap a receiver before it starts receiving")
        self.kind: str = transceiver.kind
        self.name = name or f"{self.kind}-{id(self):x}"
        self.stats = ForwardStats()
        self.mime_type: str | None = None
        self.ended = False
        self._transceiver = transceiver
        self._receiver = receiver
        self._tracks: set[_ForwardedTrack] = set()
        self._on_end: list[Callable[[], None]] = []
        self._media_ssrcs: list[int] = []
        self._pli_interval_s = pli_interval_s
        self._last_pli = -1e9
        self._pli_timer: asyncio.TimerHandle | None = None
        self._transcoder: _Transcoder | None = None
        self._ended_event = asyncio.Event()
        self._tasks = _Tasks()
        self._wrap_receiver()

    # -- hooks on the receiver instance (not the class: other receivers stay stock)

    def _wrap_receiver(self) -> None:
        receiver = self._receiver
        stock_receive = receiver.receive
        self._stock_pli = receiver._send_rtcp_pli

        async def receive(parameters: Any) -> None:
            if not getattr(receiver, _RX_STARTED):
                setattr(receiver, _RX_QUEUE, _EncodedTap(self, asyncio.get_running_loop()))
                if self.kind == "audio":
                    setattr(receiver, _RX_JITTER, _AudioPassThrough())
                else:
                    setattr(receiver, _RX_JITTER, _FrameEndJitterBuffer(VIDEO_JITTER_CAPACITY, is_video=True))
                self._media_ssrcs = [e.ssrc for e in parameters.encodings if e.ssrc]
            await stock_receive(parameters)
            thread = getattr(receiver, _RX_THREAD)
            if thread is not None:
                thread.name = f"{self.kind}-forward-tap"  # idle: waits for the stop sentinel only

        async def receiver_pli(media_ssrc: int) -> None:
            # Only the receiver itself calls this: its jitter buffer lost data, so the frames
            # that follow may not decode: subscribers wait for the keyframe it asks for.
            self._last_pli = time.monotonic()
            self.stats.keyframe_requests_sent += 1
            for track in self._tracks:
                track._resync(request=False)
            await self._stock_pli(media_ssrc)

        # Wrapped on this receiver only (check_aiortc vouches for both methods).
        receiver.receive = receive  # type: ignore[method-assign]
        receiver._send_rtcp_pli = receiver_pli  # type: ignore[method-assign]

    @property
    def receiver(self) -> Any:
        return self._receiver

    @property
    def codec_mime_type(self) -> str | None:
        """The codec the publisher sends: seen on the wire, else negotiated."""
        if self.mime_type:
            return self.mime_type
        codecs = [c for c in self._transceiver._codecs if c.mimeType.lower() != "video/rtx"]
        return codecs[0].mimeType.lower() if codecs else None

    # -- frames from the receiver

    def _on_encoded(self, codec: RTCRtpCodecParameters, frame: JitterFrame) -> None:
        mime = codec.mimeType.lower()
        if mime != self.mime_type:
            if self.mime_type is not None:
                for track in self._tracks:
                    track._resync()
            self.mime_type = mime
        key = is_keyframe(mime, frame.data)
        packet = av.Packet(frame.data)
        packet.pts = frame.timestamp
        packet.time_base = fractions.Fraction(1, codec.clockRate)
        self.stats.frames_in += 1
        self.stats.keyframes_in += key
        waiting = False
        for track in list(self._tracks):
            waiting |= track._push(_Frame(packet, key))
        if waiting and time.monotonic() - self._last_pli > PLI_RETRY_S:
            self.request_keyframe()

    def _end(self) -> None:
        if self.ended:
            return
        self.ended = True
        if self._pli_timer is not None:
            self._pli_timer.cancel()
        for track in list(self._tracks):
            track._finish()
        for callback in self._on_end:
            callback()
        self._ended_event.set()

    async def wait_ended(self) -> None:
        await self._ended_event.wait()

    def on_end(self, callback: Callable[[], None]) -> None:
        if self.ended:
            callback()
        else:
            self._on_end.append(callback)

    def close(self) -> None:
        """End the source and its subscribers' tracks (the publisher's connection is the caller's)."""
        self._end()

    # -- keyframe requests (PLI to the publisher), at most one per pli_interval_s

    def request_keyframe(self) -> None:
        if self.kind != "video" or self.ended:
            return
        wait = self._last_pli + self._pli_interval_s - time.monotonic()
        if wait <= 0:
            self._send_pli()
        elif self._pli_timer is None:
            self._pli_timer = asyncio.get_running_loop().call_later(wait, self._send_pli)
        else:
            self.stats.keyframe_requests_coalesced += 1

    def _send_pli(self) -> None:
        self._pli_timer = None
        ssrcs = self._ssrcs()
        if not ssrcs or self.ended:
            return
        self._last_pli = time.monotonic()
        self.stats.keyframe_requests_sent += 1
        for ssrc in ssrcs:
            self._tasks.spawn(self._stock_pli(ssrc))

    def _ssrcs(self) -> list[int]:
        if self._media_ssrcs:
            return self._media_ssrcs
        rtx = getattr(self._receiver, _RX_RTX, {})
        return [s.source for s in self._receiver.getSynchronizationSources() if s.source not in rtx]

    # -- subscribers

    def _add(self, track: _ForwardedTrack) -> None:
        self._tracks.add(track)
        if self.ended:
            track._finish()
        elif self.kind == "video":
            self.request_keyframe()

    def _remove(self, track: _ForwardedTrack) -> None:
        self._tracks.discard(track)

    def transcoded(self) -> MediaStreamTrack:
        """A track of decoded frames (the source decodes only while such tracks exist)."""
        if self._transcoder is None or self._transcoder.stopped:
            self._transcoder = _Transcoder(self)
        return self._transcoder.subscribe()


class _Tasks:
    """Short sends started from synchronous code (PLI, a sender's stop), referenced until done."""

    def __init__(self) -> None:
        self._running: set[asyncio.Future[Any]] = set()

    def spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._running.add(task)
        task.add_done_callback(self._running.discard)


# --------------------------------------------------------------------------- the subscriber side


class _ForwardedTrack(MediaStreamTrack):
    """Encoded frames of one source for one subscriber, in a bounded queue.

    A new or overrun subscriber gets nothing until a keyframe (and asks for one)."""

    def __init__(self, source: MediaSource, max_frames: int | None = None) -> None:
        super().__init__()
        self.kind = source.kind
        self.source = source
        self.max_frames = max_frames or (VIDEO_QUEUE_FRAMES if source.kind == "video" else AUDIO_QUEUE_FRAMES)
        self.frames_forwarded = 0
        self.frames_dropped = 0
        self.frames_skipped = 0
        self.max_queued = 0
        self._queue: collections.deque[_Frame | None] = collections.deque()
        self._ready = asyncio.Event()
        self._waiting_key = source.kind == "video"
        self._attached = False

    @property
    def queued(self) -> int:
        return len(self._queue)

    async def recv(self) -> av.Packet[Any]:
        if self.readyState != "live":
            raise MediaStreamError
        if not self._attached:  # frames flow once the sender reads, so a PLI now is useful
            self._attached = True
            self.source._add(self)
        while not self._queue:
            self._ready.clear()
            await self._ready.wait()
        item = self._queue.popleft()
        if item is None:
            self.stop()
            raise MediaStreamError
        self.frames_forwarded += 1
        self.source.stats.frames_forwarded += 1
        return item.packet

    def stop(self) -> None:
        super().stop()
        self.source._remove(self)

    def keyframe_requested(self) -> None:
        """The subscriber sent PLI/FIR: pass it on to the publisher."""
        self.source.stats.subscriber_keyframe_requests += 1
        self.source.request_keyframe()

    def _drop(self, count: int) -> None:
        self.frames_dropped += count
        self.source.stats.frames_dropped += count

    def _push(self, frame: _Frame) -> bool:
        """Queue a frame; return whether this subscriber still waits for a keyframe."""
        if self._waiting_key:
            if not frame.keyframe:
                self.frames_skipped += 1
                self.source.stats.frames_skipped += 1
                return True
            self._waiting_key = False
        if frame.keyframe and self.kind == "video" and len(self._queue) > self.max_frames // 4:
            self._drop(len(self._queue))  # a keyframe: a reader this far behind can skip ahead
            self._queue.clear()
        if len(self._queue) >= self.max_frames:
            if self.kind == "video":  # too slow: flush, then restart on the next keyframe
                self._drop(len(self._queue) + 1)
                self._queue.clear()
                self._resync()
                return True
            self._drop(1)
            self._queue.popleft()
        self._queue.append(frame)
        self.max_queued = max(self.max_queued, len(self._queue))
        self._ready.set()
        return False

    def _resync(self, *, request: bool = True) -> None:
        if self.kind == "video" and not self._waiting_key:
            self._waiting_key = True
            self.source.stats.keyframe_waits += 1
            if request:
                self.source.request_keyframe()

    def _finish(self) -> None:
        self._queue.append(None)
        self._ready.set()


def forwarded_track(source: MediaSource, *, max_frames: int | None = None) -> MediaStreamTrack:
    """A track yielding the source's encoded frames as `av.Packet`s, for a subscriber's sender.

    Its codec must be the one that sender negotiated; `add_subscriber_track` sees to that, and
    passes the subscriber's keyframe requests on (`link_keyframe_requests` does it by hand)."""
    return _ForwardedTrack(source, max_frames)


def link_keyframe_requests(sender: RTCRtpSender, track: MediaStreamTrack) -> None:
    """Make PLI/FIR that `sender` receives reach the publisher of a forwarded `track`."""
    if isinstance(track, _ForwardedTrack):
        sender._send_keyframe = track.keyframe_requested  # type: ignore[method-assign]


class SubscriberLink:
    """One source sent to one subscriber's connection: forwarded, or transcoded when the
    negotiated codec differs (or `force_transcode`). Decided when the sender starts."""

    def __init__(self, pc: RTCPeerConnection, source: MediaSource, *, force_transcode: bool = False):
        _ensure_checked()
        self.source = source
        self.mode: str | None = None  # "forward" | "transcode" once started
        self.track: MediaStreamTrack | None = None
        self.codec_mime_type: str | None = None
        self._force_transcode = force_transcode
        self._tasks = _Tasks()
        self.transceiver = pc.addTransceiver(source.kind, direction="sendonly")
        preferred = [source.codec_mime_type] if source.codec_mime_type else []
        others = DEFAULT_VIDEO_CODECS if source.kind == "video" else ("audio/opus",)
        self.transceiver.setCodecPreferences(_capabilities(source.kind, [*preferred, *others]))
        self.sender: RTCRtpSender = self.transceiver.sender
        stock_send = self.sender.send

        async def send(parameters: Any) -> None:
            self._start(parameters.codecs[0])
            await stock_send(parameters)

        self.sender.send = send  # type: ignore[method-assign]
        source.on_end(self._source_ended)

    def _start(self, codec: RTCRtpCodecParameters) -> None:
        if self.track is not None:
            return
        self.codec_mime_type = codec.mimeType.lower()
        source_mime = self.source.codec_mime_type
        if self.codec_mime_type == source_mime and not self._force_transcode:
            self.mode = "forward"
            self.track = forwarded_track(self.source)
            link_keyframe_requests(self.sender, self.track)
            self.source.stats.forwarded_streams += 1
        else:
            self.mode = "transcode"
            self.track = self.source.transcoded()
            self.source.stats.transcoded_streams += 1
            log.warning(
                "rtc: transcoding %s (%s → %s%s) for a subscriber: decode+encode costs ~10x forwarding",
                self.source.name,
                source_mime,
                self.codec_mime_type,
                ", forced" if self._force_transcode else "",
            )
        self.sender.replaceTrack(self.track)

    def _source_ended(self) -> None:
        self._tasks.spawn(self.sender.stop())  # BYE: the subscriber's track ends too

    async def close(self) -> None:
        if self.track is not None:
            self.track.stop()
        await self.sender.stop()


def add_subscriber_track(
    pc: RTCPeerConnection, source: MediaSource, *, force_transcode: bool = False
) -> SubscriberLink:
    """Add a send-only transceiver for `source` to a subscriber's connection, before the offer (if
    the server offers) or before setRemoteDescription (if the subscriber offers receive-only)."""
    return SubscriberLink(pc, source, force_transcode=force_transcode)


def add_publisher_tracks(
    pc: RTCPeerConnection,
    kinds: Iterable[str] = ("video", "audio"),
    *,
    video_codecs: Iterable[str] = DEFAULT_VIDEO_CODECS,
    name: str = "",
) -> dict[str, MediaSource]:
    """Receive-only transceivers (one per kind, in the publisher's m-line order) whose media is
    forwarded. Call before applying the publisher's offer or creating the server's offer; the
    codec preferences make every publisher of a party send the same codec when it can."""
    sources = {}
    for kind in kinds:
        transceiver = pc.addTransceiver(kind, direction="recvonly")
        codecs = tuple(video_codecs) if kind == "video" else ("audio/opus",)
        transceiver.setCodecPreferences(_capabilities(kind, codecs))
        sources[kind] = MediaSource(transceiver, name=f"{name or 'publisher'}-{kind}")
    return sources


# --------------------------------------------------------------------------- transcoding fallback


class _DecodedTrack(MediaStreamTrack):
    def __init__(self, transcoder: _Transcoder, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._transcoder = transcoder
        self._frames: collections.deque[av.AudioFrame | av.VideoFrame | None] = collections.deque(
            maxlen=8 if kind == "audio" else 2
        )
        self._ready = asyncio.Event()

    def _put(self, frame: av.AudioFrame | av.VideoFrame | None) -> None:
        if len(self._frames) == self._frames.maxlen:  # the encoder lags: latest frames win
            self._transcoder.source.stats.frames_dropped += 1
        self._frames.append(frame)
        self._ready.set()

    async def recv(self) -> av.AudioFrame | av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        while not self._frames:
            self._ready.clear()
            await self._ready.wait()
        frame = self._frames.popleft()
        if frame is None:
            self.stop()
            raise MediaStreamError
        return frame

    def stop(self) -> None:
        super().stop()
        self._transcoder.unsubscribe(self)


class _Transcoder:
    """Decodes a source once (in a worker thread) for all of its transcoding subscribers."""

    def __init__(self, source: MediaSource) -> None:
        self.source = source
        self.stopped = False
        self._input = _ForwardedTrack(source, max_frames=30)
        self._outputs: set[_DecodedTrack] = set()
        self._task: asyncio.Task[None] | None = None

    def subscribe(self) -> MediaStreamTrack:
        track = _DecodedTrack(self, self.source.kind)
        self._outputs.add(track)
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())
        return track

    def unsubscribe(self, track: _DecodedTrack) -> None:
        self._outputs.discard(track)
        if not self._outputs and not self.stopped:
            self.stopped = True
            self._input.stop()
            if self._task is not None:
                self._task.cancel()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        decoder = None
        decoder_mime = None
        try:
            while True:
                packet = await self._input.recv()
                mime = self.source.mime_type or ""
                if decoder is None or mime != decoder_mime:
                    decoder = get_decoder(RTCRtpCodecParameters(mimeType=mime, clockRate=0, payloadType=0))
                    decoder_mime = mime
                assert packet.pts is not None  # forwarded packets carry their RTP timestamp
                encoded = JitterFrame(data=bytes(packet), timestamp=packet.pts)
                try:
                    frames = await loop.run_in_executor(None, decoder.decode, encoded)
                except av.FFmpegError as exc:  # a damaged frame: start again from a keyframe
                    log.debug("rtc: transcoder for %s could not decode a frame: %s", self.source.name, exc)
                    self._input._resync()
                    continue
                for frame in frames:
                    self.source.stats.frames_decoded += 1
                    for output in list(self._outputs):
                        output._put(cast("av.AudioFrame | av.VideoFrame", frame))
        except MediaStreamError:
            pass
        finally:
            for output in list(self._outputs):
                output._put(None)


# --------------------------------------------------------------------------- loopback ICE


@contextlib.contextmanager
def loopback_ice() -> Iterator[None]:
    """ICE on 127.0.0.1 alone (SOCIALSYNC_RTC_LOOPBACK, for tests and one-machine runs): make
    aioice offer 127.0.0.1 as its one host candidate (by default it leaves loopback out and
    offers every other interface). Undone on exit; production never calls it."""
    from aioice import ice

    stock = ice.get_host_addresses
    if not callable(stock):
        raise RuntimeError("aioice.ice.get_host_addresses is gone: loopback_ice needs updating")

    def loopback_only(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return ["127.0.0.1"] if use_ipv4 else []

    ice.get_host_addresses = loopback_only
    try:
        yield
    finally:
        ice.get_host_addresses = stock
