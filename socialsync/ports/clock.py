"""The server's clock."""

from __future__ import annotations

from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int:
        """Server epoch milliseconds."""
        ...
