"""Sync health: where each member stands in plain words, and a party's drift distribution.

Pure: time comes in as ``now_ms``. ``DriftBook`` is the one mutable object here: the
statistics a node keeps of the drift reports it received (never party state, never
stored: a node that restarts starts counting afresh).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from socialsync.domain.model import Member


class MemberSync(StrEnum):
    """A member's standing as the server sees it, in the words viewers are shown."""

    IN_SYNC = "in_sync"  # its reports are within the in-sync band (domain/party/playback.py)
    CATCHING_UP = "catching_up"  # playing, but further off: its engine is correcting
    LOADING = "loading"  # stalled, or joining (or back from a stall) and not in step yet
    IN_AD = "in_ad"  # its player is in an ad or interstitial: suspended from sync
    AWAY = "away"  # its connection dropped; the member keeps its place for a grace period


def member_sync(member: Member) -> MemberSync:
    if not member.connected:
        return MemberSync.AWAY
    if member.in_ad:
        return MemberSync.IN_AD
    if member.buffering or member.excused:
        return MemberSync.LOADING
    return MemberSync.IN_SYNC if member.in_sync else MemberSync.CATCHING_UP


@dataclass(frozen=True, slots=True)
class DriftSummary:
    """A party's |drift| over its recent reports, in ms."""

    party_id: str
    p50_ms: float
    p95_ms: float
    samples: int


def percentile(ordered: list[float], q: float) -> float:
    """The q-quantile (0..1) of sorted values, by linear interpolation."""
    if not ordered:
        raise ValueError("no values")
    rank = q * (len(ordered) - 1)
    lo = int(rank)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo)


class DriftBook:
    """Per party, the |drift| of the last ``per_party`` reports within ``window_ms``.

    Bounded: at most ``max_parties`` parties (the one reported least recently makes
    room), ``per_party`` samples each, and a party without reports for ``window_ms``
    is forgotten when summarised.
    """

    def __init__(self, *, window_ms: int = 60_000, per_party: int = 256, max_parties: int = 20_000) -> None:
        self.window_ms = window_ms
        self.per_party = per_party
        self.max_parties = max_parties
        # party -> (at_ms, |drift| ms); dict order is the order of the last report.
        self._samples: dict[str, deque[tuple[int, float]]] = {}

    def __len__(self) -> int:
        return len(self._samples)

    def record(self, party_id: str, drift_s: float, now_ms: int) -> None:
        samples = self._samples.pop(party_id, None)
        if samples is None:
            if len(self._samples) >= self.max_parties:
                del self._samples[next(iter(self._samples))]
            samples = deque(maxlen=self.per_party)
        samples.append((now_ms, abs(drift_s) * 1000.0))
        self._samples[party_id] = samples  # now the most recent

    def forget(self, party_id: str) -> None:
        self._samples.pop(party_id, None)

    def summary(self, party_id: str, now_ms: int) -> DriftSummary | None:
        samples = self._samples.get(party_id)
        if samples is None:
            return None
        while samples and samples[0][0] < now_ms - self.window_ms:
            samples.popleft()
        if not samples:
            del self._samples[party_id]
            return None
        ordered = sorted(d for _, d in samples)
        return DriftSummary(party_id, percentile(ordered, 0.5), percentile(ordered, 0.95), len(ordered))

    def summaries(self, now_ms: int) -> list[DriftSummary]:
        """Every party with reports in the window (the others are forgotten)."""
        found = (self.summary(party_id, now_ms) for party_id in list(self._samples))
        return [s for s in found if s is not None]
