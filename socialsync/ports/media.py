"""The media relay, as the parties' service sees it."""

from __future__ import annotations

from typing import Protocol


class Relay(Protocol):
    """This node's media relay (adapters/rtc_sfu.py): what the service tells it."""

    async def unpublish(self, party_id: str, user_id: str) -> None: ...

    async def drop_session(self, session: str, party_id: str | None = None) -> object: ...

    async def drop_party(self, party_id: str) -> None: ...
