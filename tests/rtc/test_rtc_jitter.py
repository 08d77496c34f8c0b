"""The relay's video jitter buffer hands a frame on at its marker packet, not one frame later.

With aiortc's stock rule (a frame is done when the next one starts) the last frame before a pause
(a muted camera) left the server only when the camera came back, seconds late, and Chromium held
the fresh frames behind it: the stall after an unmute. Packets here are built by hand."""

from __future__ import annotations

from aiortc.rtp import RtpPacket

from socialsync.media.forward import _FrameEndJitterBuffer


def rtp(seq: int, ts: int, data: bytes, *, marker: bool = False) -> RtpPacket:
    packet = RtpPacket(payload_type=96, sequence_number=seq % 65536, timestamp=ts, marker=int(marker))
    packet._data = data  # type: ignore[attr-defined]  # what the receiver's depayloader leaves
    return packet


def feed(buffer: _FrameEndJitterBuffer, packets: list[RtpPacket]) -> list[tuple[int, bytes]]:
    out = []
    for packet in packets:
        _, frame = buffer.add(packet)
        if frame is not None:
            out.append((frame.timestamp, frame.data))
    return out


def test_a_frame_leaves_at_its_marker_packet_without_waiting_for_the_next_one():
    buffer = _FrameEndJitterBuffer(512, is_video=True)
    assert feed(buffer, [rtp(10, 3000, b"a1"), rtp(11, 3000, b"a2")]) == []
    assert feed(buffer, [rtp(12, 3000, b"a3", marker=True)]) == [(3000, b"a1a2a3")]
    # A pause of any length, then the next frame: it comes alone, nothing stale ahead of it.
    assert feed(buffer, [rtp(13, 3000 + 90_000 * 2, b"b", marker=True)]) == [(183_000, b"b")]


def test_a_hole_holds_the_frame_until_the_retransmission_fills_it():
    buffer = _FrameEndJitterBuffer(512, is_video=True)
    assert feed(buffer, [rtp(1, 100, b"x", marker=True)]) == [(100, b"x")]
    assert feed(buffer, [rtp(2, 200, b"p"), rtp(4, 200, b"r", marker=True)]) == []  # 3 lost
    assert feed(buffer, [rtp(3, 200, b"q")]) == [(200, b"pqr")]  # RTX arrives
    # A late duplicate of a packet already passed on is ignored.
    assert feed(buffer, [rtp(3, 200, b"q"), rtp(5, 300, b"s", marker=True)]) == [(300, b"s")]


def test_without_a_marker_the_next_timestamp_still_ends_a_frame_and_sequence_numbers_wrap():
    buffer = _FrameEndJitterBuffer(512, is_video=True)
    packets = [
        rtp(65534, 1, b"a"),
        rtp(65535, 1, b"b"),
        rtp(65536, 2, b"c"),
        rtp(65537, 2, b"d", marker=True),
    ]
    assert feed(buffer, packets) == [(1, b"ab"), (2, b"cd")]
