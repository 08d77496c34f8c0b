"""Where the services and the edges report what they saw (metrics)."""

from __future__ import annotations

from typing import Protocol


class Observer(Protocol):
    """Where the services and edges report what they saw (metrics). Never fails, never blocks."""

    def drift(self, drift_s: float) -> None:
        """A member's reported distance from the party position (seconds, signed)."""
        ...

    def message(self, kind: str) -> None:
        """A message of ``kind`` was published ("chat", "reaction.burst")."""
        ...

    def connected(self, outcome: str) -> None:
        """A connection attempt: "accepted" or "refused"."""
        ...

    def answered(self, event: str, outcome: str, seconds: float) -> None:
        """A client event was answered: its outcome ("ok" or an error code) and how long it took."""
        ...

    def limited(self, limit: str) -> None:
        """An abuse limit refused something (``limit``: its name, as docs/privacy.md lists them)."""
        ...

    def set_aside(self, what: str) -> None:
        """A write the database refuses was set aside (``what``: "party")."""
        ...


class MetricsPage(Protocol):
    """The node's metrics as a scrape page (the Prometheus text exposition format)."""

    def render(self) -> bytes: ...
