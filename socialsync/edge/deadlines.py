"""Deadlines for HTTP connections on the bare server (no balancer in front).

Slowloris: a client that opens connections and sends its request headers a byte at a
time holds a descriptor each for as long as it likes. aiohttp 3.14 has no header
read timeout. It does have a keep-alive timeout (``keepalive_timeout``): armed when
a connection opens and again after each response, it closes the connection if it is
still waiting for a request then; a request whose headers are still arriving counts
as waiting (aiohttp only sees a request once its headers are complete). So every
connection idle or trickling the next request's headers is closed ``keepalive_timeout``
after its last response, and a new connection ``keepalive_timeout`` after it opened.
aiohttp's default is an hour; ours is ``config.keepalive_timeout_s`` (15 s). Its closes
are not counted (an idle keep-alive connection closing is ordinary).

``GuardedRunner`` adds the header deadline for a connection's first request: one
that has not completed its first request's headers ``header_timeout_s`` after it
opened is closed and counted (``limited("header_timeout")``). It uses aiohttp's
public surface only: the server's ``request_factory`` (called once per request, as
soon as its headers are parsed) marks the connection, and a sweep every
``tick_s`` closes the unmarked connections seen longer than the deadline (so a
connection is closed between ``header_timeout_s`` and ``header_timeout_s + tick_s``
after it opened). A marked connection is never closed by it: a WebSocket or an
Engine.IO long poll has completed its request (its handler runs; the Engine.IO ping
bounds a dead client), and later requests on a kept-alive connection are bounded by
the keep-alive timeout above.

It also bounds a request's body in time (``body_timeout_s``): a request whose body has
not fully arrived that long after its headers closes its connection, counted as
``limited("body_timeout")``. The body is not read here (python-engineio reads the
stream itself), only watched: the parser marks the stream's end when its last byte
arrives, whether or not the handler has read it. Nothing here streams a large body.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.http import RawRequestMessage
from aiohttp.streams import StreamReader

from socialsync.ports import Observer
from socialsync.tasks import stop

# The sweep's period at most (a quarter of the deadline when that is shorter).
MAX_TICK_S = 0.5


class GuardedRunner(web.AppRunner):
    """aiohttp's AppRunner, with a deadline for each connection's first request
    headers (``header_timeout_s``; 0: none). Other keyword arguments are AppRunner's
    (``keepalive_timeout`` among them)."""

    def __init__(
        self,
        app: web.Application,
        *,
        header_timeout_s: float,
        observer: Observer,
        body_timeout_s: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(app, **kwargs)
        self.header_timeout_s = header_timeout_s
        self.body_timeout_s = body_timeout_s
        deadlines = [d for d in (header_timeout_s, body_timeout_s) if d > 0]
        self.tick_s = min([MAX_TICK_S] + [d / 4 for d in deadlines])
        self._observer = observer
        # Connections past their first request's headers (or closed by the deadline).
        self._started: set[web.RequestHandler] = set()
        # Connections still reading their first request: when the sweep first saw them.
        self._waiting: dict[web.RequestHandler, float] = {}
        # Requests whose body is still arriving: their stream, and when the headers came.
        self._bodies: dict[web.RequestHandler, tuple[StreamReader, float]] = {}
        self._sweeper: asyncio.Task[None] | None = None

    async def setup(self) -> None:
        await super().setup()
        server = self.server
        if server is None or (self.header_timeout_s <= 0 and self.body_timeout_s <= 0):
            return
        parsed = server.request_factory
        loop = asyncio.get_running_loop()

        def request_factory(
            message: RawRequestMessage,
            payload: StreamReader,
            protocol: web.RequestHandler,
            writer: AbstractStreamWriter,
            task: asyncio.Task[None],
        ) -> web.BaseRequest:
            # A request's headers are complete: its connection is past the deadline.
            if self.header_timeout_s > 0:
                self._started.add(protocol)
            if self.body_timeout_s > 0 and not payload.is_eof():
                self._bodies[protocol] = (payload, loop.time())
            return parsed(message, payload, protocol, writer, task)

        # Read by each connection when it opens (none has yet: no site is started).
        server.request_factory = request_factory
        self._sweeper = asyncio.create_task(self._sweep_forever(server))

    async def cleanup(self) -> None:
        await stop(self._sweeper)
        self._sweeper = None
        await super().cleanup()

    async def _sweep_forever(self, server: web.Server) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.tick_s)
            self.sweep(server.connections, loop.time())

    def sweep(self, connections: list[web.RequestHandler], now: float) -> None:
        """Close the connections that have not completed their first request's headers
        within the deadline; forget the ones that have gone."""
        self._sweep_bodies(connections, now)
        if self.header_timeout_s <= 0:
            return
        waiting: dict[web.RequestHandler, float] = {}
        for connection in connections:
            if connection in self._started:
                continue
            seen = self._waiting.get(connection, now)
            if now - seen >= self.header_timeout_s:
                connection.force_close()
                self._started.add(connection)  # closing: not counted again
                self._observer.limited("header_timeout")
            else:
                waiting[connection] = seen
        self._waiting = waiting
        self._started.intersection_update(connections)

    def _sweep_bodies(self, connections: list[web.RequestHandler], now: float) -> None:
        """Close the connections whose request body is not complete within the deadline."""
        if not self._bodies:
            return
        alive = set(connections)
        for connection, (payload, since) in list(self._bodies.items()):
            if connection not in alive or payload.is_eof():
                del self._bodies[connection]
            elif now - since >= self.body_timeout_s:
                del self._bodies[connection]
                connection.force_close()
                self._observer.limited("body_timeout")
