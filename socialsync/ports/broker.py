"""Fan-out of party notices between nodes, and delivery to this node's sockets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from socialsync.domain.notices import Notice


@dataclass(frozen=True, slots=True)
class Envelope:
    """One notice crossing the broker to every node with sockets in a party.

    ``to_user``: only that user's sockets get it: ``str(UserKey(tenant, user))``
    (domain/identity.py), never a bare user id, since tenants choose their ids. ``audience``: "members" (the
    party's sockets) or "moderators" (the sockets watching it from the panel).
    """

    party_id: str
    event: Notice
    to_user: str | None = None
    audience: str = "members"


@dataclass(frozen=True, slots=True)
class Packet:
    """Plain data on a pub/sub channel: what a networked broker carries (an envelope's
    notice as codec data), and what the media nodes' calls travel as."""

    party_id: str
    event: str
    payload: dict[str, Any]
    to_user: str | None = None
    audience: str = "members"


Handler = Callable[[Envelope], Awaitable[None]]
PacketHandler = Callable[[Packet], Awaitable[None]]


class Broker(Protocol):
    """Fan-out of party notices between nodes.

    Guarantees: envelopes published to one party's audience by one node arrive at
    every node subscribed to that audience of the party, in publish order, with
    their notice intact (equal to the one published); at-most-once (a node that is
    down misses them, and clients recover from the message store with ``since``).
    A node subscribes to an audience only while it has sockets in it: the
    moderators' traffic of a room nobody watches goes nowhere.
    """

    async def publish(self, envelope: Envelope) -> None: ...

    async def subscribe(self, party_id: str, audience: str = "members") -> None:
        """Start receiving the envelopes of the party's ``audience`` on this node's handler."""
        ...

    async def unsubscribe(self, party_id: str, audience: str = "members") -> None: ...

    async def close(self) -> None: ...


class LocalDelivery(Protocol):
    """This node's sockets: which party rooms they are in (as members, or as
    moderators watching), and delivery to them (encoding each notice once)."""

    async def attach(self, session: str, party_id: str, audience: str = "members") -> None: ...

    async def detach(self, session: str, party_id: str, audience: str = "members") -> None: ...

    async def deliver(self, envelope: Envelope) -> None: ...
