"""chat.send and chat.history."""

from __future__ import annotations

from typing import Any

from socialsync.edge.sio.events import Answer, Handlers
from socialsync.protocol import inbound, outbound
from socialsync.services.chat import ChatService


class ChatEvents:
    def __init__(self, chat: ChatService) -> None:
        self.chat = chat

    def handlers(self) -> Handlers:
        return {"chat.send": self.send, "chat.history": self.history}

    async def send(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.ChatSend, data)
        message = await self.chat.send_chat(sid, m.party, m.text, m.nonce, m.reply_to, m.media_time)
        if message is None:
            # Held for review. The author is not told later what became of it.
            return {"ok": True, "held": True}
        return {"ok": True, "message": outbound.message_out(message)}

    async def history(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.ChatHistory, data)
        messages = await self.chat.history(sid, m.party, m.before, m.after, m.limit)
        return {"ok": True, "messages": [outbound.message_out(x) for x in messages]}
