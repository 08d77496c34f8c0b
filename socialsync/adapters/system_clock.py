"""The server clock: epoch milliseconds that never jump."""

from __future__ import annotations

import time


class SystemClock:
    """Wall-clock epoch at start, advanced by the monotonic clock.

    Members sync their players to this clock, so an NTP step of the host's wall
    clock must not make every party jump; drift of a few ppm is harmless.
    """

    def __init__(self) -> None:
        self._epoch_ns = time.time_ns()
        self._mono_ns = time.monotonic_ns()

    def now_ms(self) -> int:
        return (self._epoch_ns + time.monotonic_ns() - self._mono_ns) // 1_000_000
