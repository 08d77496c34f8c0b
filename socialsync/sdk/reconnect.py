"""The SDK's connection states and its retry timing, without I/O (unit-tested as is).

    disconnected ──connect()──▶ connecting ──socket up, clock synced──▶ joining
         ▲                          ▲   │ (fails: back off, next URL)       │ every party rejoined
         │ close()                  │   ▼                                   ▼
      closed ◀──────────────── any state ◀── socket lost ───────────── joined

``joining`` with no party to rejoin passes straight to ``joined``. Every step that
fails is retried after ``Backoff.next_delay_s()``; the backoff restarts once the
client is ``joined``.
"""

from __future__ import annotations

import random
from enum import StrEnum


class State(StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    JOINING = "joining"
    JOINED = "joined"
    CLOSED = "closed"


# Which state may follow which: anything else is a bug in the client.
TRANSITIONS: dict[State, frozenset[State]] = {
    State.DISCONNECTED: frozenset({State.CONNECTING, State.CLOSED}),
    State.CONNECTING: frozenset({State.JOINING, State.DISCONNECTED, State.CLOSED}),
    State.JOINING: frozenset({State.JOINED, State.CONNECTING, State.DISCONNECTED, State.CLOSED}),
    State.JOINED: frozenset({State.JOINING, State.CONNECTING, State.DISCONNECTED, State.CLOSED}),
    State.CLOSED: frozenset({State.CONNECTING}),
}


class Backoff:
    """Capped exponential backoff with jitter: attempt n waits a random time in
    [d/2, d] where d = min(cap, base * 2**n), so clients that lost the same node
    do not all come back in the same millisecond."""

    def __init__(self, base_s: float = 0.25, cap_s: float = 5.0, rng: random.Random | None = None) -> None:
        if base_s <= 0 or cap_s < base_s:
            raise ValueError("0 < base_s <= cap_s")
        self.base_s = base_s
        self.cap_s = cap_s
        self.attempt = 0
        self._rng = rng or random.Random()

    def next_delay_s(self) -> float:
        ceiling = min(self.cap_s, self.base_s * 2 ** min(self.attempt, 32))
        self.attempt += 1
        return float(ceiling / 2 + self._rng.random() * ceiling / 2)

    def reset(self) -> None:
        self.attempt = 0


class Urls:
    """The server URLs in turn: a failed attempt moves to the next one."""

    def __init__(self, urls: list[str]) -> None:
        if not urls:
            raise ValueError("at least one URL")
        self.urls = urls
        self._index = -1

    def next(self) -> str:
        self._index = (self._index + 1) % len(self.urls)
        return self.urls[self._index]
