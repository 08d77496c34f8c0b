"""Test (and load test) helpers for aiortc peer connections; never imported by the server."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from aiortc import RTCConfiguration

from socialsync.media.forward import MediaSource


def loopback_rtc_configuration() -> RTCConfiguration:
    """No STUN/TURN servers (aiortc would otherwise ask a public STUN server): for tests."""
    return RTCConfiguration(iceServers=[])


def simulate_receive_loss(source: MediaSource, fraction: float, *, seed: int = 1) -> Callable[[], int]:
    """For tests and load tests only: drop `fraction` of the RTP packets reaching the source's
    receiver (before NACK, jitter buffer and RTX handling see them). Returns a dropped-count getter."""
    receiver = source.receiver
    stock = receiver._handle_rtp_packet
    rng = random.Random(seed)
    dropped = 0

    async def lossy(packet: Any, arrival_time_ms: int) -> None:
        nonlocal dropped
        if rng.random() < fraction:
            dropped += 1
            return
        await stock(packet, arrival_time_ms)

    receiver._handle_rtp_packet = lossy
    return lambda: dropped
