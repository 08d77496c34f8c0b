"""Chat and reactions: rate limits and moderation in front of the message store.

A message is published once the store has committed it (see
PartyService.publish_message), and needs no lock of the party's state: a slow
database write never delays a playback command. Reactions are summed per party
in short windows and sent as one burst.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, replace

from socialsync.domain.chat.messages import Message, MessageDraft
from socialsync.domain.chat.reactions import DEFAULT_EMOJI, ReactionWindow
from socialsync.domain.chat_hook import Ruling
from socialsync.domain.errors import Code, SyncError, bad_request, forbidden, not_found
from socialsync.domain.identity import UserKey
from socialsync.domain.model import Party, User
from socialsync.domain.notices import ReactionBurst
from socialsync.domain.ratelimit import Buckets, Limit
from socialsync.ports import Observer, Verdict
from socialsync.services.chat_hook import ChatHooks
from socialsync.services.moderation import ModerationService, Screened
from socialsync.services.parties import PartyService

log = logging.getLogger("socialsync.services.chat")

# Buckets of users who went quiet are forgotten once there are this many.
MAX_BUCKETS = 100_000


@dataclass(frozen=True)
class Limits:
    """Built from the configuration (socialsync/config.py holds the defaults)."""

    chat: Limit
    # For the first minute in a room (newcomers), on top of ``chat``.
    newcomer_chat: Limit
    reaction: Limit
    reaction_window_ms: int
    emoji: frozenset[str] = frozenset(DEFAULT_EMOJI)


class RateLimits:
    """One token bucket per (tenant, user, kind of message) on this node: tenants
    choose their users' ids, so the tenant is part of every key."""

    def __init__(self) -> None:
        self._buckets: Buckets[tuple[UserKey, str]] = Buckets(MAX_BUCKETS)

    def take(
        self,
        user: UserKey,
        kind: str,
        limit: Limit,
        now_ms: int,
        message: str | None = None,
        reason: str | None = None,
    ) -> None:
        """A token of ``user``'s ``kind`` bucket, or rate_limited (``message``, or
        "too many {kind} messages"; ``reason``, protocol 1.4) with how long until the next."""
        wait_s = self._buckets.take((user, kind), limit, now_ms)
        if wait_s:
            raise SyncError(
                Code.RATE_LIMITED, message or f"too many {kind} messages", retry_after_s=wait_s, reason=reason
            )


def _key(user: User) -> UserKey:
    return UserKey(user.tenant_id, user.id)


class ChatService:
    def __init__(
        self,
        parties: PartyService,
        moderation: ModerationService,
        observer: Observer,
        limits: Limits,
        hooks: ChatHooks | None = None,
    ) -> None:
        self.parties = parties
        self.moderation = moderation
        self.observer = observer
        self.limits = limits
        # Tenants' synchronous chat hooks (docs/chat-hook.md), after our own filter.
        self.hooks = hooks
        self._rates = RateLimits()
        self._reactions: dict[str, ReactionWindow] = {}
        self._flushes: set[asyncio.Task[None]] = set()

    async def send_chat(
        self,
        session: str,
        party_id: str,
        text: str,
        nonce: str,
        reply_to: int | None,
        media_time: float | None,
    ) -> Message | None:
        """The message as delivered, or None when it was held for review."""
        parties, moderation = self.parties, self.moderation
        user = parties.user_of(session)
        party = await parties.joined_party(session, party_id)
        now = parties.clock.now_ms()
        if moderation.newcomer(party, user, now):
            self._rates.take(_key(user), "newcomer chat", self.limits.newcomer_chat, now)
        self._rates.take(_key(user), "chat", self.limits.chat, now)
        screened = await moderation.screen(user, party, text, now)
        if reply_to is not None:
            found = await parties.messages.after(party_id, reply_to - 1, 1, viewer=user.id)
            if not found or found[0].id != reply_to:
                raise bad_request(f"reply_to: no message {reply_to} in this party")
        draft = MessageDraft(
            party_id,
            user.id,
            user.name,
            screened.verdict.text,
            now,
            nonce,
            media_time,
            reply_to,
            hidden=screened.hidden,
        )
        if screened.verdict.action == "hold":
            await moderation.hold(user, draft, screened.verdict.reasons)
            moderation.posted(party, user, now)
            return None
        verdict = screened.verdict
        # The tenant's hook decides before the message takes its id; its party's next
        # hooked message is stored only after this block (services/chat_hook.py).
        async with self._hook_gate(party, user, draft, screened) as ruling:
            if ruling.action == "reject":
                raise SyncError(Code.MODERATED, ruling.reason)  # the hook's words, to its sender
            if ruling.action == "hold":
                await moderation.hold(user, draft, ruling.reasons)
                moderation.posted(party, user, now)
                return None
            if ruling.action == "mask":
                draft = replace(draft, text=ruling.text)
                verdict = Verdict("mask", ruling.text, (*verdict.reasons, "chat_hook"))
            message, created = await parties.messages.append(draft, parties.publish_message)
        if not created:
            # A retry: its first attempt may have stored it but failed to publish it
            # (or died doing so). Publish again; nodes drop the ids they delivered.
            await parties.publish_message(message)
        if created:
            moderation.posted(party, user, now)
            await moderation.observed(message, verdict, text)
            self.observer.message("chat")
            if parties.analytics is not None and not message.hidden:
                parties.analytics.posted(party, user, media_time, now)
        return message

    def _hook_gate(
        self, party: Party, user: User, draft: MessageDraft, screened: Screened
    ) -> AbstractAsyncContextManager[Ruling]:
        """The tenant's hook, for a message others would see (a shadow-muted one reaches
        nobody else: not sent)."""
        if self.hooks is None or screened.hidden:
            return nullcontext(Ruling("allow", draft.text))
        return self.hooks.gate(party, user, draft)

    async def history(
        self, session: str, party_id: str, before: int | None, after: int | None, limit: int
    ) -> list[Message]:
        parties = self.parties
        viewer = parties.user_of(session).id
        await parties.joined_party(session, party_id)
        if after is not None:
            if before is not None:
                raise bad_request("give before or after, not both")
            return await parties.messages_after(party_id, after, limit, viewer)
        return await parties.messages.before(party_id, before, limit, viewer=viewer)

    async def export(self, actor: User, party_id: str, after_id: int, limit: int) -> list[Message]:
        """REST: a party's messages after ``after_id``, oldest first, for the tenant's staff;
        an ended party's too. Deleted messages never; shadow-muted ones included (their
        ``hidden`` says so)."""
        if not actor.is_staff:
            raise forbidden("exporting a party's chat is for the tenant's moderators and admins")
        party = await self.parties.messages.load_party(party_id)
        if party is None or party.tenant_id != actor.tenant_id:
            raise not_found("no such party")
        return await self.parties.messages.after(party_id, after_id, limit, viewer="*")

    async def react(self, session: str, party_id: str, emoji: str) -> None:
        parties = self.parties
        user = parties.user_of(session)
        party = await parties.joined_party(session, party_id)
        if emoji not in self.limits.emoji:
            raise bad_request(f"emoji: one of {' '.join(sorted(self.limits.emoji))}")
        now = parties.clock.now_ms()
        await self.moderation.check_may_post(user, party, now, reaction=True)
        self._rates.take(_key(user), "reaction", self.limits.reaction, now)
        window = self._reactions.get(party_id)
        if window is None:
            window = self._reactions[party_id] = ReactionWindow(now)
            task = asyncio.create_task(self._flush_reactions(party_id, window))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)
        window.add(emoji)
        if parties.analytics is not None:
            parties.analytics.posted(party, user, None, now, emoji)

    async def _flush_reactions(self, party_id: str, window: ReactionWindow) -> None:
        await asyncio.sleep(self.limits.reaction_window_ms / 1000)
        if self._reactions.get(party_id) is window:
            del self._reactions[party_id]
        try:
            burst = ReactionBurst(party_id, dict(window.counts), self.limits.reaction_window_ms)
            await self.parties.publish(party_id, burst)
        except SyncError as exc:
            log.warning("reaction burst for %s lost: %s", party_id, exc.message)
        self.observer.message("reaction.burst")
        if self.parties.webhooks is not None:  # counted for the party's summary
            self.parties.webhooks.reacted(party_id, sum(window.counts.values()))

    async def close(self) -> None:
        """Send the open reaction windows: they are owed to members."""
        pending = list(self._flushes)
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
