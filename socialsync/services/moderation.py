"""Moderation orchestration: who may post, moderator actions, the review queue,
reports and the audit log. The rules themselves are pure (domain/sanctions.py,
the Moderator filter); this module loads, stores and announces."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from socialsync.adapters.sql.moderation_store import SqlModerationStore
from socialsync.domain.chat.messages import Message, MessageDraft
from socialsync.domain.errors import Code, SyncError, forbidden, not_found
from socialsync.domain.model import ChatRules, Party, Role, User
from socialsync.domain.moderation.sanctions import (
    AuditEntry,
    Held,
    Report,
    Sanction,
    SanctionKind,
    active_sanction,
    check_may_post,
)
from socialsync.domain.party import commands as c
from socialsync.ports import Envelope, ModerationContext, Moderator, Verdict
from socialsync.protocol import wire

if TYPE_CHECKING:
    from socialsync.services.parties import PartyService

log = logging.getLogger("socialsync.services.moderation")

# This many distinct members reporting one message take it down for review.
REPORTS_TO_HOLD = 3
# Users who joined the room this recently get a tighter chat allowance: the
# copy-paste raid arrives as a wave of new accounts.
NEWCOMER_MS = 60_000
# A node re-reads a user's sanctions this often, so one placed through another
# node holds here within this time (this node's own take effect at once).
SANCTIONS_TTL_MS = 5_000


@dataclass(frozen=True)
class Screened:
    """What the checks decided for one chat message."""

    verdict: Verdict
    hidden: bool  # shadow-muted: only its author will see it


class ModerationService:
    def __init__(self, service: PartyService, store: SqlModerationStore, moderator: Moderator) -> None:
        self.service = service
        self.store = store
        self.moderator = moderator
        # Each tenant's active sanctions by user, with when they were read: one query
        # per tenant every SANCTIONS_TTL_MS, not one per message (sanctions are few,
        # senders many). Dropped on this node's own writes, so they hold at once here.
        self._sanctions: dict[str, tuple[int, dict[str, list[Sanction]]]] = {}
        self._reading: dict[str, asyncio.Future[dict[str, list[Sanction]]]] = {}
        self._last_post: dict[tuple[str, str], int] = {}
        # Each tenant's own terms, with when they were read (re-read like sanctions).
        self._tenant_terms: dict[str, tuple[int, tuple[tuple[str, ...], tuple[str, ...]]]] = {}

    # ------------------------------------------------------------------ gatekeeping
    async def sanctions_of(self, user: User, now_ms: int) -> list[Sanction]:
        cached = self._sanctions.get(user.tenant_id)
        if cached is not None and now_ms - cached[0] < SANCTIONS_TTL_MS:
            by_user = cached[1]
        else:
            by_user = await self._read_sanctions(user.tenant_id, now_ms)
        return [s for s in by_user.get(user.id, ()) if s.until_ms is None or s.until_ms > now_ms]

    async def _read_sanctions(self, tenant_id: str, now_ms: int) -> dict[str, list[Sanction]]:
        """One read per tenant at a time: the senders that find the cache stale
        together wait for the same query."""
        reading = self._reading.get(tenant_id)
        if reading is not None:
            return await asyncio.shield(reading)
        reading = self._reading[tenant_id] = asyncio.get_running_loop().create_future()
        try:
            by_user: dict[str, list[Sanction]] = defaultdict(list)
            for sanction in await self.store.tenant_sanctions(tenant_id, now_ms):
                by_user[sanction.user_id].append(sanction)
            self._sanctions[tenant_id] = (now_ms, by_user)
            reading.set_result(by_user)
            return by_user
        except BaseException as exc:
            reading.set_exception(exc)
            reading.exception()  # retrieved: the waiters, if any, get it too
            raise
        finally:
            del self._reading[tenant_id]

    async def check_join(self, user: User, party_id: str, now_ms: int) -> None:
        ban = active_sanction(await self.sanctions_of(user, now_ms), party_id, SanctionKind.BAN, now_ms)
        if ban is not None:
            raise forbidden("you are banned from this room")

    async def check_reaction(self, user: User, party: Party, now_ms: int) -> None:
        sanctions = await self.sanctions_of(user, now_ms)
        check_may_post(
            user,
            party.id,
            party.settings.chat,
            sanctions,
            now_ms,
            reaction=True,
            last_post_ms=None,
            host=_is_host(party, user),
        )

    async def screen(self, user: User, party: Party, text: str, now_ms: int) -> Screened:
        """Room modes and sanctions first (they refuse), then the content filter."""
        sanctions = await self.sanctions_of(user, now_ms)
        rules = party.settings.chat
        last_post = self._last_post.get((party.id, user.id))
        check_may_post(
            user,
            party.id,
            rules,
            sanctions,
            now_ms,
            reaction=False,
            last_post_ms=last_post,
            host=_is_host(party, user),
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

    def posted(self, party: Party, user: User, now_ms: int) -> None:
        """A message went out (or into review): slow mode counts from now."""
        if party.settings.chat.slow_mode_s:
            if len(self._last_post) > 100_000:
                self._last_post.clear()  # a bound; slow mode restarts for everyone at worst
            self._last_post[(party.id, user.id)] = now_ms

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
            )
        )
        await self._to_moderators(draft.party_id, "mod.held", held_out(held))
        return held

    async def observed(self, message: Message, verdict: Verdict, original: str | None = None) -> None:
        """Every delivered message, as the moderators watching the room see it: with
        what the author wrote when the filter masked it."""
        payload = wire.message_out(message) | {
            "verdict": verdict.action,
            "hidden": message.hidden,
            "reasons": list(verdict.reasons),
        }
        if original is not None and original != message.text:
            payload["original"] = original
        await self._to_moderators(message.party_id, "mod.message", payload)

    async def _terms_of(self, tenant_id: str, now_ms: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        cached = self._tenant_terms.get(tenant_id)
        if cached is not None and now_ms - cached[0] < SANCTIONS_TTL_MS:
            return cached[1]
        terms = await self.store.tenant_terms(tenant_id)
        self._tenant_terms[tenant_id] = (now_ms, terms)
        return terms

    async def set_tenant_terms(
        self, actor: User, blocked: tuple[str, ...] | None, allowed: tuple[str, ...] | None, now_ms: int
    ) -> dict[str, list[str]]:
        if not actor.is_staff:
            raise forbidden("the tenant's terms are for moderators")
        current_blocked, current_allowed = await self.store.tenant_terms(actor.tenant_id)
        if blocked is None and allowed is None:
            return {"blocked_terms": list(current_blocked), "allowed_terms": list(current_allowed)}
        new_blocked = current_blocked if blocked is None else blocked
        new_allowed = current_allowed if allowed is None else allowed
        await self.store.set_tenant_terms(actor.tenant_id, new_blocked, new_allowed, now_ms)
        self._tenant_terms.pop(actor.tenant_id, None)
        await self._record(
            actor,
            None,
            "tenant_terms",
            now_ms,
            details={"blocked_terms": list(new_blocked), "allowed_terms": list(new_allowed)},
        )
        return {"blocked_terms": list(new_blocked), "allowed_terms": list(new_allowed)}

    # ------------------------------------------------------------------ who may moderate
    async def _authorise(self, actor: User, party_id: str) -> Party:
        party = await self.service.get(actor, party_id)
        if actor.is_staff:
            return party
        member = party.members.get(actor.id)
        if member is None or member.role.value != "host" or not member.connected:
            raise forbidden("only moderators, or the host in their own party, may do this")
        return party

    async def authorise(self, actor: User, party_id: str) -> Party:
        """The party, if ``actor`` may moderate it (other content's services use this too)."""
        return await self._authorise(actor, party_id)

    async def record(
        self, actor: User, party_id: str | None, action: str, now_ms: int, **fields: Any
    ) -> None:
        """An entry in the audit log, announced to the room's moderators."""
        await self._record(actor, party_id, action, now_ms, **fields)

    async def to_moderators(self, party_id: str, event: str, payload: dict[str, Any]) -> None:
        await self._to_moderators(party_id, event, payload)

    async def _record(
        self, actor: User, party_id: str | None, action: str, now_ms: int, **fields: Any
    ) -> None:
        entry = await self.store.audit(
            AuditEntry(actor.tenant_id, party_id, actor.id, actor.name, action, now_ms, **fields)
        )
        log.info("moderation", extra={"action": action, "party": party_id, "actor": actor.id})
        if party_id is not None:
            await self._to_moderators(party_id, "mod.audit", audit_out(entry))

    # ------------------------------------------------------------------ actions
    async def delete(
        self, actor: User, party_id: str, message_id: int, reason: str | None, now_ms: int
    ) -> None:
        await self._authorise(actor, party_id)
        message = await self.store.message(party_id, message_id)
        deleted = await self.store.delete_messages(party_id, actor.id, now_ms, ids=[message_id])
        if message is None or not deleted:
            raise not_found(f"no message {message_id} in this room")
        await self._announce_deleted(party_id, deleted)
        await self._record(
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
        await self._authorise(actor, party_id)
        since = now_ms - minutes * 60_000
        deleted = await self.store.delete_messages(
            party_id, actor.id, now_ms, user_id=user_id, since_ms=since
        )
        await self._announce_deleted(party_id, deleted)
        await self._record(
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
        party_id: str,
        user_id: str,
        kind: SanctionKind,
        seconds: int | None,
        reason: str | None,
        now_ms: int,
        *,
        tenant_wide: bool = False,
    ) -> Sanction:
        await self._authorise(actor, party_id)
        if tenant_wide and not actor.is_staff:
            raise forbidden("only moderators ban from the whole tenant")
        if user_id == actor.id:
            raise SyncError(Code.BAD_REQUEST, "you cannot sanction yourself")
        until = None if seconds is None else now_ms + seconds * 1000
        sanction = await self.store.add_sanction(
            Sanction(
                actor.tenant_id,
                None if tenant_wide else party_id,
                user_id,
                kind,
                until,
                reason,
                actor.id,
                now_ms,
            )
        )
        self._sanctions.pop(actor.tenant_id, None)  # re-read, with this one, on next use
        if kind is SanctionKind.BAN:
            await self.service.kick(user_id, actor.tenant_id, party_id, "banned", everywhere=tenant_wide)
        action = {
            "ban": "ban_tenant" if tenant_wide else "ban",
            "timeout": "timeout",
            "shadow_mute": "shadow_mute",
        }
        await self._record(
            actor,
            party_id,
            action[kind.value],
            now_ms,
            target_user=user_id,
            reason=reason,
            details={"until": until},
        )
        return sanction

    async def lift(
        self,
        actor: User,
        party_id: str,
        user_id: str,
        kind: SanctionKind,
        reason: str | None,
        now_ms: int,
        *,
        tenant_wide: bool = False,
    ) -> None:
        await self._authorise(actor, party_id)
        if tenant_wide and not actor.is_staff:
            raise forbidden("only moderators lift a tenant-wide ban")
        await self.store.revoke(actor.tenant_id, user_id, kind, None if tenant_wide else party_id, now_ms)
        self._sanctions.pop(actor.tenant_id, None)  # reloaded on next use
        action = {"ban": "unban", "timeout": "end_timeout", "shadow_mute": "unshadow_mute"}[kind.value]
        await self._record(
            actor,
            party_id,
            action,
            now_ms,
            target_user=user_id,
            reason=reason,
            details={"scope": "tenant" if tenant_wide else "room"},
        )

    async def set_rules(self, actor: User, party_id: str, changes: dict[str, Any], now_ms: int) -> ChatRules:
        party = await self._authorise(actor, party_id)
        if not changes:
            return party.settings.chat  # a read: nothing to record
        # The changes are merged by the state machine, under the party's lock: two
        # moderators changing different rules at once both get their way.
        command = c.SetChatRules(actor.id, actor.is_staff, tuple(changes.items()))
        rules = (await self.service.run_command(party_id, command)).settings.chat
        await self._record(
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
        await self._authorise(actor, party_id)
        held = await self.store.decide(party_id, held_id, decision, actor.id, now_ms)
        if decision == "approved":
            await self.service.chat.deliver_approved(held)
        await self._to_moderators(
            party_id,
            "mod.resolved",
            {
                "party": party_id,
                "held": held_id,
                "decision": decision,
                "by": actor.id,
            },
        )
        await self._record(
            actor,
            party_id,
            f"review_{decision}",
            now_ms,
            target_user=held.user_id,
            target_message=held.message_id,
            reason=reason,
            details={"held": held_id},
        )

    async def report(self, reporter: User, party: Party, message_id: int, reason: str, now_ms: int) -> None:
        message = await self.store.message(party.id, message_id)
        if message is None or message.hidden:
            raise not_found(f"no message {message_id} in this room")
        if message.user_id == reporter.id:
            raise SyncError(Code.BAD_REQUEST, "you cannot report your own message")
        count = await self.store.report(
            Report(party.id, message_id, reporter.id, reporter.name, reason, now_ms)
        )
        if count is None:
            return  # reported before by this member: counted once
        await self._to_moderators(
            party.id,
            "mod.report",
            {
                "party": party.id,
                "message": message_id,
                "reporter": {"id": reporter.id, "name": reporter.name},
                "reason": reason,
                "ts": now_ms,
                "count": count,
            },
        )
        if count == REPORTS_TO_HOLD:
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
                )
            )
            await self._to_moderators(party.id, "mod.held", held_out(held))
            behind = [r for r in await self.store.reports_of(party.id) if r.message_id == message_id]
            await self._record(
                reports_actor(party.tenant_id),
                party.id,
                "held_by_reports",
                now_ms,
                target_user=message.user_id,
                details={
                    "message": message_id,
                    "held": held.id,
                    "reports": [report_out(r) for r in behind[:REPORTS_TO_HOLD]],
                },
            )

    # ------------------------------------------------------------------ reading
    async def rooms(self, actor: User) -> list[dict[str, Any]]:
        if not actor.is_staff:
            raise forbidden("the room list is for moderators")
        parties = await self.service.list(actor)
        ids = [p.id for p in parties]
        held, reported = await self.store.held_counts(ids), await self.store.report_counts(ids)
        return [
            wire.party_out(p, self.service.public_url)
            | {"held": held.get(p.id, 0), "reports": reported.get(p.id, 0)}
            for p in parties
        ]

    async def snapshot(self, actor: User, party_id: str) -> dict[str, Any]:
        party = await self._authorise(actor, party_id)
        recent = list(reversed(await self.service.messages.before(party_id, None, 100, viewer="*")))
        return {
            "party": wire.party_out(party, self.service.public_url),
            "rules": wire.rules_out(party.settings.chat),
            "messages": [wire.message_out(m) | {"hidden": m.hidden} for m in recent],
            "held": [held_out(h) for h in await self.store.held(party_id)],
            "reports": [report_out(r) for r in await self.store.reports_of(party_id)],
            "members": [wire.member_out(m) for m in party.members.values()],
        }

    async def audit_entries(
        self, actor: User, party_id: str | None, before: int | None, limit: int
    ) -> list[dict[str, Any]]:
        if party_id is None:
            if not actor.is_staff:
                raise forbidden("the tenant's audit log is for moderators")
        else:
            await self._authorise(actor, party_id)
        entries = await self.store.audit_entries(actor.tenant_id, party_id, before, limit)
        return [audit_out(e) for e in entries]

    # ------------------------------------------------------------------ announcing
    async def _announce_deleted(self, party_id: str, ids: list[int]) -> None:
        for message_id in ids:
            payload = {"party": party_id, "id": message_id}
            await self.service.publish(Envelope(party_id, "chat.deleted", payload))
            await self._to_moderators(party_id, "chat.deleted", payload)

    async def _to_moderators(self, party_id: str, event: str, payload: dict[str, Any]) -> None:
        await self.service.publish(Envelope(party_id, event, payload, audience="moderators"))


def _is_host(party: Party, user: User) -> bool:
    member = party.members.get(user.id)
    return member is not None and member.role is Role.HOST


def held_out(h: Held) -> dict[str, Any]:
    return {
        "party": h.party_id,
        "id": h.id,
        "user": {"id": h.user_id, "name": h.user_name},
        "text": h.text,
        "ts": h.ts_ms,
        "reasons": list(h.reasons),
        "source": h.source,
        "message": h.message_id,
    }


def reports_actor(tenant_id: str) -> User:
    """Who the audit log names for a takedown by reports: the reports themselves (as a
    message's ``deleted_by`` does), not the member whose report happened to be last."""
    return User("reports", "reports", tenant_id)


def report_out(r: Report) -> dict[str, Any]:
    return {
        "party": r.party_id,
        "message": r.message_id,
        "reporter": {"id": r.reporter_id, "name": r.reporter_name},
        "reason": r.reason,
        "ts": r.ts_ms,
    }


def audit_out(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "party": e.party_id,
        "actor": {"id": e.actor_id, "name": e.actor_name},
        "action": e.action,
        "target_user": e.target_user,
        "target_message": e.target_message,
        "reason": e.reason,
        "details": e.details,
        "ts": e.ts_ms,
    }
