"""The durable record (tenants, parties, chat history) and the recent-chat cache."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from socialsync.domain.chat.messages import Message, MessageDraft
from socialsync.domain.model import Party
from socialsync.domain.tenant import Tenant, TenantLimits


class MessageStore(Protocol):
    """The durable record: tenants, parties and chat history.

    ``append`` gives each party's messages ids 1, 2, 3 ... with no gaps, and is
    idempotent per (party, user, nonce): a retry returns the stored message and
    ``created=False``. ``on_stored`` runs with the new message only once the append
    has committed (so nothing is ever published that is not stored), in id order
    per party on this node; if it raises, the message stays stored and ``append``
    raises that error (a retry with the nonce returns it, ``created=False``).
    Several nodes' ``on_stored`` calls may interleave out of id order: the
    receiving side orders them (services/chat_order.py). The ids are gapless among
    committed messages, and a message is committed only after every lower id of
    its party was (the counter stays locked until commit), so whoever holds id N
    may read every id below N from the store.
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

    async def set_tenant_policy(
        self, tenant_id: str, frame_ancestors: tuple[str, ...] | None, limits: TenantLimits
    ) -> None:
        """Replace the tenant's embedders and own limits. SyncError(not_found) if none."""
        ...


class RecentMessages(Protocol):
    """A bounded cache of each party's newest messages (adapters/recent_redis.py)."""

    async def add(self, message: Message) -> None: ...

    async def remove(self, party_id: str, message_id: int) -> None: ...

    async def after(
        self, party_id: str, after_id: int, limit: int, viewer: str | None
    ) -> list[Message] | None: ...
