"""Moderation orchestration: who may post, moderator actions, the review queue,
reports and the audit log. The rules themselves are pure (domain/moderation/sanctions.py,
the Moderator filter); this module loads, stores and announces."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from socialsync.domain.audit import report_details
from socialsync.domain.chat.messages import Message, MessageDraft
from socialsync.domain.errors import Code, SyncError, forbidden, not_found
from socialsync.domain.identity import UserKey
from socialsync.domain.model import ChatRules, Party, Role, User
from socialsync.domain.moderation.sanctions import (
    AuditEntry,
    FilterNote,
    Held,
    Report,
    Sanction,
    SanctionKind,
    active_sanction,
    check_may_post,
)
from socialsync.domain.notices import (
    Audited,
    ChatDeleted,
    ChatRestored,
    HeldResolved,
    MessageHeld,
    MessageObserved,
    MessageReported,
    Notice,
)
from socialsync.domain.party import commands as c
from socialsync.domain.webhooks import EventDraft, message_held, message_reported, moderation_action
from socialsync.ports import ModerationContext, Moderator, Verdict
from socialsync.ports.moderation_store import AuditFilter, ModerationStore
from socialsync.ports.webhooks import Outbox, WebhookEvents
from socialsync.services.guest_bans import GuestBans
from socialsync.services.hub import MODERATORS
from socialsync.services.parties import PartyService
from socialsync.services.sanctions import SANCTIONS_TTL_MS, SanctionBook

log = logging.getLogger("socialsync.services.moderation")

T = TypeVar("T")

# This many distinct members reporting one message (or clip) take it down for review.
REPORTS_TO_HOLD = 3
# Users who joined the room this recently get a tighter chat allowance: the
# copy-paste raid arrives as a wave of new accounts.
NEWCOMER_MS = 60_000
# The longest timeout (a longer one is a ban).
MAX_TIMEOUT_S = 86_400
# Audit actions of a sanction placed, and lifted, by kind.
_PLACED = {"ban": "ban", "timeout": "timeout", "shadow_mute": "shadow_mute"}
_LIFTED = {"ban": "unban", "timeout": "end_timeout", "shadow_mute": "unshadow_mute"}


@dataclass(frozen=True)
class Screened:
    """What the checks decided for one chat message."""

    verdict: Verdict
    hidden: bool  # shadow-muted: only its author will see it


@dataclass(frozen=True)
class Snapshot:
    """What a moderator's panel starts from when it watches a room."""

    party: Party
    messages: list[Message]
    held: list[Held]
    reports: list[Report]
    notes: dict[int, FilterNote]  # by message id: what the filter said (review window)


@dataclass(frozen=True)
class Room:
    party: Party
    held: int
    reports: int


@dataclass(frozen=True)
class TakenDown:
    """What a takedown by reports did, for the audit log."""

    action: str
    target_user: str
    details: dict[str, Any]


def reports_actor(tenant_id: str) -> User:
    """Who the audit log names for a takedown by reports: the reports themselves (as a
    message's ``deleted_by`` does), not the member whose report happened to be last."""
    return User("reports", "reports", tenant_id)


def is_host(party: Party, user: User) -> bool:
    member = party.members.get(user.id)
    return member is not None and member.role is Role.HOST


class ModerationService:
    def __init__(
        self,
        parties: PartyService,
        store: ModerationStore,
        moderator: Moderator,
        sanctions: SanctionBook,
        guest_bans: GuestBans | None = None,
        webhooks: WebhookEvents | None = None,
    ) -> None:
        self.parties = parties
        self.store = store
        self.moderator = moderator
        self.sanctions = sanctions
        # A guest's ban also bans its client's fingerprint for a while (guest_bans.py).
        self.guest_bans = guest_bans
        # Platforms' webhooks: each record's events are written in its transaction.
        self.webhooks = webhooks
        self._last_post: dict[tuple[str, UserKey], int] = {}
        # Each tenant's own terms, with when they were read (re-read like sanctions).
        self._tenant_terms: dict[str, tuple[int, tuple[tuple[str, ...], tuple[str, ...]]]] = {}

    # ------------------------------------------------------------------ gatekeeping
    async def check_may_post(
        self, user: User, party: Party, now_ms: int, *, reaction: bool = False
    ) -> list[Sanction]:
        """Bans, timeouts and the room's modes (locked, emote only, members only) refuse
        a post (a message, a reaction or a clip); slow mode only messages. Returns the
        user's sanctions."""
        sanctions = await self.sanctions.sanctions_of(user, now_ms)
        check_may_post(
            user,
            party.id,
            party.settings.chat,
            sanctions,
            now_ms,
            reaction=reaction,
            last_post_ms=None,
            host=is_host(party, user),
        )
        return sanctions

    async def shadow_muted(self, user: User, party_id: str, now_ms: int) -> bool:
        sanctions = await self.sanctions.sanctions_of(user, now_ms)
        return active_sanction(sanctions, party_id, SanctionKind.SHADOW_MUTE, now_ms) is not None

    async def screen(self, user: User, party: Party, text: str, now_ms: int) -> Screened:
        """Room modes and sanctions first (they refuse), then the content filter."""
        sanctions = await self.sanctions.sanctions_of(user, now_ms)
        rules = party.settings.chat
        check_may_post(
            user,
            party.id,
            rules,
            sanctions,
            now_ms,
            reaction=False,
            last_post_ms=self._last_post.get((party.id, UserKey(user.tenant_id, user.id))),
            host=is_host(party, user),
        )
        tenant_blocked, tenant_allowed = await self._terms_of(user.tenant_id, now_ms)
        context = ModerationContext(
            user.tenant_id,
            party.id,
            user.id,
            party.is_live_room,
            now_ms,
            rules.links,
            rules.link_domains,
            tenant_blocked + rules.blocked_terms,
            tenant_allowed + rules.allowed_terms,
        )
        verdict = self.moderator.check(text, context)
        if verdict.action == "reject":
            if verdict.reasons == ("link",):
                raise SyncError(Code.MODERATED, "links are off in this room")
            raise SyncError(Code.MODERATED, "the message was not accepted")
        shadow = active_sanction(sanctions, party.id, SanctionKind.SHADOW_MUTE, now_ms) is not None
        if shadow and verdict.action == "hold":
            # Nobody else would see it anyway: review would only let it out.
            verdict = Verdict("mask", verdict.text, verdict.reasons)
        return Screened(verdict, hidden=shadow)

    async def screen_text(self, user: User, party: Party, text: str, now_ms: int) -> Verdict:
        """The content filter alone (words, the tenant's and the room's terms, links), for
        text that is not a chat message (a poll's question and choices): judged in a scope
        of its own, so it is nobody's repeat and nothing repeats it."""
        rules = party.settings.chat
        tenant_blocked, tenant_allowed = await self._terms_of(user.tenant_id, now_ms)
        context = ModerationContext(
            user.tenant_id,
            f"{party.id}#{secrets.token_hex(6)}",
            user.id,
            party.is_live_room,
            now_ms,
            rules.links,
            rules.link_domains,
            tenant_blocked + rules.blocked_terms,
            tenant_allowed + rules.allowed_terms,
        )
        return self.moderator.check(text, context)

    def posted(self, party: Party, user: User, now_ms: int) -> None:
        """A message went out (or into review): slow mode counts from now."""
        if party.settings.chat.slow_mode_s:
            if len(self._last_post) > 100_000:
                self._last_post.clear()  # a bound; slow mode restarts for everyone at worst
            self._last_post[(party.id, UserKey(user.tenant_id, user.id))] = now_ms

    def newcomer(self, party: Party, user: User, now_ms: int) -> bool:
        member = party.members.get(user.id)
        return member is not None and now_ms - member.joined_at_ms < NEWCOMER_MS and not user.is_staff

    async def hold(self, user: User, draft: MessageDraft, reasons: tuple[str, ...]) -> Held:
        held = await self.store.hold(
            Held(
                user.tenant_id,
                draft.party_id,
                draft.user_id,
                draft.user_name,
                draft.text,
                draft.ts_ms,
                draft.nonce,
                reasons,
                "filter",
                draft.media_time_s,
                draft.reply_to,
            ),
            outbox=await self.outbox(user.tenant_id, lambda h: [message_held(h)]),
        )
        await self.to_moderators(draft.party_id, MessageHeld(held))
        return held

    async def observed(self, message: Message, verdict: Verdict, original: str | None = None) -> None:
        """Every delivered message, as the moderators watching the room see it; what the
        filter said of it is kept for the panels that open the room later (all but a
        plain allow), for the review window (Retention.deleted_text_days)."""
        notice = MessageObserved(message, verdict.action, verdict.reasons, original)
        await self.to_moderators(message.party_id, notice)
        if verdict.action != "allow" or verdict.reasons:
            masked = original if original is not None and original != message.text else None
            note = FilterNote(
                message.party_id, message.id, verdict.action, tuple(verdict.reasons), message.ts_ms, masked
            )
            try:
                await self.store.note(note)
            except SyncError as exc:  # delivered already: a panel opened later lacks the note
                log.warning("a filter note was not kept: %s", exc.message)

    async def _terms_of(self, tenant_id: str, now_ms: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        cached = self._tenant_terms.get(tenant_id)
        if cached is not None and now_ms - cached[0] < SANCTIONS_TTL_MS:
            return cached[1]
        terms = await self.store.tenant_terms(tenant_id)
        self._tenant_terms[tenant_id] = (now_ms, terms)
        return terms

    async def set_tenant_terms(
        self, actor: User, blocked: tuple[str, ...] | None, allowed: tuple[str, ...] | None, now_ms: int
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The tenant's (blocked, allowed) terms, after the change if any."""
        if not actor.is_staff:
            raise forbidden("the tenant's terms are for moderators")
        current_blocked, current_allowed = await self.store.tenant_terms(actor.tenant_id)
        if blocked is None and allowed is None:
            return current_blocked, current_allowed
        new_blocked = current_blocked if blocked is None else blocked
        new_allowed = current_allowed if allowed is None else allowed
        await self.store.set_tenant_terms(actor.tenant_id, new_blocked, new_allowed, now_ms)
        self._tenant_terms.pop(actor.tenant_id, None)
        await self.record(
            actor,
            None,
            "tenant_terms",
            now_ms,
            details={"blocked_terms": list(new_blocked), "allowed_terms": list(new_allowed)},
        )
        return new_blocked, new_allowed

    # ------------------------------------------------------------------ who may moderate
    async def authorise(self, actor: User, party_id: str) -> Party:
        """The party, if ``actor`` may moderate it (other content's services use this too)."""
        party = await self.parties.get(actor, party_id)
        if actor.is_staff:
            return party
        member = party.members.get(actor.id)
        if member is None or member.role is not Role.HOST or not member.connected:
            raise forbidden("only moderators, or the host in their own party, may do this")
        return party

    async def record(
        self, actor: User, party_id: str | None, action: str, now_ms: int, **fields: Any
    ) -> None:
        """An entry in the audit log, announced to the room's moderators."""
        entry = await self.store.audit(
            AuditEntry(actor.tenant_id, party_id, actor.id, actor.name, action, now_ms, **fields),
            outbox=await self.outbox(actor.tenant_id, lambda e: [moderation_action(e)]),
        )
        # Party ids are invite secrets and user ids personal data: the audit log has
        # them, the info log only what happened.
        log.info("moderation", extra={"action": action})
        if party_id is not None:
            await self.to_moderators(party_id, Audited(entry))

    async def outbox(self, tenant_id: str, build: Callable[[T], Sequence[EventDraft]]) -> Outbox[T] | None:
        """What a store call takes to write its change's webhook events in its transaction."""
        return None if self.webhooks is None else await self.webhooks.outbox_for(tenant_id, build)

    async def to_moderators(self, party_id: str, notice: Notice) -> None:
        await self.parties.publish(party_id, notice, audience=MODERATORS)

    async def to_everyone(self, party_id: str, notice: Notice) -> None:
        """To the party's members and to its moderators."""
        await self.parties.publish(party_id, notice)
        await self.to_moderators(party_id, notice)

    async def counted_report(
        self,
        tenant_id: str,
        party_id: str,
        count: int | None,
        notice: Notice,
        take_down: Callable[[], Awaitable[TakenDown | None]],
        now_ms: int,
    ) -> None:
        """A member's report of some content, as its store counted it (None: a repeat,
        counted once): the room's moderators see it, and the REPORTS_TO_HOLD-th
        distinct reporter takes the content down, into the audit log."""
        if count is None:
            return
        await self.to_moderators(party_id, notice)
        if count != REPORTS_TO_HOLD:
            return
        taken = await take_down()
        if taken is not None:
            await self.record(
                reports_actor(tenant_id),
                party_id,
                taken.action,
                now_ms,
                target_user=taken.target_user,
                details=taken.details,
            )

    # ------------------------------------------------------------------ actions
    async def delete(
        self, actor: User, party_id: str, message_id: int, reason: str | None, now_ms: int
    ) -> None:
        await self.authorise(actor, party_id)
        message = await self.store.message(party_id, message_id)
        deleted = await self.store.delete_messages(party_id, actor.id, now_ms, ids=[message_id])
        if message is None or not deleted:
            raise not_found(f"no message {message_id} in this room")
        await self._announce_deleted(party_id, deleted)
        await self.record(
            actor,
            party_id,
            "delete",
            now_ms,
            target_user=message.user_id,
            target_message=message_id,
            reason=reason,
            details={"text": message.text},
        )

    async def purge(
        self, actor: User, party_id: str, user_id: str, minutes: int, reason: str | None, now_ms: int
    ) -> list[int]:
        await self.authorise(actor, party_id)
        since = now_ms - minutes * 60_000
        deleted = await self.store.delete_messages(
            party_id, actor.id, now_ms, user_id=user_id, since_ms=since
        )
        await self._announce_deleted(party_id, deleted)
        await self.record(
            actor,
            party_id,
            "purge",
            now_ms,
            target_user=user_id,
            reason=reason,
            details={"minutes": minutes, "deleted": deleted},
        )
        return deleted

    async def sanction(
        self,
        actor: User,
        party_id: str | None,
        user_id: str,
        kind: SanctionKind,
        seconds: int | None,
        reason: str | None,
        now_ms: int,
        *,
        tenant_wide: bool = False,
    ) -> Sanction:
        await self._may_sanction(actor, party_id, tenant_wide, "only moderators ban from the whole tenant")
        if user_id == actor.id:
            raise SyncError(Code.BAD_REQUEST, "you cannot sanction yourself")
        if kind is SanctionKind.TIMEOUT and (seconds is None or seconds > MAX_TIMEOUT_S):
            raise SyncError(Code.BAD_REQUEST, f"seconds: a timeout lasts 1 to {MAX_TIMEOUT_S} s")
        until = None if seconds is None else now_ms + seconds * 1000
        scope = None if tenant_wide else party_id
        sanction = await self.store.add_sanction(
            Sanction(actor.tenant_id, scope, user_id, kind, until, reason, actor.id, now_ms)
        )
        self.sanctions.changed(actor.tenant_id)
        if kind is SanctionKind.BAN and self.guest_bans is not None:
            await self.guest_bans.banned(actor.tenant_id, user_id, scope, now_ms)
        if kind is SanctionKind.BAN:
            await self.parties.kick(user_id, actor.tenant_id, scope or "", "banned", everywhere=scope is None)
        action = "ban_tenant" if tenant_wide and kind is SanctionKind.BAN else _PLACED[kind.value]
        await self.record(
            actor, party_id, action, now_ms, target_user=user_id, reason=reason, details={"until": until}
        )
        return sanction

    async def lift(
        self,
        actor: User,
        party_id: str | None,
        user_id: str,
        kind: SanctionKind,
        reason: str | None,
        now_ms: int,
        *,
        tenant_wide: bool = False,
        checked: bool = False,
    ) -> None:
        """``checked``: the caller has made sure ``actor`` may (the sanction is of its
        tenant and it is staff), also in a room that has ended."""
        if not checked:
            await self._may_sanction(actor, party_id, tenant_wide, "only moderators lift a tenant-wide ban")
        await self.store.revoke(actor.tenant_id, user_id, kind, None if tenant_wide else party_id, now_ms)
        self.sanctions.changed(actor.tenant_id)
        if kind is SanctionKind.BAN and self.guest_bans is not None:
            await self.guest_bans.lifted(actor.tenant_id, user_id, None if tenant_wide else party_id, now_ms)
        scope = "tenant" if tenant_wide else "room"
        await self.record(
            actor,
            party_id,
            _LIFTED[kind.value],
            now_ms,
            target_user=user_id,
            reason=reason,
            details={"scope": scope},
        )

    async def kick(self, actor: User, party_id: str, user_id: str, reason: str | None, now_ms: int) -> None:
        """Remove a member from the party now, on every node (its sockets get
        ``party.kicked`` with reason "kicked"); it may join again, unlike after a ban."""
        party = await self.authorise(actor, party_id)
        if user_id == actor.id:
            raise SyncError(Code.BAD_REQUEST, "you cannot kick yourself")
        target = party.members.get(user_id)
        if target is None:
            raise not_found(f"user {user_id[:128]!r} is not in the party")
        if target.staff and not actor.is_staff:
            raise forbidden("only the tenant's staff may kick its staff")
        await self.parties.kick(user_id, actor.tenant_id, party_id, "kicked", everywhere=False)
        await self.record(actor, party_id, "kick", now_ms, target_user=user_id, reason=reason)

    async def _may_sanction(self, actor: User, party_id: str | None, tenant_wide: bool, refusal: str) -> None:
        """A room's sanction: its moderators; a tenant-wide one: staff (over REST, without
        naming a room)."""
        if party_id is None:
            if not tenant_wide:
                raise SyncError(Code.BAD_REQUEST, "party: a room's sanction names its party")
        else:
            await self.authorise(actor, party_id)
        if tenant_wide and not actor.is_staff:
            raise forbidden(refusal)

    async def sanctions_in_force(self, actor: User, now_ms: int) -> list[Sanction]:
        """The tenant's bans, timeouts and shadow mutes in force, by id (REST: staff)."""
        if not actor.is_staff:
            raise forbidden("the tenant's sanctions are for moderators")
        return sorted(await self.store.tenant_sanctions(actor.tenant_id, now_ms), key=lambda s: s.id)

    async def lift_sanction(self, actor: User, sanction_id: int, reason: str | None, now_ms: int) -> None:
        """Lift a sanction in force by its id, as ``lift`` (its user's sanctions of that
        kind in that scope end): the tenant's staff, whatever became of its room; a
        room's host while joined. An id of no sanction in force of the tenant: not_found."""
        found = [s for s in await self.store.tenant_sanctions(actor.tenant_id, now_ms) if s.id == sanction_id]
        if not found:
            raise not_found(f"no sanction {sanction_id} in force")
        s = found[0]
        await self.lift(
            actor,
            s.party_id,
            s.user_id,
            s.kind,
            reason,
            now_ms,
            tenant_wide=s.party_id is None,
            checked=actor.is_staff,
        )

    async def held_messages(self, actor: User, party_id: str) -> list[Held]:
        """The room's review queue, oldest first (its moderators)."""
        await self.authorise(actor, party_id)
        return await self.store.held(party_id)

    async def set_rules(self, actor: User, party_id: str, changes: dict[str, Any], now_ms: int) -> ChatRules:
        party = await self.authorise(actor, party_id)
        if not changes:
            return party.settings.chat  # a read: nothing to record
        # The changes are merged by the state machine, under the party's lock: two
        # moderators changing different rules at once both get their way.
        command = c.SetChatRules(actor.id, actor.is_staff, tuple(changes.items()))
        rules = (await self.parties.run_command(party_id, command)).settings.chat
        await self.record(
            actor,
            party_id,
            "rules",
            now_ms,
            details={k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()},
        )
        return rules

    async def review(
        self, actor: User, party_id: str, held_id: int, decision: str, reason: str | None, now_ms: int
    ) -> None:
        await self.authorise(actor, party_id)
        held = await self.store.decide(party_id, held_id, decision, actor.id, now_ms)
        if decision == "approved":
            await self._deliver_approved(held)
        await self.to_moderators(party_id, HeldResolved(party_id, held_id, decision, actor.id))
        await self.record(
            actor,
            party_id,
            f"review_{decision}",
            now_ms,
            target_user=held.user_id,
            target_message=held.message_id,
            reason=reason,
            details={"held": held_id},
        )

    async def _deliver_approved(self, held: Held) -> None:
        """A held message a moderator approved: delivered with its original time."""
        if held.message_id is not None:
            # Taken down by reports: the same message comes back, in its place.
            restored = await self.store.restore_message(held.party_id, held.message_id)
            if restored is not None:
                await self.to_everyone(held.party_id, ChatRestored(restored))
            return
        draft = MessageDraft(
            held.party_id,
            held.user_id,
            held.user_name,
            held.text,
            held.ts_ms,
            held.nonce,
            held.media_time_s,
            held.reply_to,
        )
        message, created = await self.parties.messages.append(draft, self.parties.publish_message)
        if created:
            await self.observed(message, Verdict("approved", message.text, held.reasons))

    async def report(self, reporter: User, party: Party, message_id: int, reason: str, now_ms: int) -> None:
        message = await self.store.message(party.id, message_id)
        if message is None or message.hidden:
            raise not_found(f"no message {message_id} in this room")
        if message.user_id == reporter.id:
            raise SyncError(Code.BAD_REQUEST, "you cannot report your own message")
        report = Report(party.id, message_id, reporter.id, reporter.name, reason, now_ms)

        def reported(reporters: int) -> list[EventDraft]:
            return [message_reported(party.tenant_id, report, reporters)]

        count = await self.store.report(report, outbox=await self.outbox(party.tenant_id, reported))

        async def take_down() -> TakenDown:
            deleted = await self.store.delete_messages(party.id, "reports", now_ms, ids=[message_id])
            await self._announce_deleted(party.id, deleted)
            held = await self.store.hold(
                Held(
                    party.tenant_id,
                    party.id,
                    message.user_id,
                    message.user_name,
                    message.text,
                    message.ts_ms,
                    message.nonce,
                    ("reports",),
                    "reports",
                    message.media_time_s,
                    message.reply_to,
                    message_id,
                ),
                outbox=await self.outbox(party.tenant_id, lambda h: [message_held(h)]),
            )
            await self.to_moderators(party.id, MessageHeld(held))
            behind = [r for r in await self.store.reports_of(party.id) if r.message_id == message_id]
            details = {
                "message": message_id,
                "held": held.id,
                "reports": [report_details(r) for r in behind[:REPORTS_TO_HOLD]],
            }
            return TakenDown("held_by_reports", message.user_id, details)

        notice = MessageReported(report, count or 0)
        await self.counted_report(party.tenant_id, party.id, count, notice, take_down, now_ms)

    # ------------------------------------------------------------------ reading
    async def rooms(self, actor: User) -> list[Room]:
        if not actor.is_staff:
            raise forbidden("the room list is for moderators")
        parties = await self.parties.list(actor)
        ids = [p.id for p in parties]
        held, reported = await self.store.held_counts(ids), await self.store.report_counts(ids)
        return [Room(p, held.get(p.id, 0), reported.get(p.id, 0)) for p in parties]

    async def watch(self, session: str, party_id: str) -> Snapshot:
        """A moderator's panel follows the room: its snapshot, then its mod.* events."""
        actor = self.parties.user_of(session)
        party = await self.authorise(actor, party_id)
        recent = list(reversed(await self.parties.messages.before(party_id, None, 100, viewer="*")))
        snapshot = Snapshot(
            party,
            recent,
            await self.store.held(party_id),
            await self.store.reports_of(party_id),
            await self.store.notes(party_id, [m.id for m in recent]),
        )
        await self.parties.hub.watch(session, party_id)
        return snapshot

    async def audit_entries(
        self,
        actor: User,
        party_id: str | None,
        before: int | None,
        limit: int,
        *,
        filters: AuditFilter | None = None,
    ) -> list[AuditEntry]:
        if party_id is None:
            if not actor.is_staff:
                raise forbidden("the tenant's audit log is for moderators")
        else:
            await self.authorise(actor, party_id)
        return await self.store.audit_entries(actor.tenant_id, party_id, before, limit, filters=filters)

    # ------------------------------------------------------------------ announcing
    async def _announce_deleted(self, party_id: str, ids: list[int]) -> None:
        for message_id in ids:
            await self.to_everyone(party_id, ChatDeleted(party_id, message_id))
