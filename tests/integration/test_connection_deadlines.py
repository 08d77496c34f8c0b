"""Header and idle deadlines on the bare server (issue 13: slowloris without a balancer),
with raw sockets: a client trickling its first request's headers a byte a second is
closed at the header deadline and counted; a connection idle after a response, or
trickling its second request, is closed at the keep-alive timeout; a request body
trickled a byte a second is closed at the body deadline; a keep-alive client
sending whole requests and a Socket.IO client over WebSocket are untouched for longer
than both."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from support import Server, running_server

from socialsync.app import METRICS, STORE
from socialsync.domain.tenant import Tenant
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient

HEADER_S = 2.0
KEEPALIVE_S = 4.0
# The sweep's period (edge/deadlines.py: a quarter of the deadline, at most 0.5 s), and
# room for a busy 2-core machine on top.
LATE_S = 0.5 + 1.0
REQUEST = b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n"


@pytest.fixture
async def server(tmp_path) -> AsyncIterator[Server]:
    async with running_server(tmp_path, header_timeout_s=HEADER_S, keepalive_timeout_s=KEEPALIVE_S) as s:
        yield s


async def _open(server: Server) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", server.config.port)


async def _response(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    await reader.readexactly(length)
    return head


async def _trickle(writer: asyncio.StreamWriter, data: bytes, every_s: float) -> None:
    """One byte every ``every_s`` until the server closes the connection."""
    for byte in data:
        try:
            writer.write(bytes([byte]))
            await writer.drain()
        except ConnectionError:
            return
        await asyncio.sleep(every_s)


async def _closed_after(reader: asyncio.StreamReader, start: float, bound_s: float) -> float:
    """Seconds from ``start`` until the server closed the connection (EOF or reset)."""
    try:
        rest = await asyncio.wait_for(reader.read(), bound_s)
        assert rest == b"", rest  # closed without an answer
    except ConnectionError:
        pass
    return time.monotonic() - start


def _header_timeouts(server: Server) -> float:
    return float(server.app[METRICS].limits.labels("header_timeout")._value.get())


async def test_a_client_trickling_its_first_request_headers_is_closed_at_the_deadline(server):
    reader, writer = await _open(server)
    start = time.monotonic()
    trickle = asyncio.create_task(_trickle(writer, REQUEST, 1.0))
    try:
        elapsed = await _closed_after(reader, start, HEADER_S + LATE_S + 5)
    finally:
        trickle.cancel()
        writer.close()
    assert HEADER_S <= elapsed <= HEADER_S + LATE_S, elapsed
    assert _header_timeouts(server) == 1
    # A connection that sends nothing at all goes the same way.
    reader, writer = await _open(server)
    start = time.monotonic()
    try:
        elapsed = await _closed_after(reader, start, HEADER_S + LATE_S + 5)
    finally:
        writer.close()
    assert HEADER_S <= elapsed <= HEADER_S + LATE_S, elapsed
    assert _header_timeouts(server) == 2


async def test_an_idle_connection_and_a_trickled_second_request_close_at_the_keepalive_timeout(server):
    async def after_one_response() -> tuple[asyncio.StreamReader, asyncio.StreamWriter, float]:
        reader, writer = await _open(server)
        writer.write(REQUEST)
        assert (await _response(reader)).startswith(b"HTTP/1.1 200")
        return reader, writer, time.monotonic()

    (idle_r, idle_w, idle_at), (slow_r, slow_w, slow_at) = await asyncio.gather(
        after_one_response(), after_one_response()
    )
    trickle = asyncio.create_task(_trickle(slow_w, REQUEST, 0.5))
    try:
        idle_s, slow_s = await asyncio.gather(
            _closed_after(idle_r, idle_at, KEEPALIVE_S + LATE_S + 5),
            _closed_after(slow_r, slow_at, KEEPALIVE_S + LATE_S + 5),
        )
    finally:
        trickle.cancel()
        idle_w.close()
        slow_w.close()
    assert KEEPALIVE_S - 0.1 <= idle_s <= KEEPALIVE_S + LATE_S, idle_s
    assert KEEPALIVE_S - 0.1 <= slow_s <= KEEPALIVE_S + LATE_S, slow_s
    assert _header_timeouts(server) == 0  # past its first request: the keep-alive timeout's


async def test_busy_keepalive_and_socketio_clients_are_untouched(server):
    # (Long-polling holds each poll's request open, as a WebSocket does its own; it is
    # left out because python-engineio's polling client takes 30 s to close.)
    clients = [SocialSyncClient(server.url, guest="Web", reconnection=False)]
    reader, writer = await _open(server)
    try:
        for client in clients:
            await client.connect(sync_clock=False)
        # Longer than both deadlines: a whole request a second on one connection.
        for _ in range(int(KEEPALIVE_S + HEADER_S) + 1):
            writer.write(REQUEST)
            assert (await _response(reader)).startswith(b"HTTP/1.1 200")
            await asyncio.sleep(1.0)
        for client in clients:
            assert client.connected
            answer = await client.request("time.sync", {"t0": 1})
            assert answer.get("ok") is not False
    finally:
        writer.close()
        for client in clients:
            await client.close()
    assert _header_timeouts(server) == 0


BODY_S = 2.0


async def test_a_request_body_trickled_a_byte_a_second_is_closed_at_the_body_deadline(tmp_path):
    body = b'{"title": "A party that takes its time", "media": {"url": "https://media.example/a.mp4"}}'
    overrides = {"header_timeout_s": HEADER_S, "keepalive_timeout_s": KEEPALIVE_S, "body_timeout_s": BODY_S}
    async with running_server(tmp_path, **overrides) as server:
        tenant = Tenant("acme", "Acme TV", "s" * 40, False, int(time.time() * 1000))
        await server.app[STORE].add_tenant(tenant)
        token = issue_token(tenant, "backend", "Backend", ["admin"], 60, int(time.time()))
        head = (
            b"POST /api/v1/parties HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n" % (token.encode(), len(body))
        )
        # Sent whole, the same request is answered.
        reader, writer = await _open(server)
        writer.write(head + body)
        assert (await _response(reader)).startswith(b"HTTP/1.1 201")
        writer.close()
        # Headers at once, then the body a byte a second: closed at the deadline, counted.
        reader, writer = await _open(server)
        writer.write(head)
        start = time.monotonic()
        trickle = asyncio.create_task(_trickle(writer, body, 1.0))
        try:
            elapsed = await _closed_after(reader, start, BODY_S + LATE_S + 5)
        finally:
            trickle.cancel()
            writer.close()
        assert BODY_S <= elapsed <= BODY_S + LATE_S, elapsed
        assert server.app[METRICS].limits.labels("body_timeout")._value.get() == 1
        assert _header_timeouts(server) == 0
