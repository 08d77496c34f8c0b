"""Shared by the test suites: a real SocialSync server on an ephemeral port."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator

from aiohttp import web

from socialsync.app import create_app
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
)


@dataclasses.dataclass
class Server:
    url: str
    app: web.Application
    config: Config


@contextlib.asynccontextmanager
async def running_server(tmp_path, **overrides) -> AsyncIterator[Server]:
    config = Config.load(
        {"database_url": f"sqlite:///{tmp_path}/test.db", "port": 0, **TEST_CONFIG, **overrides}, env={}
    )
    app = await create_app(config)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield Server(f"http://127.0.0.1:{port}", app, config)
    finally:
        await runner.cleanup()


VIDEO = {"url": "https://media.example/film.mp4", "kind": "vod", "duration": 600.0}
