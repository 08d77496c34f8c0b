"""chat.report and mod.*: the moderation panel's events (its clip fields come from
the clips' service, merged here)."""

from __future__ import annotations

from typing import Any

from socialsync.domain.moderation.sanctions import SanctionKind
from socialsync.edge.sio.events import OK, Answer, Handlers
from socialsync.protocol import inbound, outbound
from socialsync.services.clips import ClipService
from socialsync.services.moderation import ModerationService


class ModerationEvents:
    def __init__(self, moderation: ModerationService, clips: ClipService, public_url: str | None) -> None:
        self.moderation = moderation
        self.parties = moderation.parties
        self.clips = clips
        self.public_url = public_url

    def handlers(self) -> Handlers:
        return {
            "chat.report": self.report,
            "mod.rooms": self.rooms,
            "mod.watch": self.watch,
            "mod.unwatch": self.unwatch,
            "mod.delete": self.delete,
            "mod.purge": self.purge,
            "mod.timeout": self.timeout,
            "mod.ban": self.ban,
            "mod.unban": self.unban,
            "mod.shadow_mute": self.shadow_mute,
            "mod.rules": self.rules,
            "mod.review": self.review,
            "mod.audit": self.audit,
            "mod.tenant_terms": self.tenant_terms,
        }

    async def report(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.ChatReport, data)
        party = await self.parties.joined_party(sid, m.party)
        await self.moderation.report(self.parties.user_of(sid), party, m.id, m.reason, received_ms)
        return dict(OK)

    async def rooms(self, sid: str, data: Any, received_ms: int) -> Answer:
        inbound.parse(inbound.Empty, data if data is not None else {})
        user = self.parties.user_of(sid)
        rooms = await self.moderation.rooms(user)
        counts = await self.clips.room_counts(user, [r.party.id for r in rooms])
        out = []
        for room in rooms:
            held_clips, clip_reports = counts[room.party.id]
            out.append(
                outbound.party_out(room.party, self.public_url)
                | {"held": room.held, "reports": room.reports}
                | {"held_clips": held_clips, "clip_reports": clip_reports}
            )
        return {"ok": True, "rooms": out}

    async def watch(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.PartyRef, data)
        snapshot = await self.moderation.watch(sid, m.party)
        party = snapshot.party
        clips = await self.clips.for_moderators(self.parties.user_of(sid), m.party)
        return {
            "ok": True,
            "party": outbound.party_out(party, self.public_url),
            "rules": outbound.rules_out(party.settings.chat),
            "messages": [
                outbound.moderated_message_out(x, snapshot.notes.get(x.id)) for x in snapshot.messages
            ],
            "held": [outbound.held_out(h) for h in snapshot.held],
            "reports": [outbound.report_out(r) for r in snapshot.reports],
            "members": [outbound.member_out(x) for x in party.members.values()],
            "clips": [outbound.clip_out(c) | {"reports": n} for c, n in clips.clips],
            "clip_reports": [outbound.clip_report_out(r) for r in clips.reports],
        }

    async def unwatch(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.PartyRef, data)
        await self.parties.hub.unwatch(sid, m.party)
        return dict(OK)

    async def delete(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.ModDelete, data)
        await self.moderation.delete(self.parties.user_of(sid), m.party, m.id, m.reason, received_ms)
        return dict(OK)

    async def purge(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.ModPurge, data)
        actor = self.parties.user_of(sid)
        deleted = await self.moderation.purge(actor, m.party, m.user, m.minutes, m.reason, received_ms)
        return {"ok": True, "deleted": deleted}

    async def timeout(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.ModTimeout, data)
        sanction = await self.moderation.sanction(
            self.parties.user_of(sid), m.party, m.user, SanctionKind.TIMEOUT, m.seconds, m.reason, received_ms
        )
        return {"ok": True, "until": sanction.until_ms}

    async def ban(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.ModBan, data)
        sanction = await self.moderation.sanction(
            self.parties.user_of(sid),
            m.party,
            m.user,
            SanctionKind.BAN,
            m.seconds,
            m.reason,
            received_ms,
            tenant_wide=m.scope == "tenant",
        )
        return {"ok": True, "until": sanction.until_ms}

    async def unban(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.ModUnban, data)
        await self.moderation.lift(
            self.parties.user_of(sid),
            m.party,
            m.user,
            SanctionKind.BAN,
            m.reason,
            received_ms,
            tenant_wide=m.scope == "tenant",
        )
        return dict(OK)

    async def shadow_mute(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.ModShadowMute, data)
        actor = self.parties.user_of(sid)
        kind = SanctionKind.SHADOW_MUTE
        if m.on:
            await self.moderation.sanction(actor, m.party, m.user, kind, None, m.reason, received_ms)
        else:
            await self.moderation.lift(actor, m.party, m.user, kind, m.reason, received_ms)
        return dict(OK)

    async def rules(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.ModRules, data)
        rules = await self.moderation.set_rules(self.parties.user_of(sid), m.party, m.changes(), received_ms)
        return {"ok": True, "rules": outbound.rules_out(rules)}

    async def review(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.ModReview, data)
        decision = "approved" if m.decision == "approve" else "rejected"
        actor = self.parties.user_of(sid)
        await self.moderation.review(actor, m.party, m.held, decision, m.reason, received_ms)
        return dict(OK)

    async def audit(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.ModAudit, data if data is not None else {})
        actor = self.parties.user_of(sid)
        entries = await self.moderation.audit_entries(actor, m.party, m.before, m.limit)
        return {"ok": True, "entries": [outbound.audit_out(e) for e in entries]}

    async def tenant_terms(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = inbound.parse(inbound.ModTenantTerms, data if data is not None else {})
        blocked, allowed = await self.moderation.set_tenant_terms(
            self.parties.user_of(sid),
            inbound.normalised_terms(m.blocked_terms),
            inbound.normalised_terms(m.allowed_terms),
            received_ms,
        )
        return {"ok": True, "blocked_terms": list(blocked), "allowed_terms": list(allowed)}
