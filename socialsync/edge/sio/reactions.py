"""reaction.send."""

from __future__ import annotations

from typing import Any

from socialsync.edge.sio.events import OK, Answer, Handlers
from socialsync.protocol import inbound
from socialsync.services.chat import ChatService


class ReactionEvents:
    def __init__(self, chat: ChatService) -> None:
        self.chat = chat

    def handlers(self) -> Handlers:
        return {"reaction.send": self.send}

    async def send(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.ReactionSend, data)
        await self.chat.react(sid, m.party, m.emoji)
        return dict(OK)
