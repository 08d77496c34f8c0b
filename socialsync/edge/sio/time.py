"""time.sync: the clients' clock offset estimation (NTP-like t0/t1/t2)."""

from __future__ import annotations

from typing import Any

from socialsync.edge.sio.events import Answer, Handlers
from socialsync.ports import Clock
from socialsync.protocol import inbound


class TimeEvents:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def handlers(self) -> Handlers:
        return {"time.sync": self.sync}

    async def sync(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.TimeSync, data)
        return {"ok": True, "t0": m.t0, "t1": received_ms, "t2": self.clock.now_ms()}
