"""The cheap wins on python-socketio 5 / python-engineio 4 over aiohttp, in one
place because they reach into their internals. They were read against, and are
tested with, the versions in ``CHECKED_VERSIONS``; ``problems()`` says at start-up
whether the installed versions and internals are those, and the server falls back
to python-socketio's stock path (with a warning naming what differs) when they are
not:

1. No per-message deflate. aiohttp's WebSocketResponse compresses every frame for
   every recipient, in the event loop, when the client offers it (browsers always
   do); our frames are small JSON, where deflate saves little and costs most of
   the fan-out's CPU.
2. Room emits without a task per recipient. The stock manager encodes a packet
   once, then creates one asyncio task per recipient to put it on that socket's
   queue, which never blocks (the queue is unbounded). We put it on the queues
   in a plain loop, and bound them: a socket that has fallen ``MAX_QUEUED``
   packets behind is closed rather than left to grow the server's memory. Its
   client reconnects and resumes (``since``), so nothing is lost.
3. A socket's writer waits for its next packets without a new task each time:
   engineio's ``AsyncSocket.poll`` wraps every ``queue.get()`` in
   ``asyncio.wait_for``, which on Python 3.11 creates a task per call, that is
   per packet per recipient; ``asyncio.timeout`` does the same without one. This
   one replaces a method of engineio's class, so it holds for every server in
   the process (all of them ours).
4. Room emits write straight to idle WebSockets. The frame of a broadcast is the
   same bytes for every recipient (servers do not mask), so it is built once and
   handed to each recipient's transport, with no writer task woken per socket per
   packet. Only when the socket's own writer is idle with nothing queued, so the
   order of its packets holds; a socket with a backlog (or a full transport
   buffer) goes through its queue as before, and so does long-polling.
"""

from __future__ import annotations

import asyncio
import logging
from importlib import metadata
from typing import Any

import engineio
import socketio
from aiohttp._websocket.writer import WebSocketWriter
from aiohttp.web import WebSocketResponse
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as eio_aiohttp
from engineio.async_socket import AsyncSocket
from socketio import packet as sio_packet

log = logging.getLogger("socialsync.sio")

MAX_QUEUED = 2_000
# A transport holding more unsent bytes than this gets packets through its queue,
# whose writer waits for the buffer to drain (aiohttp's flow control).
DIRECT_MAX_BUFFERED = 64 * 1024
# engineio's own, before poll_without_tasks replaces it: what check_internals reads.
_STOCK_POLL = AsyncSocket.poll


# The releases (major.minor) whose internals the patches below were read against.
CHECKED_VERSIONS = {"python-socketio": "5.18", "python-engineio": "4.15", "aiohttp": "3.14"}


def version_problems(installed: dict[str, str] | None = None) -> list[str]:
    """Each package whose installed release is not the one checked."""
    if installed is None:
        installed = {name: metadata.version(name) for name in CHECKED_VERSIONS}
    return [
        f"{name} {installed[name]} (checked with {checked}.x)"
        for name, checked in CHECKED_VERSIONS.items()
        if installed[name] != checked and not installed[name].startswith(checked + ".")
    ]


def problems() -> list[str]:
    """Why the patches must not be applied here: versions not checked, or internals
    that moved. Empty when they may."""
    return version_problems() + missing_internals()


def check_internals() -> None:
    """Raise if an internal this module relies on has moved."""
    missing = missing_internals()
    if missing:
        raise RuntimeError(f"python-socketio/engineio changed under socialsync: {', '.join(missing)}")


def missing_internals() -> list[str]:
    """The internals this module relies on that are not where it expects them."""
    server = engineio.AsyncServer(async_mode="aiohttp")
    checks = {
        "engineio AsyncSocket.poll waiting with wait_for on its queue": {"wait_for", "queue", "QueueEmpty"}
        <= set(_STOCK_POLL.__code__.co_names),
        "engineio aiohttp WebSocket": hasattr(eio_aiohttp, "WebSocket"),
        "engineio AsyncServer._async": hasattr(server, "_async"),
        "engineio AsyncServer.sockets": "sockets" in vars(server),
        "socketio AsyncManager.get_participants": hasattr(socketio.AsyncManager, "get_participants"),
        "aiohttp WebSocketResponse._writer": "_writer" in vars(WebSocketResponse),
        "aiohttp WebSocketWriter transport and _closing": {"transport", "_closing"}
        <= set(WebSocketWriter.__init__.__code__.co_names),
        "engineio AsyncSocket upgrading": "upgrading" in AsyncSocket._websocket_handler.__code__.co_names,
    }
    return [name for name, ok in checks.items() if not ok]


async def _poll(self: Any) -> list[Any]:
    """AsyncSocket.poll as engineio has it (the first packet, or QueueEmpty after
    the ping timeout; then whatever else is queued, up to a None), minus the task."""
    queue = self.queue
    try:
        if queue.empty():
            # Idle: FanoutManager may write to this socket's WebSocket itself.
            self.writer_idle = True
            try:
                async with asyncio.timeout(self.server.ping_interval + self.server.ping_timeout):
                    first = await queue.get()
            finally:
                self.writer_idle = False
        else:
            first = queue.get_nowait()
        queue.task_done()
    except (TimeoutError, asyncio.CancelledError):
        raise eio_exceptions.QueueEmpty() from None
    if first is None:
        return []
    packets = [first]
    while not queue.empty():
        pkt = queue.get_nowait()
        queue.task_done()
        if pkt is None:
            queue.put_nowait(None)
            break
        packets.append(pkt)
    return packets


def poll_without_tasks() -> None:
    AsyncSocket.poll = _poll


class UncompressedWebSocket(eio_aiohttp.WebSocket):  # type: ignore[misc]
    async def __call__(self, environ: dict[str, Any]) -> WebSocketResponse:
        request = environ["aiohttp.request"]
        self._sock = WebSocketResponse(max_msg_size=self.server.max_http_buffer_size, compress=False)
        await self._sock.prepare(request)
        self.environ = environ
        # The Engine.IO socket this WebSocket serves (the handler is its bound
        # method) gets its frame writer, for FanoutManager's direct writes.
        socket = getattr(self.handler, "__self__", None)
        if isinstance(socket, AsyncSocket):
            socket.ws_writer = self._sock._writer
        await self.handler(self)
        return self._sock


def without_compression(sio: socketio.AsyncServer) -> None:
    """This server's Engine.IO serves WebSockets uncompressed (a copy of the driver
    table: other servers in the process keep theirs)."""
    sio.eio._async = dict(sio.eio._async, websocket=UncompressedWebSocket)


def _text_frame(text: str) -> bytes:
    """One unmasked, final WebSocket text frame (RFC 6455 5.2), as a server sends it."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        header = bytes((0x81, size))
    elif size < 65_536:
        header = bytes((0x81, 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + size.to_bytes(8, "big")
    return header + payload


def _idle_transport(socket: Any) -> Any:
    """The socket's transport if a frame may be written to it now, else None."""
    writer = getattr(socket, "ws_writer", None)
    if writer is None or not getattr(socket, "writer_idle", False) or socket.upgrading:
        return None
    if not socket.queue.empty() or writer._closing:
        return None
    transport = writer.transport
    if transport is None or transport.is_closing():
        return None
    if transport.get_write_buffer_size() > DIRECT_MAX_BUFFERED:
        return None
    return transport


class FanoutManager(socketio.AsyncManager):  # type: ignore[misc]
    def __init__(self, *, direct_writes: bool = True) -> None:
        super().__init__()
        self.direct_writes = direct_writes
        self._closing: set[asyncio.Task[None]] = set()
        # Packets written straight to a WebSocket, and put on a socket's queue.
        self.written_direct = 0
        self.queued = 0

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: str | None = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: str | None = None,
        **kwargs: Any,
    ) -> None:
        room = to or room
        if callback is not None or namespace not in self.rooms:
            await super().emit(event, data, namespace, room, skip_sid, callback, **kwargs)
            return
        args = list(data) if isinstance(data, tuple) else ([] if data is None else [data])
        encoded = self.server.packet_class(
            sio_packet.EVENT, namespace=namespace, data=[event, *args]
        ).encode()
        packets = [
            eio_packet.Packet(eio_packet.MESSAGE, p)
            for p in (encoded if isinstance(encoded, list) else [encoded])
        ]
        # Text packets only: binary attachments keep engineio's own framing.
        direct = self.direct_writes and isinstance(encoded, str)
        frame = _text_frame(packets[0].encode()) if direct else None
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        sockets = self.server.eio.sockets
        for sid, eio_sid in list(self.get_participants(namespace, room)):
            if sid in skip:
                continue
            socket = sockets.get(eio_sid)
            if socket is None or socket.closed:
                continue
            transport = _idle_transport(socket) if frame is not None else None
            if transport is not None:
                transport.write(frame)
                self.written_direct += 1
                continue
            if socket.queue.qsize() > MAX_QUEUED:
                self._drop(socket)
                continue
            for p in packets:
                socket.queue.put_nowait(p)
            self.queued += 1

    def _drop(self, socket: Any) -> None:
        """Free the socket's backlog at once and have its writer close the WebSocket;
        then run its disconnect (it leaves its rooms) outside this emit."""
        log.warning("closing a socket %d packets behind", socket.queue.qsize())
        while not socket.queue.empty():
            socket.queue.get_nowait()
            socket.queue.task_done()
        socket.queue.put_nowait(None)  # the writer's signal to close the WebSocket
        task = asyncio.create_task(socket.close(wait=False, abort=True))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
