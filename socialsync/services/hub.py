"""The hub: this node's sockets (sessions), the party audiences they are in, the
broker subscription of each audience while this node has sockets in it, delivery
of what the broker brings to them, and presence.

It knows nothing of party state: the parties' service above it runs the commands.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from socialsync.domain.chat.messages import Message
from socialsync.domain.errors import Code, SyncError, forbidden
from socialsync.domain.model import User
from socialsync.domain.notices import CameraChanged, ChatPosted, PartyEnded
from socialsync.ports import Broker, Envelope, Handler, LocalDelivery, MessageStore, Presence, Relay
from socialsync.services.chat_order import ChatOrder

log = logging.getLogger("socialsync.services.hub")

MEMBERS = "members"
MODERATORS = "moderators"


@dataclass
class Session:
    user: User
    parties: set[str] = field(default_factory=set)
    watching: set[str] = field(default_factory=set)  # parties it moderates from the panel


class KeyedLocks:
    """One asyncio.Lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = defaultdict(int)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] += 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]


class BrokerInbox:
    """Where the broker hands what it receives, created before the services that
    listen to it (the broker is built first, the services with it): the composition
    root adds the listeners, in order, once they exist."""

    def __init__(self) -> None:
        self._listeners: list[Handler] = []
        self._resumed: list[Callable[[], Awaitable[None]]] = []
        self._lost: list[Callable[[], None]] = []

    def listen(self, handler: Handler) -> None:
        self._listeners.append(handler)

    def on_resumed(self, callback: Callable[[], Awaitable[None]]) -> None:
        self._resumed.append(callback)

    def on_lost(self, callback: Callable[[], None]) -> None:
        self._lost.append(callback)

    def lost(self) -> None:
        """The broker's connection went: this node may miss what is published."""
        for callback in self._lost:
            callback()

    async def deliver(self, envelope: Envelope) -> None:
        for listener in self._listeners:
            await listener(envelope)

    async def resumed(self) -> None:
        for callback in self._resumed:
            await callback()


class Hub:
    def __init__(
        self,
        *,
        broker: Broker,
        local: LocalDelivery,
        relay: Relay | None = None,
        presence: Presence | None = None,
        messages: MessageStore | None = None,
    ) -> None:
        self.broker = broker
        self.local = local
        self.relay = relay
        self.presence = presence
        self._sessions: dict[str, Session] = {}
        self.all_disconnected = asyncio.Event()  # set while no socket is connected
        self.all_disconnected.set()
        self.disconnecting = 0
        self._room_locks = KeyedLocks()
        # This node's sockets per party, as members and as moderators watching: the
        # node subscribes to each audience of a party while it has sockets in it.
        self._local: dict[str, dict[str, set[str]]] = {
            MEMBERS: defaultdict(set),
            MODERATORS: defaultdict(set),
        }
        # Chat to this node's sockets in id order, each id once (publish follows commit).
        self._chat = ChatOrder(local.deliver, messages)

    # ------------------------------------------------------------------ sessions
    def connect(self, session: str, user: User) -> None:
        self._sessions[session] = Session(user)
        self.all_disconnected.clear()

    def session(self, session: str) -> Session | None:
        return self._sessions.get(session)

    def user_of(self, session: str) -> User:
        found = self._sessions.get(session)
        if found is None:
            raise SyncError(Code.UNAUTHORIZED, "not connected")
        return found.user

    def pop_session(self, session: str) -> Session | None:
        return self._sessions.pop(session, None)

    def settle(self) -> None:
        """After a disconnect: note when nobody is left."""
        if not self._sessions and not self.disconnecting:
            self.all_disconnected.set()

    def session_ids(self) -> list[str]:
        return list(self._sessions)

    @property
    def session_count(self) -> int:
        return len(self._sessions)

    def require_joined(self, session: str, party_id: str) -> None:
        found = self._sessions.get(session)
        if found is None or party_id not in found.parties:
            raise forbidden("join the party first")

    def local_members(self) -> dict[str, list[str]]:
        """This node's member sockets, per party."""
        return {party_id: list(sessions) for party_id, sessions in self._local[MEMBERS].items()}

    def user_sessions(self, party_id: str, user_id: str) -> list[str]:
        """This node's sockets of the user that are in the party."""
        return [
            s
            for s in self._local[MEMBERS].get(party_id, ())
            if (found := self._sessions.get(s)) is not None
            and found.user.id == user_id
            and party_id in found.parties
        ]

    def delivered_chat(self, party_id: str) -> int:
        """The newest chat id this node handed to its sockets in the party: where a
        catch-up starts after the node was cut off from the broker."""
        return self._chat.delivered(party_id)

    async def catch_up_chat(self, party_id: str, messages: list[Message]) -> None:
        """Messages after ``delivered_chat``, read from the store, for this node's sockets."""
        await self._chat.catch_up(party_id, messages)

    async def close(self) -> None:
        await self._chat.close()

    # ------------------------------------------------------------------ audiences
    async def attach(self, session: str, party_id: str, audience: str = MEMBERS) -> None:
        # Per party, one at a time: the first socket in subscribes, the last one out
        # unsubscribes, and none may pass a subscription that is still under way.
        rooms = self._local[audience]
        async with self._room_locks.hold(party_id):
            local = rooms[party_id]
            if not local:
                try:
                    await self.broker.subscribe(party_id, audience)
                except BaseException:
                    del rooms[party_id]
                    raise
                if audience == MEMBERS:
                    try:
                        await self._chat.start(party_id)
                    except BaseException:
                        del rooms[party_id]
                        self._chat.stop(party_id)
                        await self.broker.unsubscribe(party_id, audience)
                        raise
            local.add(session)
        if audience == MEMBERS and self.presence is not None:
            await self.presence.add(party_id, session)
        await self.local.attach(session, party_id, audience)

    async def detach(self, session: str, party_id: str, audience: str = MEMBERS) -> None:
        await self.local.detach(session, party_id, audience)
        if audience == MEMBERS and self.presence is not None:
            await self.presence.remove(party_id, session)
        rooms = self._local[audience]
        async with self._room_locks.hold(party_id):
            local = rooms.get(party_id)
            if local is None:
                return
            local.discard(session)
            if not local:
                del rooms[party_id]
                if audience == MEMBERS:
                    self._chat.stop(party_id)
                await self.broker.unsubscribe(party_id, audience)

    async def leave_party(self, session: str, party_id: str) -> None:
        """The socket is no longer in the party here (the command is the caller's)."""
        found = self._sessions.get(session)
        if found is not None:
            found.parties.discard(party_id)
        await self.detach(session, party_id)

    async def watch(self, session: str, party_id: str) -> None:
        found = self._sessions[session]
        if party_id not in found.watching:
            found.watching.add(party_id)
            await self.attach(session, party_id, MODERATORS)

    async def unwatch(self, session: str, party_id: str) -> None:
        found = self._sessions.get(session)
        if found is not None and party_id in found.watching:
            found.watching.discard(party_id)
            await self.detach(session, party_id, MODERATORS)

    # ------------------------------------------------------------------ broker side
    async def publish(self, envelope: Envelope) -> None:
        """The one way out: every node with sockets in the audience gets it."""
        await self.broker.publish(envelope)

    async def on_envelope(self, envelope: Envelope) -> None:
        """An envelope for a party this node has sockets in: hand it to them, then
        do this node's part of what it says."""
        if isinstance(envelope.event, ChatPosted) and envelope.audience == MEMBERS:
            await self._chat.receive(envelope, envelope.event.message)
            return
        await self.local.deliver(envelope)
        party_id = envelope.party_id
        match envelope.event:
            case CameraChanged(user_id=user_id, camera=None):
                if self.relay is not None:
                    await self.relay.unpublish(party_id, user_id)
            case PartyEnded():
                if self.relay is not None:
                    await self.relay.drop_party(party_id)
                for session in list(self._local[MEMBERS].get(party_id, ())):
                    await self.leave_party(session, party_id)
            case _:
                pass
