"""A lease in this process's memory: the embedded server is the whole cluster."""

from __future__ import annotations

from socialsync.ports import Clock


class MemoryLease:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._until: dict[str, int] = {}

    async def acquire(self, name: str, ttl_ms: int) -> bool:
        now = self._clock.now_ms()
        if self._until.get(name, 0) > now:
            return False
        self._until[name] = now + ttl_ms
        return True
