"""Broker within one process: publish hands the envelope straight to this node's handler."""

from __future__ import annotations

from socialsync.ports import Envelope, Handler


class MemoryBroker:
    """One node, so "every subscribed node" is this one. Delivery is in publish order
    because the handler is awaited before publish returns."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._subscribed: set[tuple[str, str]] = set()

    async def publish(self, envelope: Envelope) -> None:
        if (envelope.party_id, envelope.audience) in self._subscribed:
            await self._handler(envelope)

    async def subscribe(self, party_id: str, audience: str = "members") -> None:
        self._subscribed.add((party_id, audience))

    async def unsubscribe(self, party_id: str, audience: str = "members") -> None:
        self._subscribed.discard((party_id, audience))

    async def close(self) -> None:
        self._subscribed.clear()
