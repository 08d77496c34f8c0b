"""Media nodes of the embedded default: one node, which relays every party's media.

Nothing is claimed or routed: every party's media node is this one, and no call ever
leaves it (`call` and `send` are never reached: `RoutedRelay` serves a party whose
owner is this node itself).
"""

from __future__ import annotations

from typing import Any

from socialsync.ports.media import CallArgs, PartyLost, RelayHost


class LocalMediaNodes:
    """The `MediaNodes` of one node: it holds every party, for ever."""

    node_id = "local"

    def __init__(self) -> None:
        # Never called: a single node loses no party.
        self.on_lost: PartyLost | None = None

    async def owner(self, party_id: str, *, claim: bool) -> str | None:
        return self.node_id

    async def hold(self, party_id: str) -> None:
        return None

    async def call(self, node_id: str, method: str, args: CallArgs) -> Any:
        raise AssertionError("one node: nothing to route")

    async def send(self, node_id: str, method: str, args: CallArgs) -> None:
        raise AssertionError("one node: nothing to route")

    def serve(self, host: RelayHost) -> None:
        return None

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None
