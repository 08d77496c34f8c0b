"""Party timers that fire once (cluster-wide in a cluster)."""

from __future__ import annotations

from typing import Protocol


class Timers(Protocol):
    async def schedule(self, party_id: str, key: str, due_ms: int) -> None: ...
