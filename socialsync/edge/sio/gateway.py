"""Socket.IO edge: authenticate, hand each event to its family's handler, answer.

Every event goes through one dispatcher, so every one gets the same treatment:
a per-socket rate limit, validation (in the family modules, by protocol.inbound),
a structured answer, metrics, and no exception ever escaping into the transport.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from socialsync.domain.errors import Code, ConflictError, SyncError
from socialsync.domain.identity import UserKey
from socialsync.domain.ratelimit import Limit, TokenBucket
from socialsync.edge.abuse import AddressBook, GuestGate, environ_address
from socialsync.edge.auth import Authenticator, Credential
from socialsync.edge.sio.events import Answer, Handlers
from socialsync.edge.sio.rooms import user_room
from socialsync.ports import Clock, Observer
from socialsync.ports.revocations import Revocation
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
        addresses: AddressBook | None = None,
        *,
        flood_refusals: int = 50,
        connect_deadline_s: float = 10.0,
        guests: GuestGate | None = None,
        check_origin: Callable[[str, Any], Awaitable[None]] | None = None,
    ) -> None:
        # The tenant's allowed origins (edge/http/origins.py): raises to refuse a page's origin.
        self.check_origin = check_origin
        # New guests per tenant and address, and their fingerprints (edge/abuse.py).
        self.guests = guests
        self.sio = sio
        self.parties = parties
        self.hub: Hub = parties.hub
        self.auth = auth
        self.clock = clock
        self.observer = observer
        self.event_limit = event_limit
        self._buckets: dict[str, TokenBucket] = {}
        self._logged: set[str] = set()  # sockets whose failure was logged once already
        self.addresses = addresses
        self._address: dict[str, str] = {}  # sid -> client address (counted open)
        # Refusals in a row after which a flooding socket is disconnected.
        self.flood_refusals = flood_refusals
        self._refused: dict[str, int] = {}
        # Engine.IO sessions that never authenticate are closed after this long.
        self.connect_deadline_s = connect_deadline_s
        self._unauthenticated: dict[str, float] = {}  # eio sid -> first seen (monotonic s)
        self._handlers = handlers
        self._closing: set[asyncio.Future[None]] = set()
        # Each authenticated socket's user and token (jti, iat), for revocations.
        self._credentials: dict[str, Credential] = {}
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
        address = environ_address(environ, self.addresses.limits.forwarded_for) if self.addresses else ""
        try:
            if self.addresses is not None:
                if isinstance(auth, dict) and "guest" in auth and "token" not in auth:
                    if self.guests is not None:
                        await self.guests.new_guest(auth, address, self.clock.now_ms())
                    else:
                        self.addresses.new_guest(address, self.clock.now_ms())
                self.addresses.open(address)
            try:
                credential = await self.auth.credential(auth)
                if self.check_origin is not None:
                    await self.check_origin(credential.user.tenant_id, environ)
            except BaseException:
                if self.addresses is not None:
                    self.addresses.close(address)
                raise
        except SyncError as exc:
            self.observer.connected("refused")
            # Socket.IO clients see this as connect_error with .message and
            # .data = {code, message}.
            raise socketio.exceptions.ConnectionRefusedError(
                exc.message, {"code": exc.code.value, "message": exc.message}
            ) from None
        self.observer.connected("accepted")
        user = credential.user
        if self.guests is not None:  # a guest's connection fingerprinted, for bans
            user = await self.guests.admitted(user, environ, address, self.clock.now_ms())
        self._credentials[sid] = credential
        if self.addresses is not None:
            self._address[sid] = address
        self.hub.connect(sid, user)
        await self.sio.enter_room(sid, user_room(UserKey(user.tenant_id, user.id)))
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
        self._credentials.pop(sid, None)
        self._logged.discard(sid)
        self._refused.pop(sid, None)
        address = self._address.pop(sid, None)
        if address is not None and self.addresses is not None:
            self.addresses.close(address)
        await self.parties.disconnect(sid)
        return None

    async def _on_event(self, event: Any, sid: str, *args: Any) -> Answer:
        received_ms = self.clock.now_ms()
        started = time.perf_counter()
        handler = self._handlers.get(event) if isinstance(event, str) else None
        name = event if handler is not None else "unknown"
        try:
            bucket = self._buckets.get(sid)
            if bucket is not None:
                wait_s = bucket.take(received_ms)
                if wait_s:
                    self._flooding(sid)
                    raise SyncError(Code.RATE_LIMITED, "too many events", retry_after_s=wait_s)
                self._refused.pop(sid, None)
            if handler is None:
                shown = event[:64] if isinstance(event, str) else type(event).__name__
                raise SyncError(Code.BAD_REQUEST, f"unknown event {shown!r}")
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
            # Once per connection with its trace: a client that keeps tripping the same
            # fault must not flood the log.
            if sid not in self._logged:
                self._logged.add(sid)
                log.exception("event %s failed", name)
            answer = SyncError(Code.INTERNAL, "internal error").to_wire()
            outcome = "internal"
        self.observer.answered(name, outcome, time.perf_counter() - started)
        return answer

    def _flooding(self, sid: str) -> None:
        """A socket refused ``flood_refusals`` times in a row is disconnected: a client
        that ignores ``rate_limited`` would otherwise cost an answer per packet."""
        refused = self._refused[sid] = self._refused.get(sid, 0) + 1
        if refused == self.flood_refusals:
            self.observer.limited("flood_disconnect")
            task = asyncio.ensure_future(self.sio.disconnect(sid))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def revoked(self, revocation: Revocation) -> None:
        """Close this node's sockets whose token (or user) the revocation covers; their
        reconnects are then refused ``unauthorized``."""
        for sid, cred in list(self._credentials.items()):
            if revocation.covers(cred.user.tenant_id, cred.user.id, cred.jti, cred.iat_s):
                self._credentials.pop(sid, None)
                self.observer.limited("revoked_disconnect")
                try:
                    await self.sio.disconnect(sid)
                except Exception as exc:  # one socket's failure must not spare the others
                    log.warning("closing a revoked socket failed: %r", exc)

    async def close_user(self, key: UserKey) -> None:
        """Close this node's sockets of the user (an erasure: services/privacy.py)."""
        for sid, cred in list(self._credentials.items()):
            if (cred.user.tenant_id, cred.user.id) == (key.tenant_id, key.user_id):
                self._credentials.pop(sid, None)
                try:
                    await self.sio.disconnect(sid)
                except Exception as exc:  # one socket's failure must not spare the others
                    log.warning("closing an erased user's socket failed: %r", exc)

    async def sweep(self) -> None:
        """Close Engine.IO sessions that have not authenticated (Socket.IO CONNECT)
        within ``connect_deadline_s``: each holds buffers and a timer for nothing."""
        now = time.monotonic()
        sockets: dict[str, Any] = getattr(self.sio.eio, "sockets", {})
        seen = self._unauthenticated
        for eio_sid in list(seen):
            if eio_sid not in sockets:
                del seen[eio_sid]
        for eio_sid in list(sockets):
            if self.sio.manager.sid_from_eio_sid(eio_sid, "/") is not None:
                seen.pop(eio_sid, None)
                continue
            first = seen.setdefault(eio_sid, now)
            if now - first >= self.connect_deadline_s:
                del seen[eio_sid]
                self.observer.limited("connect_deadline")
                socket = sockets.pop(eio_sid, None)
                if socket is not None:
                    # Without waiting for the client to collect a close packet: one
                    # that never polls again would hold the sweep forever.
                    await socket.close(wait=False, abort=True)

    async def sweep_forever(self, every_s: float = 1.0) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.sweep()
            except Exception as exc:  # never let the sweeper die
                log.warning("sweeping unauthenticated sockets failed: %r", exc)


def _party_of(args: tuple[Any, ...]) -> str:
    data = args[0] if args else None
    party = data.get("party") if isinstance(data, dict) else None
    return party if isinstance(party, str) else ""
