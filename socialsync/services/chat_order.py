"""Chat in id order on this node: each party's messages reach this node's sockets
in id order, each id once, whatever order the nodes published them in.

A message is published only after its commit (ports/messages.py), so two nodes'
messages may arrive out of order (the node of N + 1 published first), twice (a
retried nonce publishes its message again) or never (its node died between commit
and publish). Ids are gapless among committed messages and N + 1 commits only
after N, so a message that arrived proves every lower id is in the store: a later
id is held up to ``hold_ms`` for the earlier ones, then the gap is filled from the
store (ids it does not show, deleted or shadow-muted messages, are passed over).
Ids already delivered are dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from socialsync.domain.chat.messages import Message
from socialsync.domain.errors import SyncError
from socialsync.domain.notices import ChatPosted
from socialsync.ports import Envelope, MessageStore

log = logging.getLogger("socialsync.services.chat_order")

HOLD_MS = 250
# Held ids per party at most: past this the gap is filled at once.
MAX_HELD = 1_000
FILL_LIMIT = 1_000

Deliver = Callable[[Envelope], Awaitable[None]]


@dataclass
class _Stream:
    delivered: int | None = None  # None until started: everything is held
    held: dict[int, Envelope] = field(default_factory=dict)
    passed: int = 0  # missing ids up to this one are not to be shown: pass them
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    filler: asyncio.Task[None] | None = None


class ChatOrder:
    def __init__(self, deliver: Deliver, messages: MessageStore | None, hold_ms: int = HOLD_MS) -> None:
        self._deliver = deliver
        self._messages = messages
        self._hold_s = hold_ms / 1000
        self._streams: dict[str, _Stream] = {}

    async def start(self, party_id: str) -> None:
        """This node's first socket is entering the party (its broker subscription
        made): the stream begins after the newest stored id. Whatever arrived
        meanwhile was held; history read after this covers the ids up to it."""
        stream = self._streams.setdefault(party_id, _Stream())
        newest: list[Message] = []
        if self._messages is not None:
            newest = await self._messages.before(party_id, None, 1, viewer="*")
        async with stream.lock:
            if stream.delivered is None:
                stream.delivered = newest[0].id if newest else 0
                await self._flush(party_id, stream)

    def stop(self, party_id: str) -> None:
        """The node's last socket left the party."""
        stream = self._streams.pop(party_id, None)
        if stream is not None and stream.filler is not None:
            stream.filler.cancel()

    def delivered(self, party_id: str) -> int:
        stream = self._streams.get(party_id)
        return 0 if stream is None or stream.delivered is None else stream.delivered

    async def receive(self, envelope: Envelope, message: Message) -> None:
        stream = self._streams.get(envelope.party_id)
        if stream is None:  # no socket of this node is in the party
            return
        if stream.delivered is not None and message.id <= stream.delivered:
            return  # already delivered (a retried nonce, or a filled gap)
        stream.held.setdefault(message.id, envelope)
        async with stream.lock:
            await self._flush(envelope.party_id, stream)

    async def catch_up(self, party_id: str, messages: list[Message]) -> None:
        """Messages read from the store after ``delivered(party_id)``, oldest first
        and complete up to the last of them (after an outage of the broker)."""
        stream = self._streams.get(party_id)
        if stream is None or not messages:
            return
        async with stream.lock:
            self._merge(party_id, stream, messages, messages[-1].id)
            await self._flush(party_id, stream)

    async def close(self) -> None:
        fillers = [s.filler for s in self._streams.values() if s.filler is not None]
        self._streams.clear()
        for task in fillers:
            task.cancel()
        await asyncio.gather(*fillers, return_exceptions=True)

    # ------------------------------------------------------------------ internals
    async def _flush(self, party_id: str, stream: _Stream) -> None:
        """Deliver what is next in order (under the stream's lock)."""
        if stream.delivered is None:
            return
        while True:
            next_id = stream.delivered + 1
            envelope = stream.held.pop(next_id, None)
            if envelope is not None:
                stream.delivered = next_id
                await self._deliver(envelope)
            elif next_id <= stream.passed:
                stream.delivered = next_id
            else:
                break
        for stale in [i for i in stream.held if i <= stream.delivered]:
            del stream.held[stale]
        if stream.held and (stream.filler is None or stream.filler.done()):
            at_once = len(stream.held) >= MAX_HELD
            stream.filler = asyncio.create_task(self._fill(party_id, stream, at_once))

    async def _fill(self, party_id: str, stream: _Stream, at_once: bool) -> None:
        if not at_once:
            await asyncio.sleep(self._hold_s)
        if self._streams.get(party_id) is not stream or not stream.held or stream.delivered is None:
            return
        start, first_held = stream.delivered, min(stream.held)
        wanted = min(first_held - start - 1, FILL_LIMIT)
        found: list[Message] = []
        complete_to = first_held - 1
        if self._messages is not None and wanted > 0:
            try:
                found = await self._messages.after(party_id, start, wanted)
            except SyncError as exc:
                # At most once, as any live delivery: members recover with ``since``.
                gap = f"{start + 1}-{complete_to}"
                log.warning("chat gap %s of %s not filled: %s", gap, party_id, exc.message)
            else:
                if len(found) == wanted and found[-1].id < complete_to:
                    complete_to = found[-1].id  # a long gap: the rest on the next round
        async with stream.lock:
            stream.filler = None
            self._merge(party_id, stream, found, complete_to)
            await self._flush(party_id, stream)

    @staticmethod
    def _merge(party_id: str, stream: _Stream, messages: list[Message], complete_to: int) -> None:
        floor = stream.delivered or 0
        for message in messages:
            if message.id > floor:
                stream.held.setdefault(message.id, Envelope(party_id, ChatPosted(message)))
        stream.passed = max(stream.passed, complete_to)
