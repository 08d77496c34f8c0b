"""Two Socket.IO client flavours behind one small surface, for the load generator.

``LeanClient`` speaks Engine.IO 4 / Socket.IO 5 over one aiohttp WebSocket
itself: one reader task per connection, no per-message task, no write queue,
events dispatched synchronously to one callback. A simulated viewer costs a few
kilobytes and a few microseconds per received packet, so one generator process
can hold thousands of them.

``StockClient`` wraps ``socketio.AsyncClient`` with the same surface, to check
the lean client against the reference implementation (``--client socketio``).

Both connect over WebSocket only and never offer permessage-deflate: the
server would otherwise compress every frame for every recipient (and we would
decompress), which measures zlib rather than SocialSync.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp

EventCallback = Callable[[str, Any], None]

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_loads = json.loads


class ConnectRefused(Exception):
    """The server answered the Socket.IO CONNECT with an error (or never answered)."""


class AckTimeout(Exception):
    pass


def make_session() -> aiohttp.ClientSession:
    """One HTTP session per worker process, shared by all its clients."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, force_close=False),
        cookie_jar=aiohttp.DummyCookieJar(),
    )


class LeanClient:
    __slots__ = ("_acks", "_next_id", "_on_event", "_reader", "_ws", "connected", "session_info")

    def __init__(self, on_event: EventCallback) -> None:
        self._on_event = on_event
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self._next_id = 0
        self.connected = False
        self.session_info: dict[str, Any] | None = None

    async def connect(
        self, http: aiohttp.ClientSession, url: str, auth: dict[str, Any], timeout_s: float
    ) -> None:
        ws_url = url.replace("http://", "ws://", 1).rstrip("/") + "/socket.io/?EIO=4&transport=websocket"
        ws = await http.ws_connect(
            ws_url, compress=0, autoping=True, max_msg_size=0, timeout=aiohttp.ClientWSTimeout(ws_close=2)
        )
        self._ws = ws
        try:
            async with asyncio.timeout(timeout_s):
                first = await ws.receive()
                if first.type != aiohttp.WSMsgType.TEXT or not first.data.startswith("0"):
                    raise ConnectRefused(f"no Engine.IO OPEN packet: {first.data!r}")
                await ws.send_str("40" + _dumps(auth))
                while True:
                    msg = await ws.receive()
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        raise ConnectRefused(f"closed during connect ({msg.type.name})")
                    data: str = msg.data
                    if data.startswith("40"):
                        break
                    if data.startswith("44"):
                        raise ConnectRefused(data[2:])
                    if data == "2":
                        await ws.send_str("3")
                    elif data.startswith("42"):
                        name, payload = _split_event(data)
                        if name == "session":
                            self.session_info = payload
                        self._on_event(name, payload)
        except BaseException:
            await ws.close()
            self._ws = None
            raise
        self.connected = True
        self._reader = asyncio.get_running_loop().create_task(self._read_loop(ws))

    async def _read_loop(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        on_event = self._on_event
        acks = self._acks
        try:
            while True:
                msg = await ws.receive()
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    break
                data: str = msg.data
                kind = data[:2]
                if kind == "42":
                    name, payload = _split_event(data)
                    on_event(name, payload)
                elif kind == "43":
                    bracket = data.index("[", 2)
                    fut = acks.pop(int(data[2:bracket]), None)
                    if fut is not None and not fut.done():
                        args = _loads(data[bracket:])
                        fut.set_result(args[0] if args else None)
                elif data == "2":
                    await ws.send_str("3")
                elif kind == "41":
                    break
        except (aiohttp.ClientError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.connected = False
            for fut in acks.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("disconnected"))
            acks.clear()
            if not self._closing():
                on_event("disconnect", None)

    def _closing(self) -> bool:
        return self._ws is None

    async def call(self, name: str, payload: Any, timeout_s: float = 10.0) -> Any:
        """Emit with an acknowledgement and wait for the answer."""
        ws = self._ws
        if ws is None or not self.connected:
            raise ConnectionError("not connected")
        self._next_id += 1
        ack_id = self._next_id
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = fut
        await ws.send_str(f"42{ack_id}" + _dumps([name, payload]))
        try:
            async with asyncio.timeout(timeout_s):
                return await fut
        except TimeoutError:
            self._acks.pop(ack_id, None)
            raise AckTimeout(name) from None

    async def close(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            try:
                if self.connected:
                    await ws.send_str("41")
                await ws.close()
            except (aiohttp.ClientError, ConnectionError, RuntimeError):
                pass
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except BaseException:  # closing: the reader ended one way or another
                pass
            self._reader = None
        self.connected = False


def _split_event(data: str) -> tuple[str, Any]:
    bracket = data.index("[", 2)
    args = _loads(data[bracket:])
    return args[0], (args[1] if len(args) > 1 else None)


class StockClient:
    """The reference: python-socketio's AsyncClient with the same surface."""

    def __init__(self, on_event: EventCallback) -> None:
        import socketio

        self._on_event = on_event
        self._sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        self.session_info: dict[str, Any] | None = None
        self._sio.on("*", self._any)
        self._sio.on("disconnect", lambda *a: on_event("disconnect", None))

    def _any(self, name: str, payload: Any = None) -> None:
        if name == "session":
            self.session_info = payload
        self._on_event(name, payload)

    @property
    def connected(self) -> bool:
        return bool(self._sio.connected)

    async def connect(
        self, http: aiohttp.ClientSession, url: str, auth: dict[str, Any], timeout_s: float
    ) -> None:
        import socketio

        self._sio.eio.http = http
        self._sio.eio.external_http = True
        self._sio.eio.websocket_extra_options = {"compress": 0}
        try:
            await self._sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=timeout_s)
        except socketio.exceptions.ConnectionError as exc:
            raise ConnectRefused(str(exc)) from exc

    async def call(self, name: str, payload: Any, timeout_s: float = 10.0) -> Any:
        import socketio

        try:
            return await self._sio.call(name, payload, timeout=timeout_s)
        except socketio.exceptions.TimeoutError:
            raise AckTimeout(name) from None
        except socketio.exceptions.BadNamespaceError as exc:
            raise ConnectionError("not connected") from exc

    async def close(self) -> None:
        await self._sio.disconnect()


CLIENTS: dict[str, type[LeanClient] | type[StockClient]] = {"lean": LeanClient, "socketio": StockClient}
