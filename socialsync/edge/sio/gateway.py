"""Socket.IO edge: authenticate, hand each event to its family's handler, answer.

Every event goes through one dispatcher, so every one gets the same treatment:
a per-socket rate limit, validation (in the family modules, by protocol.inbound),
a structured answer, metrics, and no exception ever escaping into the transport.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import socketio

from socialsync.domain.errors import Code, ConflictError, SyncError
from socialsync.domain.ratelimit import Limit, TokenBucket
from socialsync.edge.auth import Authenticator
from socialsync.edge.sio.events import Answer, Handlers
from socialsync.edge.sio.rooms import user_room
from socialsync.ports import Clock, Observer
from socialsync.protocol import outbound
from socialsync.services.hub import Hub
from socialsync.services.parties import PartyService

log = logging.getLogger("socialsync.sio")


class SocketGateway:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        parties: PartyService,
        auth: Authenticator,
        clock: Clock,
        observer: Observer,
        event_limit: Limit,
        handlers: Handlers,
    ) -> None:
        self.sio = sio
        self.parties = parties
        self.hub: Hub = parties.hub
        self.auth = auth
        self.clock = clock
        self.observer = observer
        self.event_limit = event_limit
        self._buckets: dict[str, TokenBucket] = {}
        self._handlers = handlers
        sio.on("connect", self._on_connect)
        sio.on("disconnect", self._on_disconnect)
        sio.on("*", self._on_event)

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
            self.observer.connected("refused")
            # Socket.IO clients see this as connect_error with .message and
            # .data = {code, message}.
            raise socketio.exceptions.ConnectionRefusedError(
                exc.message, {"code": exc.code.value, "message": exc.message}
            ) from None
        self.observer.connected("accepted")
        self.hub.connect(sid, user)
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
        await self.parties.disconnect(sid)
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
            answer = exc.to_wire() | {"playback": outbound.playback_out(_party_of(args), exc.current)}
            outcome = exc.code.value
        except SyncError as exc:
            answer = exc.to_wire()
            outcome = exc.code.value
        except Exception:
            log.exception("event %s failed", name)
            answer = SyncError(Code.INTERNAL, "internal error").to_wire()
            outcome = "internal"
        self.observer.answered(name, outcome, time.perf_counter() - started)
        return answer


def _party_of(args: tuple[Any, ...]) -> str:
    data = args[0] if args else None
    party = data.get("party") if isinstance(data, dict) else None
    return party if isinstance(party, str) else ""
