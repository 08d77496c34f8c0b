"""NTP-style clock offset estimation from ``time.sync`` round trips.

A sample is four timestamps: t0 client send, t1 server receive, t2 server send,
t3 client receive (t0, t3 on the client clock; t1, t2 on the server clock).
With a symmetric path the offset (server minus client) is exact; with an
asymmetric one the error is at most half the round trip, so the sample with the
smallest round trip bounds the error best.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ClockSample:
    t0: float
    t1: float
    t2: float
    t3: float

    @property
    def rtt(self) -> float:
        """Network round trip: total elapsed on the client minus time spent in the server."""
        return (self.t3 - self.t0) - (self.t2 - self.t1)

    @property
    def offset(self) -> float:
        """Server clock minus client clock."""
        return ((self.t1 - self.t0) + (self.t2 - self.t3)) / 2


class ClockEstimator:
    """Keeps the last ``window`` samples and trusts the one with the smallest round trip."""

    def __init__(self, window: int = 16) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self._samples: deque[ClockSample] = deque(maxlen=window)

    def add(self, sample: ClockSample) -> None:
        if sample.rtt < 0:
            # A clock that jumped during the exchange; the sample means nothing.
            return
        self._samples.append(sample)

    @property
    def ready(self) -> bool:
        return bool(self._samples)

    @property
    def best(self) -> ClockSample | None:
        return min(self._samples, key=lambda s: s.rtt, default=None)

    @property
    def offset(self) -> float:
        best = self.best
        return 0.0 if best is None else best.offset

    @property
    def error_bound(self) -> float:
        """The most the offset can be wrong by: half the best round trip."""
        best = self.best
        return float("inf") if best is None else best.rtt / 2

    def server_time(self, client_time: float) -> float:
        return client_time + self.offset
