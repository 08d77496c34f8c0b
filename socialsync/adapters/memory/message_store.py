"""MessageStore in this process's memory: tenants, parties and chat history for a
single node that needs no durability (tests, demos), and the messages the memory
ModerationStore takes down and puts back."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from socialsync.domain.chat.messages import Message, MessageDraft
from socialsync.domain.codec import party_from_data, playback_to_data, settings_to_data
from socialsync.domain.errors import Code, SyncError, not_found
from socialsync.domain.model import Party
from socialsync.domain.tenant import Tenant, TenantLimits

OnStored = Callable[[Message], Awaitable[None]]


@dataclass(slots=True)
class StoredMessage:
    """A message and its takedown: deleted ones stay for the audit trail."""

    message: Message
    deleted_at_ms: int | None = None
    deleted_by: str | None = None


class MemoryMessageStore:
    def __init__(self) -> None:
        self._tenants: dict[str, Tenant] = {}
        self._parties: dict[str, dict[str, Any]] = {}  # as the SQL row: members not recorded
        # Per party, message id - 1 -> the stored message (ids have no gaps).
        self._messages: dict[str, list[StoredMessage]] = defaultdict(list)
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def ping(self) -> None:
        return None

    async def append(self, draft: MessageDraft, on_stored: OnStored | None = None) -> tuple[Message, bool]:
        async with self._locks[draft.party_id]:
            stored = self._messages[draft.party_id]
            for row in stored:
                m = row.message
                if m.user_id == draft.user_id and m.nonce == draft.nonce:
                    return m, False
            fields = {f.name: getattr(draft, f.name) for f in dataclasses.fields(MessageDraft)}
            message = Message(id=len(stored) + 1, **fields)
            stored.append(StoredMessage(message))
            if on_stored is not None:
                await on_stored(message)  # after storing: raises with the message kept
            return message, True

    async def after(
        self, party_id: str, after_id: int, limit: int, viewer: str | None = None
    ) -> list[Message]:
        found = [m for m in self.visible(party_id, viewer) if m.id > after_id]
        return found[: max(limit, 0)]

    async def before(
        self, party_id: str, before_id: int | None, limit: int, viewer: str | None = None
    ) -> list[Message]:
        found = [m for m in self.visible(party_id, viewer) if before_id is None or m.id < before_id]
        return found[::-1][: max(limit, 0)]

    def visible(self, party_id: str, viewer: str | None) -> list[Message]:
        """Not deleted, and not shadow-muted unless the viewer wrote it (``"*"``: all)."""
        return [
            row.message
            for row in self._messages.get(party_id, [])
            if row.deleted_at_ms is None
            and (viewer == "*" or not row.message.hidden or row.message.user_id == viewer)
        ]

    def stored(self, party_id: str) -> list[StoredMessage]:
        """The party's messages, deleted ones included, in id order (for ModerationStore)."""
        return self._messages.get(party_id, [])

    async def record_party(self, party: Party) -> None:
        if party.tenant_id not in self._tenants:
            raise not_found(f"tenant {party.tenant_id!r} not found")
        row = {
            "title": party.title,
            "settings": settings_to_data(party.settings),
            "playback": playback_to_data(party.playback),
            "ended": party.ended,
        }
        # The definition never changes after creation.
        first: dict[str, Any] = {"id": party.id, "tenant_id": party.tenant_id}
        first |= {"created_at_ms": party.created_at_ms, "created_by": party.created_by}
        self._parties[party.id] = self._parties.get(party.id, first) | row

    async def load_party(self, party_id: str) -> Party | None:
        row = self._parties.get(party_id)
        if row is None:
            return None
        # Live state (members, versions, waits) is the PartyStore's: a fresh history.
        return party_from_data(row | {"version": 0, "wait_epoch": 0, "empty_since_ms": None})

    async def get_tenant(self, tenant_id: str) -> Tenant | None:
        return self._tenants.get(tenant_id)

    async def add_tenant(self, tenant: Tenant) -> None:
        if tenant.id in self._tenants:
            raise SyncError(Code.CONFLICT, f"tenant {tenant.id!r} already exists")
        self._tenants[tenant.id] = tenant

    async def set_tenant_policy(
        self, tenant_id: str, frame_ancestors: tuple[str, ...] | None, limits: TenantLimits
    ) -> None:
        tenant = self._tenants.get(tenant_id)
        if tenant is None:
            raise SyncError(Code.NOT_FOUND, f"tenant {tenant_id!r} not found")
        self._tenants[tenant_id] = replace(tenant, frame_ancestors=frame_ancestors, limits=limits)
