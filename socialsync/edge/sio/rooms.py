"""This node's Socket.IO rooms: the hub's LocalDelivery. Each notice is encoded into
its wire event here, once per node, and emitted to the room it is for."""

from __future__ import annotations

import socketio

from socialsync.domain.identity import UserKey
from socialsync.ports import Envelope
from socialsync.protocol.outbound import notice_out


def party_room(party_id: str, audience: str = "members") -> str:
    return f"p:{party_id}" if audience == "members" else f"m:{party_id}"


def user_room(key: UserKey | str) -> str:
    """A user's room: ``u:<tenant>:<sub>`` (an envelope's ``to_user`` is the key's text)."""
    return f"u:{key}"


class SocketRooms:
    def __init__(self, sio: socketio.AsyncServer, public_url: str | None) -> None:
        self.sio = sio
        self.public_url = public_url

    async def attach(self, session: str, party_id: str, audience: str = "members") -> None:
        await self.sio.enter_room(session, party_room(party_id, audience))

    async def detach(self, session: str, party_id: str, audience: str = "members") -> None:
        await self.sio.leave_room(session, party_room(party_id, audience))

    async def deliver(self, envelope: Envelope) -> None:
        if envelope.to_user is not None:
            room = user_room(envelope.to_user)
        else:
            room = party_room(envelope.party_id, envelope.audience)
        event, payload = notice_out(envelope.event, self.public_url)
        await self.sio.emit(event, payload, room=room)
