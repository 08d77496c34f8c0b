"""poll.* and prediction.resolve: polls and predictions (docs/polls.md)."""

from __future__ import annotations

from typing import Any

from socialsync.edge.sio.events import Answer, Handlers
from socialsync.protocol import inbound, outbound
from socialsync.services.polls import PollService


class PollEvents:
    def __init__(self, polls: PollService) -> None:
        self.polls = polls

    def handlers(self) -> Handlers:
        return {
            "poll.open": self.open,
            "poll.vote": self.vote,
            "poll.close": self.close,
            "poll.cancel": self.cancel,
            "prediction.resolve": self.resolve,
            "poll.get": self.get,
        }

    async def open(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.PollOpen, data)
        return {"ok": True, "poll": outbound.poll_out(await self.polls.open(sid, m.party, m.to_domain()))}

    async def vote(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.PollVote, data)
        return {"ok": True, "id": m.id, "choice": await self.polls.vote(sid, m.party, m.id, m.choice)}

    async def close(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.PollRef, data)
        return {"ok": True, "poll": outbound.poll_out(await self.polls.close(sid, m.party, m.id))}

    async def cancel(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.PollRef, data)
        return {"ok": True, "poll": outbound.poll_out(await self.polls.cancel(sid, m.party, m.id))}

    async def resolve(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.PredictionResolve, data)
        tally = await self.polls.resolve(sid, m.party, m.id, m.outcome)
        return {"ok": True, "poll": outbound.poll_out(tally)}

    async def get(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.PartyRef, data)
        tally, choice = await self.polls.current(sid, m.party)
        return {"ok": True, "poll": None if tally is None else outbound.poll_out(tally), "choice": choice}
