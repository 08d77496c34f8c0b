"""The optional synchronous chat hook (docs/chat-hook.md): where tenants' hooks are kept
(``ChatHookStore``), the HTTP call to one (``ChatHookCaller``) and the metrics
(``ChatHookObserver``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from socialsync.domain.chat_hook import StoredChatHook


class ChatHookStore(Protocol):
    """One hook per tenant with its secrets, shared by every node (SQL) or this process
    (memory). A write holds for every node's next read (readers cache for a few seconds:
    services/chat_hook.py). Keyed by tenant: one tenant's id never reaches another's hook.
    Secrets are stored sealed where the store can (SQL: the tenant secrets' box)."""

    async def chat_hook(self, tenant_id: str) -> StoredChatHook | None: ...

    async def save_chat_hook(self, stored: StoredChatHook) -> None:
        """Insert or replace the tenant's hook. SyncError(not_found) for no such tenant (SQL)."""
        ...

    async def delete_chat_hook(self, tenant_id: str) -> bool:
        """Whether there was one."""
        ...


@dataclass(frozen=True, slots=True)
class HookReply:
    """What came back: the HTTP status and up to the answer limit of its body, or no
    status and why (``refused: a private address``, a connection error, a redirect
    is a status like any other: never followed)."""

    status: int | None
    body: bytes = b""
    error: str | None = None
    too_long: bool = False  # the body was longer than asked for


class ChatHookCaller(Protocol):
    """POSTs one signed request. Never raises for the target's faults (they come back as
    ``error``); the caller bounds the time (cancellation closes the attempt). Connections
    are reused across calls; the target's resolved addresses are checked on every new
    connection (SSRF, docs/webhooks.md)."""

    async def post(self, url: str, headers: Mapping[str, str], body: bytes, max_answer: int) -> HookReply: ...


class ChatHookObserver(Protocol):
    """The hook's metrics. Never fails, never blocks."""

    def chat_hook(self, outcome: str, seconds: float | None) -> None:
        """One message's outcome at the hook (domain/chat_hook.py ``Outcome``) and how long
        the call took (None: not called, the tenant was at its cap)."""
        ...
