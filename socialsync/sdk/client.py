"""The Python SDK: an async SocialSync client on python-socketio's AsyncClient.

    client = SocialSyncClient("http://127.0.0.1:8080", guest="Ada")
    await client.connect()
    party = await client.create_party("Movie night", {"url": "https://cdn/film.m3u8"})
    await client.join(party["id"])
    await client.control(party["id"], "play")
    client.expected_position(party["id"])   # where the video should be now

What it takes care of: clock offset from ``time.sync`` (a burst of pings, the
minimum-RTT sample wins); the latest ``playback.state`` per party; chat messages
delivered once each and in order, across reconnects (rejoin with ``since``);
retrying a chat send with the same nonce; guests keeping their identity when the
connection drops.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, cast

import socketio

from socialsync.domain.clock_offset import ClockEstimator, ClockSample
from socialsync.domain.model import Media, MediaKind, Playback, Status
from socialsync.domain.party.playback import position_at
from socialsync.sdk.reconnect import Backoff, State, Urls
from socialsync.tasks import stop

# What the server sends: JSON objects, taken as they are at this edge.
JsonObject = dict[str, Any]
Listener = Callable[[JsonObject], Awaitable[None] | None]


def _object(value: Any) -> JsonObject:
    return cast(JsonObject, value)


class SocialSyncError(Exception):
    """The server refused a request: ``code`` is the wire error code."""

    def __init__(self, code: str, message: str, answer: dict[str, Any]) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.answer = answer


def playback_of(state: dict[str, Any]) -> Playback:
    """The domain's playback from a ``playback.state`` event (the fields the position needs)."""
    media = state["media"]
    return Playback(
        media=Media(url=media["url"], kind=MediaKind(media["kind"]), duration_s=media.get("duration")),
        status=Status(state["status"]),
        position_s=float(state["position"]),
        rate=state["rate"],
        at_ms=state["at"],
        seq=state["seq"],
    )


class _Disconnected(Exception):
    """The socket a request was sent on went away before the answer came."""


# Server answers worth retrying with the same payload (and nonce).
RETRYABLE = frozenset({"unavailable"})


class SocialSyncClient:
    def __init__(
        self,
        url: str | Iterable[str],
        *,
        token: str | None = None,
        guest: str | None = None,
        tenant: str | None = None,
        request_timeout_s: float = 10.0,
        reconnection: bool = True,
        transports: tuple[str, ...] = ("websocket",),
        reconnect_delay_s: float = 0.25,
        reconnect_delay_max_s: float = 5.0,
        retry_for_s: float = 30.0,
    ) -> None:
        # Several URLs: a reconnect tries the next one (a node may be gone).
        self.urls = [url] if isinstance(url, str) else list(url)
        self._urls = Urls(self.urls)
        if (token is None) == (guest is None):
            raise ValueError("give exactly one of token or guest")
        self._token = token
        self._guest = guest
        self._guest_name: str | None = None
        self._tenant = tenant
        self.request_timeout_s = request_timeout_s
        # How long sends (and joins) are retried across `unavailable` and reconnects.
        self.retry_for_s = retry_for_s
        self.transports = list(transports)
        self.clock = ClockEstimator()
        self.user: dict[str, Any] | None = None
        self.playback: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.last_message_id: dict[str, int] = {}
        self._joined: set[str] = set()
        self._joining: dict[str, list[dict[str, Any]]] = {}
        self._listeners: dict[str, list[Listener]] = defaultdict(list)
        self._waiters: list[tuple[str, Callable[[dict[str, Any]], bool], asyncio.Future[dict[str, Any]]]] = []
        self._session_ready = asyncio.Event()
        self._changed = asyncio.Event()
        self._closing = False
        self._reconnection = reconnection
        self._backoff = Backoff(reconnect_delay_s, reconnect_delay_max_s)
        self._supervisor: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Future[Any]] = set()
        self.state = State.DISCONNECTED
        # Every state the client went through, in order (for applications and tests).
        self.states: list[State] = [State.DISCONNECTED]
        self._refusal: dict[str, Any] | None = None
        self.sio = self._new_socket()

    # ------------------------------------------------------------------ connection
    def _auth(self) -> dict[str, Any]:
        if self._token is not None:
            return {"token": self._token}
        auth: dict[str, Any] = {"guest": self._guest}
        if self._tenant:
            auth["tenant"] = self._tenant
        return auth

    def _new_socket(self) -> socketio.AsyncClient:
        """A fresh Socket.IO client for each attempt: a socket left half-open by a
        failed attempt can never refuse the next one ("Already connected")."""
        sio = socketio.AsyncClient(reconnection=False)

        async def on_disconnect(reason: Any = None) -> None:
            if sio is self.sio:
                await self._on_disconnect()

        async def on_connect_error(data: Any = None) -> None:
            # The server's reason for refusing, e.g. {code: "unauthorized", message}.
            if sio is self.sio:
                self._refusal = (
                    data if isinstance(data, dict) else {"code": "unavailable", "message": str(data)}
                )

        async def on_event(event: str, *args: Any) -> None:
            if sio is self.sio:
                await self._on_event(event, *args)

        sio.on("disconnect", on_disconnect)
        sio.on("connect_error", on_connect_error)
        sio.on("*", on_event)
        return sio

    async def connect(self, *, sync_clock: bool = True) -> None:
        """Connect (raises SocialSyncError('unauthorized', ...) when refused). From
        then on the client reconnects by itself until ``close``."""
        self._closing = False
        await self._set_state(State.CONNECTING)
        try:
            await self._open(self._urls.next())
            if sync_clock:
                await self.sync_clock()
        except BaseException:
            await self._drop_socket()
            await self._set_state(State.DISCONNECTED)
            raise
        await self._set_state(State.JOINING)
        await self._set_state(State.JOINED)
        if not self.sio.connected:  # lost already: the supervisor takes it from here
            await self._on_disconnect()

    async def _open(self, url: str) -> None:
        await self._drop_socket()
        self.sio = sio = self._new_socket()
        self._session_ready.clear()
        self._refusal = None
        try:
            await sio.connect(
                url, auth=self._auth, transports=self.transports, wait_timeout=self.request_timeout_s
            )
        except socketio.exceptions.ConnectionError as exc:
            refusal = self._refusal.get("data") if self._refusal else None
            if isinstance(refusal, dict) and "code" in refusal:
                raise SocialSyncError(refusal["code"], refusal.get("message", ""), refusal) from None
            raise SocialSyncError("unavailable", str(exc), {}) from None
        try:
            await asyncio.wait_for(self._session_ready.wait(), self.request_timeout_s)
        except TimeoutError:
            raise SocialSyncError("unavailable", "no session from the server", {}) from None

    async def _drop_socket(self) -> None:
        """Close the current socket for sure, whatever state it is in."""
        old = self.sio
        self.sio = self._new_socket()  # its events are ignored from now on
        if old.connected or old.eio.state != "disconnected":
            with contextlib.suppress(Exception):
                await asyncio.wait_for(old.disconnect(), self.request_timeout_s)

    async def close(self) -> None:
        self._closing = True
        await stop(self._supervisor)
        self._fail_inflight()
        sio = self.sio
        with contextlib.suppress(Exception):
            await sio.disconnect()
        if sio.connected:
            await sio.wait()
        await self._set_state(State.CLOSED)

    @property
    def connected(self) -> bool:
        return bool(self.sio.connected)

    async def _set_state(self, state: State) -> None:
        if state is self.state:
            return
        previous, self.state = self.state, state
        self.states.append(state)
        await self._dispatch("state", {"state": state.value, "previous": previous.value})

    def _fail_inflight(self) -> None:
        for future in self._inflight:
            if not future.done():
                future.set_exception(_Disconnected())

    async def _on_disconnect(self) -> None:
        # Requests waiting on the lost socket fail over now, not at their timeout.
        self._fail_inflight()
        for party in self._joined:
            self._joining.pop(party, None)
        if self._closing:
            return
        await self._set_state(State.DISCONNECTED)
        if self._reconnection:
            self._supervise()

    def _supervise(self) -> None:
        if self._supervisor is None or self._supervisor.done():
            self._supervisor = asyncio.create_task(self._recover())

    async def _recover(self) -> None:
        """The one place the client comes back: connect (next URL each attempt),
        sync the clock, rejoin every party from the last message seen. Any failed
        step waits out the backoff and starts again from where the socket is; it
        returns only joined (or closed)."""
        while not self._closing:
            if not self.sio.connected:
                await self._set_state(State.CONNECTING)
                await asyncio.sleep(self._backoff.next_delay_s())
                try:
                    await self._open(self._urls.next())
                except SocialSyncError as exc:
                    if exc.code == "unauthorized" and self._guest_name is not None:
                        # The guest token expired: come back as a new guest of the same name.
                        self._token, self._guest = None, self._guest_name
                    continue
                except (TimeoutError, OSError, socketio.exceptions.SocketIOError, ValueError):
                    continue
                with contextlib.suppress(TimeoutError, SocialSyncError, OSError):
                    await self.sync_clock(4)
            await self._set_state(State.JOINING)
            try:
                await self._rejoin_all()
            except (TimeoutError, SocialSyncError, OSError):
                if self.sio.connected:
                    await asyncio.sleep(self._backoff.next_delay_s())
                continue
            if not self.sio.connected:
                continue
            await self._set_state(State.JOINED)
            self._backoff.reset()
            await self._dispatch("reconnected", {"parties": sorted(self._joined)})
            if self.sio.connected and self.state is State.JOINED:
                return  # (checked and returned in one step: a loss from here starts a new one)

    async def _rejoin_all(self) -> None:
        for party in sorted(self._joined):
            try:
                await self._join_once(party, since=self.last_message_id.get(party, 0))
            except SocialSyncError as exc:
                if exc.code in ("not_found", "forbidden"):
                    # Ended, or this user may not come back (banned): stop trying.
                    self._joined.discard(party)
                    await self._dispatch(
                        "party.lost", {"party": party, "code": exc.code, "message": exc.message}
                    )
                    continue
                raise

    async def _until_joined(self, deadline: float) -> None:
        """Wait (until ``deadline``, monotonic) for the client to be joined again."""
        while self.state is not State.JOINED and not self._closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await self.wait_until(lambda: self.state is State.JOINED or self._closing, remaining)

    # ------------------------------------------------------------------ requests
    async def request(
        self, event: str, payload: dict[str, Any], timeout_s: float | None = None
    ) -> dict[str, Any]:
        """Send an event once and wait for its answer; raises SocialSyncError if not
        ok (``unavailable`` at once if the socket is lost while it waits)."""
        sio = self.sio
        if not sio.connected:
            raise SocialSyncError("unavailable", f"{event}: not connected", {})
        answered: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def on_answer(*args: Any) -> None:
            if not answered.done():
                answered.set_result(args[0] if args else None)

        self._inflight.add(answered)
        try:
            await sio.emit(event, payload, callback=on_answer)
            answer = await asyncio.wait_for(answered, timeout_s or self.request_timeout_s)
        except TimeoutError:
            raise SocialSyncError("unavailable", f"{event}: no answer", {}) from None
        except _Disconnected:
            raise SocialSyncError("unavailable", f"{event}: disconnected", {"disconnected": True}) from None
        except socketio.exceptions.SocketIOError:
            raise SocialSyncError("unavailable", f"{event}: not connected", {}) from None
        finally:
            self._inflight.discard(answered)
        if not isinstance(answer, dict):
            raise SocialSyncError("internal", f"{event}: malformed answer {answer!r}", {})
        if not answer.get("ok"):
            error = answer.get("error") or {}
            raise SocialSyncError(error.get("code", "internal"), error.get("message", ""), answer)
        return answer

    async def _retrying(
        self, event: str, payload: dict[str, Any], retry_for_s: float, party: str | None = None
    ) -> dict[str, Any]:
        """``request`` again with the same payload across disconnects and `unavailable`
        for up to ``retry_for_s``: after a disconnect, once the client is joined again."""
        deadline = time.monotonic() + retry_for_s
        backoff = Backoff(0.1, 2.0)
        while True:
            try:
                return await self.request(event, payload)
            except SocialSyncError as exc:
                if self._closing or time.monotonic() >= deadline:
                    raise
                if (
                    exc.code == "forbidden"
                    and party in self._joined
                    and exc.message == "join the party first"
                ):
                    if self.state is State.JOINED:
                        # The server lost this socket's membership: rejoin.
                        await self._set_state(State.JOINING)
                        self._supervise()
                elif exc.code not in RETRYABLE:
                    raise
            if self.state is State.JOINED:
                await asyncio.sleep(min(backoff.next_delay_s(), max(0.0, deadline - time.monotonic())))
            await self._until_joined(deadline)

    # ------------------------------------------------------------------ clock
    async def sync_clock(self, samples: int = 8) -> ClockEstimator:
        for _ in range(samples):
            t0 = time.time() * 1000
            answer = await self.request("time.sync", {"t0": t0})
            t3 = time.time() * 1000
            self.clock.add(ClockSample(t0, answer["t1"], answer["t2"], t3))
        return self.clock

    def server_now_ms(self) -> float:
        return self.clock.server_time(time.time() * 1000)

    def expected_position(self, party: str, at_ms: float | None = None) -> float:
        """Where the party's media is at server time ``at_ms`` (default: now)."""
        at = self.server_now_ms() if at_ms is None else at_ms
        return position_at(playback_of(self.playback[party]), at)

    # ------------------------------------------------------------------ parties
    async def create_party(
        self, title: str, media: dict[str, Any], settings: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"title": title, "media": media}
        if settings:
            payload["settings"] = settings
        return _object((await self.request("party.create", payload))["party"])

    async def join(
        self, party: str, since: int | None = None, *, retry_for_s: float | None = None
    ) -> dict[str, Any]:
        """Join (or rejoin with ``since``); retried across `unavailable` and reconnects
        for ``retry_for_s`` (default: the client's ``retry_for_s``)."""
        deadline = time.monotonic() + (self.retry_for_s if retry_for_s is None else retry_for_s)
        backoff = Backoff(0.1, 2.0)
        while True:
            try:
                return await self._join_once(party, since)
            except SocialSyncError as exc:
                if exc.code not in RETRYABLE or self._closing or time.monotonic() >= deadline:
                    raise
            if self.state is State.JOINED:
                await asyncio.sleep(min(backoff.next_delay_s(), max(0.0, deadline - time.monotonic())))
            await self._until_joined(deadline)

    async def _join_once(self, party: str, since: int | None = None) -> dict[str, Any]:
        # Live chat that arrives while the join is in flight waits here, to be merged
        # with the history by id: nothing is lost, nothing comes twice.
        self._joining[party] = []
        payload: dict[str, Any] = {"party": party}
        if since is not None:
            payload["since"] = since
        try:
            answer = await self.request("party.join", payload)
        except BaseException:
            self._joining.pop(party, None)
            raise
        self._joined.add(party)
        # The join answer is the truth, even with a lower seq (a party revived after a restart).
        self.playback[party] = answer["playback"]
        messages = answer["messages"]
        # A resume after a long absence comes in pages: fetch the rest before taking
        # the live messages that waited, so the order stays whole.
        more = since is not None and answer.get("has_more", False)
        while more:
            page = await self.history(party, after=messages[-1]["id"], limit=100)
            messages = messages + page
            more = len(page) == 100
        pending = self._joining.pop(party, [])
        for message in sorted(messages + pending, key=lambda m: m["id"]):
            await self._take_message(message)
        return answer

    async def leave(self, party: str) -> None:
        self._joined.discard(party)
        await self.request("party.leave", {"party": party})

    async def control(self, party: str, action: str, **fields: Any) -> dict[str, Any]:
        answer = await self.request("playback.control", {"party": party, "action": action, **fields})
        playback = _object(answer["playback"])
        self._apply_playback(playback)
        return playback

    async def report_status(
        self, party: str, position: float, playing: bool, buffering: bool = False
    ) -> None:
        await self.request(
            "playback.status",
            {
                "party": party,
                "position": position,
                "playing": playing,
                "buffering": buffering,
                "at": int(self.server_now_ms()),
                "seq": self.playback[party]["seq"],
            },
        )

    async def send_chat(
        self,
        party: str,
        text: str,
        *,
        nonce: str | None = None,
        attempts: int | None = None,
        retry_for_s: float | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Send a chat message: the message as stored, or ``{"held": True, "party",
        "nonce", "text"}`` when moderation holds it for review.

        A send that is answered `unavailable`, or whose socket drops before the
        answer, is sent again with the same nonce (the server turns it into the same
        message, never a second one) once the client is back in the party, for up
        to ``retry_for_s`` (default: the client's, 30 s). ``attempts``: send at most
        this many times instead (``attempts=1``: once, the caller retries)."""
        payload = {"party": party, "text": text, "nonce": nonce or secrets.token_hex(8), **fields}
        if attempts is None:
            answer = await self._retrying(
                "chat.send", payload, self.retry_for_s if retry_for_s is None else retry_for_s, party
            )
        else:
            answer = await self._attempts("chat.send", payload, attempts)
        if answer.get("held"):
            return {"held": True, "party": party, "nonce": payload["nonce"], "text": text}
        return _object(answer["message"])

    async def _attempts(self, event: str, payload: dict[str, Any], attempts: int) -> dict[str, Any]:
        for attempt in range(attempts):
            try:
                return await self.request(event, payload)
            except SocialSyncError as exc:
                if exc.code not in RETRYABLE or attempt == attempts - 1:
                    raise
                await asyncio.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    async def history(self, party: str, **fields: Any) -> list[dict[str, Any]]:
        return cast(
            list[JsonObject], (await self.request("chat.history", {"party": party, **fields}))["messages"]
        )

    async def react(self, party: str, emoji: str, **fields: Any) -> None:
        await self.request("reaction.send", {"party": party, "emoji": emoji, **fields})

    # ------------------------------------------------------------------ events
    def on(self, event: str, listener: Listener) -> None:
        self._listeners[event].append(listener)

    async def wait_for(
        self, event: str, predicate: Callable[[dict[str, Any]], bool] = lambda _: True, timeout_s: float = 5.0
    ) -> dict[str, Any]:
        """The next ``event`` whose payload satisfies ``predicate``."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        entry = (event, predicate, future)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(future, timeout_s)
        finally:
            if entry in self._waiters:
                self._waiters.remove(entry)

    async def wait_until(self, condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
        """Wait until ``condition()`` holds; it is checked now and after every event."""
        async with asyncio.timeout(timeout_s):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    async def _on_event(self, event: str, *args: Any) -> None:
        data = args[0] if args else {}
        if event == "server.draining":
            # The node is stopping: move to the next one now (a reconnect follows).
            asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self.sio.disconnect()))
        elif event == "session":
            self.user = data["user"]
            if data.get("token"):
                # Come back as the same guest after a reconnect.
                self._guest_name = self._guest_name or self._guest
                self._token, self._guest = data["token"], None
            self._session_ready.set()
        elif event == "playback.state":
            self._apply_playback(data)
        elif event == "chat.deleted":
            kept = self.messages.get(data["party"], [])
            self.messages[data["party"]] = [m for m in kept if m["id"] != data["id"]]
        elif event == "chat.restored":
            # A message a moderator brought back: into its place by id.
            kept = [m for m in self.messages[data["party"]] if m["id"] != data["id"]]
            self.messages[data["party"]] = sorted([*kept, data], key=lambda m: m["id"])
        elif event == "chat.message":
            party = data.get("party")
            if party in self._joining:
                self._joining[party].append(data)
                return
            await self._take_message(data)
            return
        await self._dispatch(event, data)

    async def _take_message(self, message: dict[str, Any]) -> None:
        party = message["party"]
        if message["id"] <= self.last_message_id.get(party, 0):
            return
        self.last_message_id[party] = message["id"]
        self.messages[party].append(message)
        await self._dispatch("chat.message", message)

    def _apply_playback(self, state: dict[str, Any]) -> None:
        current = self.playback.get(state["party"])
        if current is None or state["seq"] >= current["seq"]:
            self.playback[state["party"]] = state

    async def _dispatch(self, event: str, data: dict[str, Any]) -> None:
        self._changed.set()
        for waiter in list(self._waiters):
            name, predicate, future = waiter
            if name == event and not future.done() and predicate(data):
                future.set_result(data)
        for listener in self._listeners.get(event, ()):
            result = listener(data)
            if result is not None:
                await result
