"""Quotas in this process (the embedded default): see ports/quotas.py."""

from __future__ import annotations

from socialsync.domain.identity import UserKey
from socialsync.domain.ratelimit import Windows

# Users whose windows are remembered at most, per kind (the oldest go first).
MAX_TRACKED = 100_000


class MemoryQuotas:
    def __init__(self, max_tracked: int = MAX_TRACKED) -> None:
        self._max_tracked = max_tracked
        self._windows: dict[tuple[str, int], Windows[UserKey]] = {}

    async def take(self, kind: str, user: UserKey, limit: int, window_ms: int, now_ms: int) -> float:
        windows = self._windows.get((kind, window_ms))
        if windows is None:
            windows = self._windows[(kind, window_ms)] = Windows(window_ms, self._max_tracked)
        return windows.take(user, limit, now_ms)
