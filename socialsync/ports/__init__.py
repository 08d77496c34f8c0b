"""What the service needs from the world. Each port has a memory implementation (the
embedded default and the test double) and, where it matters, a networked one.

Delivery and consistency guarantees are part of each contract and are checked by
the shared contract suites in tests/contract.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from socialsync.domain.chat.messages import Message, MessageDraft, Tenant
from socialsync.domain.model import Party


class Clock(Protocol):
    def now_ms(self) -> int:
        """Server epoch milliseconds."""
        ...


class PartyStore(Protocol):
    """Live party state. Writes are compare-and-set on ``Party.version``."""

    async def get(self, party_id: str) -> Party | None: ...

    async def create(self, party: Party) -> None:
        """Store a new party. Raises SyncError(conflict) if the id is taken."""
        ...

    async def save(self, party: Party, expected_version: int) -> bool:
        """Replace the stored party if its version is still ``expected_version``.

        Returns False (and stores nothing) when someone else committed first.
        """
        ...

    async def delete(self, party_id: str) -> None: ...

    async def list(self, tenant_id: str) -> list[Party]: ...


class MessageStore(Protocol):
    """The durable record: tenants, parties and chat history.

    ``append`` gives each party's messages ids 1, 2, 3 ... with no gaps, and is
    idempotent per (party, user, nonce): a retry returns the stored message and
    ``created=False``. ``on_stored`` runs with the new message before the append
    commits, while the party's next id is still locked (on every node, the store
    being shared): what it publishes goes out in id order; if it raises, nothing is
    stored.
    """

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        ...

    async def append(
        self, draft: MessageDraft, on_stored: Callable[[Message], Awaitable[None]] | None = None
    ) -> tuple[Message, bool]: ...

    async def after(
        self, party_id: str, after_id: int, limit: int, viewer: str | None = None
    ) -> list[Message]:
        """Messages with id > after_id, oldest first.

        Deleted messages never; shadow-muted ones only to their author (``viewer``),
        or to everyone with ``viewer="*"`` (moderators).
        """
        ...

    async def before(
        self, party_id: str, before_id: int | None, limit: int, viewer: str | None = None
    ) -> list[Message]:
        """Messages with id < before_id (or the newest), newest first; visibility as ``after``."""
        ...

    async def record_party(self, party: Party) -> None:
        """Insert or update the party's durable row (definition, last playback, end)."""
        ...

    async def load_party(self, party_id: str) -> Party | None:
        """The party as last recorded (members are not recorded)."""
        ...

    async def get_tenant(self, tenant_id: str) -> Tenant | None: ...

    async def add_tenant(self, tenant: Tenant) -> None:
        """Insert a tenant. Raises SyncError(conflict) if the id is taken."""
        ...


@dataclass(frozen=True, slots=True)
class Envelope:
    """One message crossing the broker to every node with members in a party.

    ``to_user``: only that user's sockets get it. ``audience``: "members" (the
    party's sockets) or "moderators" (the sockets watching it from the panel).
    """

    party_id: str
    event: str
    payload: dict[str, Any]
    to_user: str | None = None
    audience: str = "members"


Handler = Callable[[Envelope], Awaitable[None]]


class Broker(Protocol):
    """Fan-out of party events between nodes.

    Guarantees: messages published to one party's audience by one node arrive at
    every node subscribed to that audience of the party, in publish order;
    at-most-once (a node that is down misses them, and clients recover from the
    message store with ``since``). A node subscribes to an audience only while it
    has sockets in it: the moderators' traffic of a room nobody watches goes nowhere.
    """

    async def publish(self, envelope: Envelope) -> None: ...

    async def subscribe(self, party_id: str, audience: str = "members") -> None:
        """Start receiving the envelopes of the party's ``audience`` on this node's handler."""
        ...

    async def unsubscribe(self, party_id: str, audience: str = "members") -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ModerationContext:
    tenant_id: str
    party_id: str
    user_id: str
    live_room: bool
    now_ms: int = 0
    links: bool = True
    link_domains: tuple[str, ...] = ()
    blocked_terms: tuple[str, ...] = ()
    allowed_terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Verdict:
    """allow (text as given), mask (``text`` is the masked text), hold or reject."""

    action: str
    text: str
    reasons: tuple[str, ...] = ()


class Moderator(Protocol):
    def check(self, text: str, context: ModerationContext) -> Verdict: ...


class LocalDelivery(Protocol):
    """This node's sockets: which party rooms they are in (as members, or as
    moderators watching), and delivery to them."""

    async def attach(self, session: str, party_id: str, audience: str = "members") -> None: ...

    async def detach(self, session: str, party_id: str, audience: str = "members") -> None: ...

    async def deliver(self, envelope: Envelope) -> None: ...


class Timers(Protocol):
    async def schedule(self, party_id: str, key: str, due_ms: int) -> None: ...


class RecentMessages(Protocol):
    """A bounded cache of each party's newest messages (adapters/recent_redis.py)."""

    async def add(self, message: Message) -> None: ...

    async def remove(self, party_id: str, message_id: int) -> None: ...

    async def after(
        self, party_id: str, after_id: int, limit: int, viewer: str | None
    ) -> list[Message] | None: ...


class Relay(Protocol):
    """This node's media relay (adapters/rtc_sfu.py): what the service tells it."""

    async def unpublish(self, party_id: str, user_id: str) -> None: ...

    async def drop_session(self, session: str, party_id: str | None = None) -> object: ...

    async def drop_party(self, party_id: str) -> None: ...


class Presence(Protocol):
    """Where the cluster learns which node holds which party sessions (see
    adapters/presence_redis.py); a single node needs none."""

    async def add(self, party_id: str, session: str) -> None: ...

    async def remove(self, party_id: str, session: str) -> None: ...

    async def restore(self, pairs: Iterable[tuple[str, str]]) -> None: ...


class Observer(Protocol):
    """Where the service reports what it saw (metrics)."""

    def drift(self, drift_s: float) -> None: ...

    def message(self, kind: str) -> None: ...
