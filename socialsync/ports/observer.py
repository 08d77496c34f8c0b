"""Where the services report what they saw (metrics)."""

from __future__ import annotations

from typing import Protocol


class Observer(Protocol):
    """Where the service reports what it saw (metrics)."""

    def drift(self, drift_s: float) -> None: ...

    def message(self, kind: str) -> None: ...
