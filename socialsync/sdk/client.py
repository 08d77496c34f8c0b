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
import itertools
import secrets
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, cast

import socketio

from socialsync.domain.clock_offset import ClockEstimator, ClockSample
from socialsync.domain.model import Media, MediaKind, Playback, Status
from socialsync.domain.party.playback import position_at
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
    ) -> None:
        # Several URLs: a reconnect tries the next one (a node may be gone).
        self.urls = [url] if isinstance(url, str) else list(url)
        self._url_index = itertools.cycle(range(len(self.urls)))
        if (token is None) == (guest is None):
            raise ValueError("give exactly one of token or guest")
        self._token = token
        self._guest = guest
        self._guest_name: str | None = None
        self._tenant = tenant
        self.request_timeout_s = request_timeout_s
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
        self._reconnect_task: asyncio.Task[None] | None = None
        self._reconnection = reconnection
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("connect_error", self._on_connect_error)
        self._refusal: dict[str, Any] | None = None
        self.sio.on("*", self._on_event)

    # ------------------------------------------------------------------ connection
    def _auth(self) -> dict[str, Any]:
        if self._token is not None:
            return {"token": self._token}
        auth: dict[str, Any] = {"guest": self._guest}
        if self._tenant:
            auth["tenant"] = self._tenant
        return auth

    async def connect(self, *, sync_clock: bool = True) -> None:
        """Connect (raises SocialSyncError('unauthorized', ...) when refused)."""
        self._closing = False
        await self._connect_once(self.urls[next(self._url_index)])
        if sync_clock:
            await self.sync_clock()

    async def _connect_once(self, url: str) -> None:
        self._session_ready.clear()
        self._refusal = None
        try:
            await self.sio.connect(
                url, auth=self._auth, transports=self.transports, wait_timeout=self.request_timeout_s
            )
        except socketio.exceptions.ConnectionError as exc:
            refusal = self._refusal.get("data") if self._refusal else None
            if isinstance(refusal, dict) and "code" in refusal:
                raise SocialSyncError(refusal["code"], refusal.get("message", ""), refusal) from None
            raise SocialSyncError("unavailable", str(exc), {}) from None
        await asyncio.wait_for(self._session_ready.wait(), self.request_timeout_s)

    async def close(self) -> None:
        self._closing = True
        await stop(self._reconnect_task)
        await self.sio.disconnect()
        await self.sio.wait() if self.sio.connected else None

    @property
    def connected(self) -> bool:
        return bool(self.sio.connected)

    async def _on_connect(self) -> None:
        pass

    async def _on_connect_error(self, data: Any = None) -> None:
        # The server's reason for refusing, e.g. {code: "unauthorized", message}.
        self._refusal = data if isinstance(data, dict) else {"code": "unavailable", "message": str(data)}

    async def _on_disconnect(self, reason: Any = None) -> None:
        for party in self._joined:
            self._joining.pop(party, None)
        if self._closing or not self._reconnection:
            return
        if self._reconnect_task is None or self._reconnect_task.done():
            self._reconnect_task = asyncio.create_task(self._reconnect())

    async def _reconnect(self) -> None:
        """Reconnect with backoff, then rejoin every party from the last message seen."""
        delay = 0.25
        while not self._closing:
            await asyncio.sleep(delay + secrets.randbelow(250) / 1000)
            try:
                await self._connect_once(self.urls[next(self._url_index)])
            except SocialSyncError as exc:
                if exc.code == "unauthorized" and self._guest_name is not None:
                    # The guest token expired: come back as a new guest of the same name.
                    self._token, self._guest = None, self._guest_name
                delay = min(delay * 2, 5.0)
                continue
            except (TimeoutError, OSError):
                delay = min(delay * 2, 5.0)
                continue
            try:
                await self.sync_clock(4)
                for party in list(self._joined):
                    await self.join(party, since=self.last_message_id.get(party, 0))
            except (TimeoutError, SocialSyncError, OSError):
                continue
            await self._dispatch("reconnected", {"parties": sorted(self._joined)})
            return

    # ------------------------------------------------------------------ requests
    async def request(
        self, event: str, payload: dict[str, Any], timeout_s: float | None = None
    ) -> dict[str, Any]:
        """Send an event and wait for its answer; raises SocialSyncError if not ok."""
        try:
            answer = await self.sio.call(event, payload, timeout=timeout_s or self.request_timeout_s)
        except socketio.exceptions.TimeoutError:
            raise SocialSyncError("unavailable", f"{event}: no answer", {}) from None
        except socketio.exceptions.BadNamespaceError:
            raise SocialSyncError("unavailable", f"{event}: not connected", {}) from None
        if not isinstance(answer, dict):
            raise SocialSyncError("internal", f"{event}: malformed answer {answer!r}", {})
        if not answer.get("ok"):
            error = answer.get("error") or {}
            raise SocialSyncError(error.get("code", "internal"), error.get("message", ""), answer)
        return answer

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

    async def join(self, party: str, since: int | None = None) -> dict[str, Any]:
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
        self, party: str, text: str, *, nonce: str | None = None, attempts: int = 3, **fields: Any
    ) -> dict[str, Any]:
        """Send a chat message. A send that got no answer is retried with the same
        nonce, which the server turns into the same message, never a second one."""
        payload = {"party": party, "text": text, "nonce": nonce or secrets.token_hex(8), **fields}
        for attempt in range(attempts):
            try:
                return _object((await self.request("chat.send", payload))["message"])
            except SocialSyncError as exc:
                if exc.code != "unavailable" or attempt == attempts - 1:
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
