"""The optional synchronous chat hook (docs/chat-hook.md): a tenant's URL sees each chat
message that our own filter would deliver, before it is stored, and answers allow, mask
or reject within the tenant's deadline; a timeout, an error or a tenant at its cap of
calls in flight falls back to the tenant's choice (allow, or hold for review).

Order. A message takes its id when it is stored, and every node delivers a party's chat
in id order (services/chat_order.py). So the hook decides *before* the message takes its
place, and the messages of a party that go through the hook on this node take their
places in the order they passed our filter (``PartyTurns``): each one's call runs at
once, concurrently with the others', but it is stored only after the one before it was
stored, held or dropped. A hook that answers out of order delays the later messages (by
at most their own deadline, as the earlier calls started first), never reorders them;
nothing is published before the hook has decided, so no other member can see a message
the hook then rejects.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

from socialsync.domain.chat.messages import MessageDraft
from socialsync.domain.chat_hook import (
    MAX_ANSWER_BYTES,
    ChatHook,
    HookAnswerError,
    HookChange,
    Outcome,
    Ruling,
    StoredChatHook,
    change_hook,
    fallback,
    read_answer,
    request_for,
)
from socialsync.domain.errors import SyncError
from socialsync.domain.model import Party, User
from socialsync.domain.webhooks import ROTATION_OVERLAP_MS, SECRET_BYTES, secret_from_bytes
from socialsync.ports import Clock
from socialsync.ports.chat_hook import ChatHookCaller, ChatHookObserver, ChatHookStore, HookReply

log = logging.getLogger("socialsync.chat_hook")

# A tenant's hook is read again after this long (a change made on another node holds
# here within it; on this node at once).
CACHE_MS = 5_000
MAX_CACHED = 10_000
# A failing hook is logged at most this often per tenant (it is counted every time).
LOG_EVERY_S = 10.0


@dataclass(frozen=True)
class ChatHookSettings:
    """Built from the configuration (socialsync/config.py)."""

    allow_private: bool = False  # the webhooks' SSRF policy (docs/webhooks.md)
    max_in_flight: int = 64  # calls in flight per tenant on this node; beyond: the fallback at once
    cache_ms: int = CACHE_MS


class _Turn:
    """One message's place in its party's line."""

    def __init__(self, before: asyncio.Future[None] | None) -> None:
        self.before = before
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def wait(self) -> None:
        """Until the message before this one is stored, held or dropped."""
        if self.before is not None and not self.before.done():
            await asyncio.shield(self.before)

    def release(self) -> None:
        """This one is through: the next may go once the one before is through too
        (a message released early, a rejection, still keeps the line's order)."""
        if self.before is None or self.before.done():
            self._finish()
        else:
            self.before.add_done_callback(lambda _: self._finish())

    def _finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)


class PartyTurns:
    """Each party's hooked messages on this node, in the order they passed our filter."""

    def __init__(self) -> None:
        self._tails: dict[str, asyncio.Future[None]] = {}

    def take(self, party_id: str) -> _Turn:
        turn = _Turn(self._tails.get(party_id))
        self._tails[party_id] = turn.done
        turn.done.add_done_callback(lambda done: self._forget(party_id, done))
        return turn

    def _forget(self, party_id: str, done: asyncio.Future[None]) -> None:
        if self._tails.get(party_id) is done:  # the last in line is through: nothing waits
            del self._tails[party_id]

    def __len__(self) -> int:
        return len(self._tails)


class ChatHooks:
    """The tenants' hooks: their settings (for TenantPolicies) and the call per message."""

    def __init__(
        self,
        store: ChatHookStore,
        caller: ChatHookCaller,
        clock: Clock,
        observer: ChatHookObserver,
        settings: ChatHookSettings,
        random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        self.store = store
        self.caller = caller
        self.clock = clock
        self.observer = observer
        self.settings = settings
        self.random_bytes = random_bytes
        self.turns = PartyTurns()
        self._cache: dict[str, tuple[int, StoredChatHook | None]] = {}
        self._in_flight: dict[str, int] = {}
        self._logged: dict[str, float] = {}

    # ------------------------------------------------------------------ settings
    async def hook_of(self, tenant_id: str) -> ChatHook | None:
        """The tenant's hook as stored now (for its admins; never the secret)."""
        stored = await self.store.chat_hook(tenant_id)
        return None if stored is None else stored.hook

    def change(self, current: ChatHook | None, data: object, tenant_id: str) -> HookChange:
        """``data`` checked against ``current``: ValueError saying what is wrong."""
        return change_hook(current, data, tenant_id, self.clock.now_ms(), self.settings.allow_private)

    async def apply(self, tenant_id: str, change: HookChange) -> tuple[ChatHook | None, str | None]:
        """Store a checked change: the hook, and its new secret (shown once) when it has one.
        A rotated secret keeps signing beside the new one for 24 h."""
        self._cache.pop(tenant_id, None)
        if change.hook is None:
            await self.store.delete_chat_hook(tenant_id)
            return None, None
        current = await self.store.chat_hook(tenant_id)
        hook, secret = change.hook, None
        if current is None or change.new_secret:
            secret = secret_from_bytes(self.random_bytes(SECRET_BYTES))
        if current is None:
            stored = StoredChatHook(replace(hook, rotated_until_ms=None), str(secret))
        elif secret is not None:
            until = self.clock.now_ms() + ROTATION_OVERLAP_MS
            stored = StoredChatHook(replace(hook, rotated_until_ms=until), secret, current.secret)
        else:
            stored = StoredChatHook(hook, current.secret, current.previous_secret)
        await self.store.save_chat_hook(stored)
        self._cache.pop(tenant_id, None)
        return stored.hook, secret

    # ------------------------------------------------------------------ per message
    async def active(self, tenant_id: str) -> StoredChatHook | None:
        """The tenant's enabled hook (None: none, or turned off), from the cache when fresh."""
        now = self.clock.now_ms()
        cached = self._cache.get(tenant_id)
        if cached is not None and now - cached[0] < self.settings.cache_ms:
            return cached[1]
        try:
            stored = await self.store.chat_hook(tenant_id)
        except SyncError:
            if cached is None:
                raise
            return cached[1]  # the database is away: as it was
        if len(self._cache) >= MAX_CACHED:
            self._cache.clear()
        found = stored if stored is not None and stored.hook.enabled else None
        self._cache[tenant_id] = (now, found)
        return found

    @asynccontextmanager
    async def gate(self, party: Party, user: User, draft: MessageDraft) -> AsyncIterator[Ruling]:
        """The hook's ruling on ``draft`` (a plain allow where the tenant has no hook),
        given once the messages before it in the party's line are through; the next one
        waits until this block ends: store the message (or hold it) inside it."""
        stored = await self.active(party.tenant_id)
        if stored is None:
            yield Ruling("allow", draft.text)
            return
        turn = self.turns.take(party.id)
        try:
            ruling = await self.decide(stored, party, user, draft)
            await turn.wait()
            yield ruling
        finally:
            turn.release()

    async def decide(self, stored: StoredChatHook, party: Party, user: User, draft: MessageDraft) -> Ruling:
        hook, tenant = stored.hook, stored.hook.tenant_id
        in_flight = self._in_flight.get(tenant, 0)
        if in_flight >= self.settings.max_in_flight:
            self.observer.chat_hook(Outcome.BUSY.value, None)
            self._warn(tenant, f"at its cap of {self.settings.max_in_flight} calls in flight")
            return fallback(hook, Outcome.BUSY, draft.text)
        self._in_flight[tenant] = in_flight + 1
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            request = request_for(stored, party, user, draft, _request_id(), self.clock.now_ms())
            try:
                async with asyncio.timeout(hook.timeout_ms / 1000):
                    reply = await self.caller.post(hook.url, request.headers, request.body, MAX_ANSWER_BYTES)
            except TimeoutError:
                self._warn(tenant, f"no answer within {hook.timeout_ms} ms")
                ruling = fallback(hook, Outcome.TIMEOUT, draft.text)
            else:
                ruling = self._ruling(hook, reply, draft.text)
        finally:
            left = self._in_flight.pop(tenant, 1) - 1
            if left > 0:
                self._in_flight[tenant] = left
        self.observer.chat_hook(ruling.outcome.value, loop.time() - started)
        return ruling

    def _ruling(self, hook: ChatHook, reply: HookReply, text: str) -> Ruling:
        try:
            if reply.status is None:
                raise HookAnswerError(reply.error or "no answer")
            if reply.too_long:
                raise HookAnswerError(f"an answer over {MAX_ANSWER_BYTES} bytes")
            return read_answer(reply.status, reply.body, text)
        except HookAnswerError as exc:
            self._warn(hook.tenant_id, str(exc))
            return fallback(hook, Outcome.ERROR, text)

    def in_flight(self, tenant_id: str) -> int:
        return self._in_flight.get(tenant_id, 0)

    def _warn(self, tenant_id: str, what: str) -> None:
        now = asyncio.get_running_loop().time()
        if now - self._logged.get(tenant_id, -LOG_EVERY_S) < LOG_EVERY_S:
            return
        if len(self._logged) >= MAX_CACHED:
            self._logged.clear()
        self._logged[tenant_id] = now
        log.warning("chat hook failing: %s", what, extra={"tenant": tenant_id})


def _request_id() -> str:
    return "msg_" + secrets.token_hex(12)
