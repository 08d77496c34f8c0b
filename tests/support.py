"""Shared by the test suites: a real SocialSync server on an ephemeral port."""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
import socket
from collections.abc import AsyncIterator

from aiohttp import web
from services import drop_keys, redis_or_skip, scratch_postgres_database

from socialsync.app import create_app, make_runner
from socialsync.config import Config

# Short timers so that grace periods and buffering timeouts fit in a test.
TEST_CONFIG = dict(
    leave_grace_ms=1_500,
    buffer_timeout_ms=1_500,
    empty_ttl_ms=60_000,
    lead_ms=200,
    # Tests send faster than people type; the limits themselves are tested with
    # the defaults in test_bad_input.py.
    chat_burst=100,
    newcomer_chat_burst=100,
    # WebRTC on 127.0.0.1 only: tests talk to nothing else.
    rtc_loopback=True,
)


@dataclasses.dataclass
class Server:
    url: str
    app: web.Application
    config: Config


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def running_server(tmp_path, **overrides) -> AsyncIterator[Server]:
    # A fixed free port rather than port 0, so that the server knows its own URL
    # (invite links carry it).
    port = free_port()
    config = Config.load(
        {"database_url": f"sqlite:///{tmp_path}/test.db", "port": port, **TEST_CONFIG, **overrides}, env={}
    )
    app = await create_app(config)
    runner = make_runner(app, shutdown_timeout=1)  # as `socialsync serve` has it
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield Server(f"http://127.0.0.1:{port}", app, config)
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def cluster_backend() -> AsyncIterator[dict[str, str]]:
    """Overrides for nodes of one fresh cluster: the test Redis under a key prefix of
    its own, and a scratch PostgreSQL database. Give the same to several servers."""
    redis_url = await redis_or_skip()
    prefix = f"t{secrets.token_hex(5)}"
    async with scratch_postgres_database() as database_url:
        try:
            yield {"redis_url": redis_url, "redis_prefix": prefix, "database_url": database_url}
        finally:
            await drop_keys(redis_url, prefix)


VIDEO = {"url": "https://media.example/film.mp4", "kind": "vod", "duration": 600.0}
