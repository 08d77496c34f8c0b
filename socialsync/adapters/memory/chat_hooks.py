"""Tenants' chat hooks in this process (tests; ports/chat_hook.py)."""

from __future__ import annotations

from socialsync.domain.chat_hook import StoredChatHook


class MemoryChatHooks:
    def __init__(self) -> None:
        self._by_tenant: dict[str, StoredChatHook] = {}

    async def chat_hook(self, tenant_id: str) -> StoredChatHook | None:
        return self._by_tenant.get(tenant_id)

    async def save_chat_hook(self, stored: StoredChatHook) -> None:
        self._by_tenant[stored.hook.tenant_id] = stored

    async def delete_chat_hook(self, tenant_id: str) -> bool:
        return self._by_tenant.pop(tenant_id, None) is not None
