"""Real aiortc peer connections over 127.0.0.1: a publisher, the server's forwarder, subscribers.

Tests get a `rtc` fixture (an `RtcParty`) that builds them and closes everything afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import av
import pytest
import rtc_support
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender
from aiortc import rtcrtpreceiver as aiortc_receiver
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket
from moving_video import MovingVideo

from socialsync.media import forward as rtc_forward
from socialsync.media.forward import MediaSource, SubscriberLink

WIDTH, HEIGHT = 640, 480


@dataclass
class Received:
    """What a subscriber decoded from one remote track."""

    track: MediaStreamTrack
    times: list[float] = field(default_factory=list)
    pts: list[int] = field(default_factory=list)
    sizes: set[tuple[int, int]] = field(default_factory=set)
    first_luma: list[int] = field(default_factory=list)
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def count(self) -> int:
        return len(self.times)

    async def consume(self) -> None:
        try:
            while True:
                frame = await self.track.recv()
                self.times.append(time.monotonic())
                self.pts.append(int(frame.pts or 0))
                if isinstance(frame, av.VideoFrame):
                    self.sizes.add((frame.width, frame.height))
                    if len(self.first_luma) < 400:
                        self.first_luma.append(bytes(frame.planes[0])[WIDTH * 10])
        except MediaStreamError:
            self.ended.set()


@dataclass
class Subscriber:
    pc: RTCPeerConnection  # the member's side
    server_pc: RTCPeerConnection
    links: dict[str, SubscriberLink]
    received: dict[str, Received] = field(default_factory=dict)
    connected_at: float | None = None

    async def wait_frames(self, kind: str, count: int, within_s: float = 8.0) -> None:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            got = self.received.get(kind)
            if got is not None and got.count >= count:
                return
            await asyncio.sleep(0.02)
        got = self.received.get(kind)
        raise AssertionError(f"{kind}: {got.count if got else 0} frames after {within_s} s, wanted {count}")


async def negotiate(offerer: RTCPeerConnection, answerer: RTCPeerConnection) -> None:
    await offerer.setLocalDescription(await offerer.createOffer())
    await answerer.setRemoteDescription(offerer.localDescription)
    await answerer.setLocalDescription(await answerer.createAnswer())
    await offerer.setRemoteDescription(answerer.localDescription)


def ignore_bitrate_feedback(sender: RTCRtpSender) -> None:
    """Make an aiortc publisher behave like Chromium, which sends keyframes only when asked: aiortc's
    VP8 encoder restarts (with a keyframe) whenever REMB moves its bitrate by over 10 %."""
    stock = sender._handle_rtcp_packet

    async def without_remb(packet: object) -> None:
        if not (isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP):
            await stock(packet)

    sender._handle_rtcp_packet = without_remb  # type: ignore[method-assign]


class RtcParty:
    """One publisher (synthetic camera + silence, VP8/Opus encoded by aiortc) and its subscribers."""

    def __init__(self) -> None:
        self.pcs: list[RTCPeerConnection] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.publisher: RTCPeerConnection | None = None
        self.server_pub: RTCPeerConnection | None = None
        self.sources: dict[str, MediaSource] = {}

    def _pc(self) -> RTCPeerConnection:
        pc = RTCPeerConnection(rtc_support.loopback_rtc_configuration())
        self.pcs.append(pc)
        return pc

    async def start_publisher(
        self, *, loss: float = 0.0, video_codecs: tuple[str, ...] = rtc_forward.DEFAULT_VIDEO_CODECS
    ) -> dict[str, MediaSource]:
        self.publisher, self.server_pub = self._pc(), self._pc()
        video_sender = self.publisher.addTrack(MovingVideo(WIDTH, HEIGHT))
        ignore_bitrate_feedback(video_sender)
        self.publisher.addTrack(AudioStreamTrack())
        self.sources = rtc_forward.add_publisher_tracks(self.server_pub, video_codecs=video_codecs)
        if loss:
            for source in self.sources.values():
                rtc_support.simulate_receive_loss(source, loss)
        await negotiate(self.publisher, self.server_pub)
        return self.sources

    async def add_subscriber(
        self, *, video_codecs: tuple[str, ...] = (), server_offers: bool = True, force_transcode: bool = False
    ) -> Subscriber:
        pc, server_pc = self._pc(), self._pc()
        links = {
            kind: rtc_forward.add_subscriber_track(server_pc, source, force_transcode=force_transcode)
            for kind, source in self.sources.items()
        }
        sub = Subscriber(pc, server_pc, links)
        for kind in self.sources:
            transceiver = pc.addTransceiver(kind, direction="recvonly")
            if kind == "video" and video_codecs:
                caps = RTCRtpReceiver.getCapabilities("video").codecs
                transceiver.setCodecPreferences([c for c in caps if c.mimeType in video_codecs])

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            got = sub.received[track.kind] = Received(track)
            self.tasks.append(asyncio.ensure_future(got.consume()))

        @pc.on("connectionstatechange")
        def on_state() -> None:
            if pc.connectionState == "connected" and sub.connected_at is None:
                sub.connected_at = time.monotonic()

        if server_offers:
            await negotiate(server_pc, pc)
        else:
            await negotiate(pc, server_pc)
        return sub

    async def close(self) -> None:
        for pc in self.pcs:
            await pc.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


@pytest.fixture(autouse=True)
def _loopback_ice() -> Iterator[None]:
    with rtc_forward.loopback_ice():
        yield


@pytest.fixture
async def rtc() -> AsyncIterator[RtcParty]:
    party = RtcParty()
    try:
        yield party
    finally:
        await party.close()


@dataclass
class DecoderLog:
    """Every decoder aiortc's receivers made in this process, by the receiver thread's name."""

    threads: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def decoders(monkeypatch: pytest.MonkeyPatch) -> DecoderLog:
    made = DecoderLog()
    stock = aiortc_receiver.get_decoder

    def counting(codec):  # type: ignore[no-untyped-def]
        with made.lock:
            made.threads.append(threading.current_thread().name)
        return stock(codec)

    monkeypatch.setattr(aiortc_receiver, "get_decoder", counting)
    return made


@contextlib.contextmanager
def gate_track(track: MediaStreamTrack, gate: asyncio.Event) -> Iterator[None]:
    """Make the server's sender stop reading `track` until `gate` is set (a stalled subscriber)."""
    stock = track.recv

    async def gated() -> object:
        await gate.wait()
        return await stock()

    track.recv = gated  # type: ignore[method-assign]
    try:
        yield
    finally:
        track.recv = stock  # type: ignore[method-assign]


@pytest.fixture
def gate() -> object:
    return gate_track
