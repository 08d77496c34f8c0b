"""Baseline for the load tests only: fan-out through python-socketio's stock
AsyncRedisManager (every emit, for any room, on one Redis channel as JSON, decoded
by every node). Selected with SOCIALSYNC_BROKER=stock; the service's own
handling of envelopes (a kick or an end detaching sockets) runs on the
publishing node only, so it is not for production.
"""

from __future__ import annotations

from socialsync.ports import Envelope, Handler


class StockManagerBroker:
    def __init__(self, emit: Handler) -> None:
        self._emit = emit  # the gateway's deliver: sio.emit through the Redis manager

    async def publish(self, envelope: Envelope) -> None:
        await self._emit(envelope)

    async def subscribe(self, party_id: str, audience: str = "members") -> None:
        pass  # the manager sends every room to every node

    async def unsubscribe(self, party_id: str, audience: str = "members") -> None:
        pass

    async def close(self) -> None:
        pass
