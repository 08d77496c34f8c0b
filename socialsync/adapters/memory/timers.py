"""Timers on the event loop, fired as Tick commands through the service."""

from __future__ import annotations

import asyncio
import logging

from socialsync.ports import Clock
from socialsync.ports.timers import Fire

log = logging.getLogger("socialsync.timers")


class LoopTimers:
    """Schedules (party, key) callbacks. The same key twice is one timer: the core
    encodes what a timer is about in its key, and ignores ticks that went stale."""

    def __init__(self, clock: Clock, fire: Fire) -> None:
        self._clock = clock
        self._fire = fire
        self._handles: dict[tuple[str, str], asyncio.TimerHandle] = {}
        self._running: set[asyncio.Task[None]] = set()

    async def schedule(self, party_id: str, key: str, due_ms: int) -> None:
        slot = (party_id, key)
        if slot in self._handles:
            return
        # +1 ms so that the tick never arrives before the instant it is due.
        delay_s = max(0, due_ms - self._clock.now_ms() + 1) / 1000
        self._handles[slot] = asyncio.get_running_loop().call_later(delay_s, self._start, slot)

    def _start(self, slot: tuple[str, str]) -> None:
        del self._handles[slot]
        task = asyncio.create_task(self._run(*slot))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, party_id: str, key: str) -> None:
        try:
            await self._fire(party_id, key)
        except Exception:
            log.exception("timer %s of party %s failed", key, party_id)

    async def close(self) -> None:
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
