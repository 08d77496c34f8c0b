"""feedback.send, and feedback.prompt to this node's sockets (protocol 19.2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import socketio

from socialsync.domain.feedback import Prompt
from socialsync.edge.sio.events import OK, Answer, Handlers
from socialsync.protocol import inbound, outbound
from socialsync.services.feedback import FeedbackService


class PromptSender:
    """The feedback service's ``PromptDelivery``: an event to each socket, if still here."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def prompt(self, sessions: Sequence[str], prompt: Prompt) -> None:
        payload = outbound.feedback_prompt_out(prompt)
        for session in sessions:
            await self.sio.emit("feedback.prompt", payload, to=session)


class FeedbackEvents:
    def __init__(self, feedback: FeedbackService) -> None:
        self.feedback = feedback

    def handlers(self) -> Handlers:
        return {"feedback.send": self.send}

    async def send(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.FeedbackSend, data)
        await self.feedback.answer(sid, m.prompt, m.score, m.comment)
        return dict(OK)
