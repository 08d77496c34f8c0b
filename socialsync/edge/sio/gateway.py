"""Socket.IO edge: authenticate, parse each event into a command, call the service, answer.

Every event goes through one dispatcher, so every one gets the same treatment:
a per-socket rate limit, validation, a structured answer, metrics, and no
exception ever escaping into the transport.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from socialsync.adapters.prometheus import Metrics
from socialsync.domain.errors import Code, ConflictError, SyncError
from socialsync.domain.model import ControlMode, Party, Role
from socialsync.domain.moderation.sanctions import SanctionKind
from socialsync.domain.party import commands as c
from socialsync.domain.ratelimit import Limit, TokenBucket
from socialsync.edge.auth import Authenticator
from socialsync.ports import Clock, Envelope
from socialsync.protocol import wire
from socialsync.services.clips import ClipService
from socialsync.services.parties import Joined, PartyService

log = logging.getLogger("socialsync.sio")

Answer = dict[str, Any]
EventHandler = Callable[[str, Any, int], Awaitable[Answer]]

# Live rooms answer a join with their staff only: a list of 10,000 viewers helps nobody.
LIVE_ROOM_MEMBER_LIST = 100


def party_room(party_id: str, audience: str = "members") -> str:
    return f"p:{party_id}" if audience == "members" else f"m:{party_id}"


def user_room(user_id: str) -> str:
    return f"u:{user_id}"


class SocketGateway:
    """The Socket.IO adapter. Also the service's LocalDelivery for this node."""

    def __init__(
        self,
        sio: socketio.AsyncServer,
        service: PartyService,
        auth: Authenticator,
        clock: Clock,
        metrics: Metrics,
        event_limit: Limit,
    ) -> None:
        self.sio = sio
        self.service = service
        self.auth = auth
        self.clock = clock
        self.metrics = metrics
        self.event_limit = event_limit
        # Reaction clips (socialsync/services/clips.py), set by the composition root.
        self.clips: ClipService | None = None
        self._buckets: dict[str, TokenBucket] = {}
        self._handlers: dict[str, EventHandler] = {
            "time.sync": self._time_sync,
            "party.create": self._party_create,
            "party.join": self._party_join,
            "party.leave": self._party_leave,
            "party.update": self._party_update,
            "party.end": self._party_end,
            "member.role": self._member_role,
            "playback.control": self._playback_control,
            "playback.status": self._playback_status,
            "chat.send": self._chat_send,
            "chat.history": self._chat_history,
            "reaction.send": self._reaction_send,
            "chat.report": self._chat_report,
            "mod.rooms": self._mod_rooms,
            "mod.watch": self._mod_watch,
            "mod.unwatch": self._mod_unwatch,
            "mod.delete": self._mod_delete,
            "mod.purge": self._mod_purge,
            "mod.timeout": self._mod_timeout,
            "mod.ban": self._mod_ban,
            "mod.unban": self._mod_unban,
            "mod.shadow_mute": self._mod_shadow_mute,
            "mod.rules": self._mod_rules,
            "mod.review": self._mod_review,
            "mod.audit": self._mod_audit,
            "mod.tenant_terms": self._mod_tenant_terms,
            "rtc.config": self._rtc_config,
            "rtc.publish": self._rtc_publish,
            "rtc.unpublish": self._rtc_unpublish,
            "rtc.mute": self._rtc_mute,
            "rtc.subscribe": self._rtc_subscribe,
            "rtc.answer": self._rtc_answer,
            "rtc.unsubscribe": self._rtc_unsubscribe,
            "rtc.stage": self._rtc_stage,
            "clip.start": self._clip_start,
            "clip.stop": self._clip_stop,
            "clip.list": self._clip_list,
            "clip.delete": self._clip_delete,
            "clip.report": self._clip_report,
            "mod.clip_review": self._mod_clip_review,
        }
        sio.on("connect", self._on_connect)
        sio.on("disconnect", self._on_disconnect)
        sio.on("*", self._on_event)

    # ------------------------------------------------------------------ LocalDelivery
    async def attach(self, session: str, party_id: str, audience: str = "members") -> None:
        await self.sio.enter_room(session, party_room(party_id, audience))

    async def detach(self, session: str, party_id: str, audience: str = "members") -> None:
        await self.sio.leave_room(session, party_room(party_id, audience))

    async def deliver(self, envelope: Envelope) -> None:
        if envelope.to_user is not None:
            room = user_room(envelope.to_user)
        else:
            room = party_room(envelope.party_id, envelope.audience)
        await self.sio.emit(envelope.event, envelope.payload, room=room)

    # ------------------------------------------------------------------ connection
    def _is_client_event(self, sid: str) -> bool:
        """True when a client sent an event named "connect" or "disconnect".

        python-socketio routes such events to the connection handlers; a real
        (dis)connection runs while the socket is pending, never while connected.
        """
        return bool(self.sio.manager.is_connected(sid, "/"))

    async def _on_connect(self, sid: str, environ: Any = None, auth: Any = None, *_: Any) -> Answer | None:
        if self._is_client_event(sid):
            return SyncError(Code.BAD_REQUEST, "connect is a reserved event").to_wire()
        try:
            user = await self.auth.from_auth(auth)
        except SyncError as exc:
            self.metrics.connects.labels("refused").inc()
            # Socket.IO clients see this as connect_error with .message and
            # .data = {code, message}.
            raise socketio.exceptions.ConnectionRefusedError(
                exc.message, {"code": exc.code.value, "message": exc.message}
            ) from None
        self.metrics.connects.labels("accepted").inc()
        self.service.connect(sid, user)
        await self.sio.enter_room(sid, user_room(user.id))
        self._buckets[sid] = TokenBucket(self.event_limit, self.clock.now_ms())
        session: dict[str, Any] = {
            "user": {
                "id": user.id,
                "name": user.name,
                "roles": sorted(r.value for r in user.roles),
                "guest": user.guest,
                "tenant": user.tenant_id,
            },
            "server_time": self.clock.now_ms(),
        }
        if user.guest:
            session["token"] = await self.auth.guest_token(user, self.clock.now_ms() // 1000)
        await self.sio.emit("session", session, to=sid)
        return None

    async def _on_disconnect(self, sid: str, reason: Any = None, *_: Any) -> Answer | None:
        if self._is_client_event(sid):
            return SyncError(Code.BAD_REQUEST, "disconnect is a reserved event").to_wire()
        self._buckets.pop(sid, None)
        await self.service.disconnect(sid)
        return None

    async def _on_event(self, event: str, sid: str, *args: Any) -> Answer:
        received_ms = self.clock.now_ms()
        started = time.perf_counter()
        handler = self._handlers.get(event)
        name = event if handler is not None else "unknown"
        try:
            bucket = self._buckets.get(sid)
            if bucket is not None:
                wait_s = bucket.take(received_ms)
                if wait_s:
                    raise SyncError(Code.RATE_LIMITED, "too many events", retry_after_s=wait_s)
            if handler is None:
                raise SyncError(Code.BAD_REQUEST, f"unknown event {event[:64]!r}")
            if len(args) > 1:
                raise SyncError(Code.BAD_REQUEST, "send one payload object")
            answer = await handler(sid, args[0] if args else None, received_ms)
            outcome = "ok"
        except ConflictError as exc:
            answer = exc.to_wire() | {"playback": wire.playback_out(_party_of(args), exc.current)}
            outcome = exc.code.value
        except SyncError as exc:
            answer = exc.to_wire()
            outcome = exc.code.value
        except Exception:
            log.exception("event %s failed", name)
            answer = SyncError(Code.INTERNAL, "internal error").to_wire()
            outcome = "internal"
        self.metrics.events.labels(name, outcome).inc()
        self.metrics.ack_seconds.labels(name).observe(time.perf_counter() - started)
        return answer

    # ------------------------------------------------------------------ handlers
    async def _time_sync(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.TimeSync, data)
        return {"ok": True, "t0": m.t0, "t1": received_ms, "t2": self.clock.now_ms()}

    async def _party_create(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.PartyCreate, data)
        user = self.service.user_of(sid)
        party = await self.service.create(user, m.title, m.media.to_domain(), m.settings.to_domain())
        return {"ok": True, "party": self._party(party)}

    async def _party_join(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.PartyJoin, data)
        joined = await self.service.join(sid, m.party, m.since)
        return self._joined(joined)

    async def _party_leave(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.PartyRef, data)
        await self.service.leave(sid, m.party)
        return {"ok": True}

    async def _party_update(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.PartyUpdate, data)
        s = m.settings
        command = c.UpdateSettings(
            user_id=self.service.user_of(sid).id,
            title=m.title,
            control=ControlMode(s.control) if s.control else None,
            wait_for_buffering=s.wait_for_buffering,
            max_members=s.max_members,
            cameras=s.cameras,
        )
        party = await self.service.command(sid, m.party, command)
        return {"ok": True, "party": self._party(party)}

    async def _party_end(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.PartyRef, data)
        await self.service.command(sid, m.party, c.End(self.service.user_of(sid).id))
        return {"ok": True}

    async def _member_role(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.MemberRole, data)
        command = c.SetRole(self.service.user_of(sid).id, m.user, Role(m.role))
        party = await self.service.command(sid, m.party, command)
        return {"ok": True, "member": wire.member_out(party.members[m.user])}

    async def _playback_control(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.PlaybackControl, data)
        command = c.Control(
            user_id=self.service.user_of(sid).id,
            action=c.Action(m.action),
            position_s=m.position,
            rate=m.rate,
            media=m.media.to_domain() if m.media else None,
            seq=m.seq,
        )
        party = await self.service.command(sid, m.party, command)
        return {"ok": True, "playback": wire.playback_out(party.id, party.playback)}

    async def _playback_status(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.PlaybackStatus, data)
        party = await self.service.command(
            sid,
            m.party,
            c.ReportStatus(
                self.service.user_of(sid).id,
                m.position,
                m.playing,
                m.buffering,
                m.at if m.at else received_ms,
                m.seq,
            ),
        )
        return {"ok": True, "seq": party.playback.seq}

    async def _chat_send(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.ChatSend, data)
        message = await self.service.chat.send_chat(sid, m.party, m.text, m.nonce, m.reply_to, m.media_time)
        if message is None:
            # Held for review. The author is not told later what became of it.
            return {"ok": True, "held": True}
        return {"ok": True, "message": wire.message_out(message)}

    async def _chat_history(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.ChatHistory, data)
        messages = await self.service.chat.history(sid, m.party, m.before, m.after, m.limit)
        return {"ok": True, "messages": [wire.message_out(x) for x in messages]}

    async def _reaction_send(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.ReactionSend, data)
        await self.service.chat.react(sid, m.party, m.emoji)
        return {"ok": True}

    # ------------------------------------------------------------------ cameras
    @property
    def _cameras(self) -> Any:
        return self.service.cameras

    async def _rtc_config(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.PartyRef, data)
        return await self._cameras.config(sid, m.party)

    async def _rtc_publish(self, sid: str, data: Any, received_ms: int) -> Answer:
        return await self._cameras.publish(sid, wire.parse(wire.RtcPublish, data))

    async def _rtc_unpublish(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.PartyRef, data)
        return await self._cameras.unpublish(sid, m.party)

    async def _rtc_mute(self, sid: str, data: Any, received_ms: int) -> Answer:
        return await self._cameras.mute(sid, wire.parse(wire.RtcMute, data))

    async def _rtc_subscribe(self, sid: str, data: Any, received_ms: int) -> Answer:
        return await self._cameras.subscribe(sid, wire.parse(wire.RtcPeer, data))

    async def _rtc_answer(self, sid: str, data: Any, received_ms: int) -> Answer:
        return await self._cameras.answer(sid, wire.parse(wire.RtcAnswer, data))

    async def _rtc_unsubscribe(self, sid: str, data: Any, received_ms: int) -> Answer:
        return await self._cameras.unsubscribe(sid, wire.parse(wire.RtcPeer, data))

    async def _rtc_stage(self, sid: str, data: Any, received_ms: int) -> Answer:
        return await self._cameras.stage(sid, wire.parse(wire.RtcStage, data))

    # ------------------------------------------------------------------ reaction clips
    def _clips(self) -> ClipService:
        if self.clips is None:
            raise SyncError(Code.UNAVAILABLE, "this server does not record clips")
        return self.clips

    async def _clip_start(self, sid: str, data: Any, received_ms: int) -> Answer:
        return await self._clips().start(sid, wire.parse(wire.ClipStart, data))

    async def _clip_stop(self, sid: str, data: Any, received_ms: int) -> Answer:
        return await self._clips().stop(sid, wire.parse(wire.PartyRef, data).party)

    async def _clip_list(self, sid: str, data: Any, received_ms: int) -> Answer:
        return await self._clips().list(sid, wire.parse(wire.ClipList, data))

    async def _clip_delete(self, sid: str, data: Any, received_ms: int) -> Answer:
        return await self._clips().delete(sid, wire.parse(wire.ClipDelete, data))

    async def _clip_report(self, sid: str, data: Any, received_ms: int) -> Answer:
        return await self._clips().reports.report(sid, wire.parse(wire.ClipReport, data))

    async def _mod_clip_review(self, sid: str, data: Any, received_ms: int) -> Answer:
        return await self._clips().review(sid, wire.parse(wire.ModClipReview, data))

    # ------------------------------------------------------------------ moderation
    @property
    def _mod(self) -> Any:
        return self.service.moderation

    async def _chat_report(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.ChatReport, data)
        party = await self.service.joined_party(sid, m.party)
        await self._mod.report(self.service.user_of(sid), party, m.id, m.reason, received_ms)
        return {"ok": True}

    async def _mod_rooms(self, sid: str, data: Any, received_ms: int) -> Answer:
        wire.parse(wire.Empty, data if data is not None else {})
        user = self.service.user_of(sid)
        rooms = await self._mod.rooms(user)
        if self.clips is not None:
            # Merged here, as mod.watch's clips are, so ModerationService needs no clip store.
            counts = await self.clips.room_counts(user, [r["id"] for r in rooms])
            rooms = [r | counts[r["id"]] for r in rooms]
        return {"ok": True, "rooms": rooms}

    async def _mod_watch(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.PartyRef, data)
        answer = {"ok": True, **await self.service.watch(sid, m.party)}
        if self.clips is not None:
            answer |= await self.clips.for_moderators(self.service.user_of(sid), m.party)
        return answer

    async def _mod_unwatch(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.PartyRef, data)
        await self.service.unwatch(sid, m.party)
        return {"ok": True}

    async def _mod_delete(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.ModDelete, data)
        await self._mod.delete(self.service.user_of(sid), m.party, m.id, m.reason, received_ms)
        return {"ok": True}

    async def _mod_purge(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.ModPurge, data)
        deleted = await self._mod.purge(
            self.service.user_of(sid), m.party, m.user, m.minutes, m.reason, received_ms
        )
        return {"ok": True, "deleted": deleted}

    async def _mod_timeout(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.ModTimeout, data)
        sanction = await self._mod.sanction(
            self.service.user_of(sid), m.party, m.user, SanctionKind.TIMEOUT, m.seconds, m.reason, received_ms
        )
        return {"ok": True, "until": sanction.until_ms}

    async def _mod_ban(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.ModBan, data)
        sanction = await self._mod.sanction(
            self.service.user_of(sid),
            m.party,
            m.user,
            SanctionKind.BAN,
            m.seconds,
            m.reason,
            received_ms,
            tenant_wide=m.scope == "tenant",
        )
        return {"ok": True, "until": sanction.until_ms}

    async def _mod_unban(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.ModUnban, data)
        await self._mod.lift(
            self.service.user_of(sid),
            m.party,
            m.user,
            SanctionKind.BAN,
            m.reason,
            received_ms,
            tenant_wide=m.scope == "tenant",
        )
        return {"ok": True}

    async def _mod_shadow_mute(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.ModShadowMute, data)
        actor = self.service.user_of(sid)
        if m.on:
            await self._mod.sanction(
                actor, m.party, m.user, SanctionKind.SHADOW_MUTE, None, m.reason, received_ms
            )
        else:
            await self._mod.lift(actor, m.party, m.user, SanctionKind.SHADOW_MUTE, m.reason, received_ms)
        return {"ok": True}

    async def _mod_rules(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.ModRules, data)
        rules = await self._mod.set_rules(self.service.user_of(sid), m.party, m.changes(), received_ms)
        return {"ok": True, "rules": wire.rules_out(rules)}

    async def _mod_review(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.ModReview, data)
        decision = "approved" if m.decision == "approve" else "rejected"
        await self._mod.review(self.service.user_of(sid), m.party, m.held, decision, m.reason, received_ms)
        return {"ok": True}

    async def _mod_audit(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.ModAudit, data if data is not None else {})
        entries = await self._mod.audit_entries(self.service.user_of(sid), m.party, m.before, m.limit)
        return {"ok": True, "entries": entries}

    async def _mod_tenant_terms(self, sid: str, data: Any, received_ms: int) -> Answer:
        m = wire.parse(wire.ModTenantTerms, data if data is not None else {})
        terms = await self._mod.set_tenant_terms(
            self.service.user_of(sid),
            wire.normalised_terms(m.blocked_terms),
            wire.normalised_terms(m.allowed_terms),
            received_ms,
        )
        return {"ok": True, **terms}

    # ------------------------------------------------------------------ answers
    def _party(self, party: Party) -> dict[str, Any]:
        return wire.party_out(party, self.service.public_url)

    def _joined(self, joined: Joined) -> Answer:
        party = joined.party
        members = list(party.members.values())
        if party.is_live_room:
            members = [m for m in members if m.role is not Role.MEMBER or m.staff][:LIVE_ROOM_MEMBER_LIST]
        return {
            "ok": True,
            "party": self._party(party),
            "you": wire.member_out(joined.you),
            "members": [wire.member_out(m) for m in members],
            "playback": wire.playback_out(party.id, party.playback),
            "messages": [wire.message_out(x) for x in joined.messages],
            "has_more": joined.has_more,
            "server_time": joined.server_time_ms,
            "rules": wire.rules_out(party.settings.chat),
        }


def _party_of(args: tuple[Any, ...]) -> str:
    data = args[0] if args else None
    party = data.get("party") if isinstance(data, dict) else None
    return party if isinstance(party, str) else ""
