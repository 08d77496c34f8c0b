"""Fault tests: real node processes and a Redis of the test's own, which the test
may kill and restart (never the machine's shared Redis or PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import sys
from collections.abc import AsyncIterator

import aiohttp
import pytest
import redis.asyncio as aioredis
from services import scratch_postgres_database, unavailable
from support import free_port

from socialsync.sdk.client import SocialSyncClient

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

READY_TIMEOUT_S = 20.0


class RedisProcess:
    """redis-server on a free port. By default it keeps nothing on disk: a restart
    loses everything, which is the hard case for the cluster. ``aof_dir``: with an
    append-only file there (fsync every second), as the compose file runs it."""

    def __init__(self, binary: str, aof_dir: str | None = None) -> None:
        self.binary = binary
        self.aof_dir = aof_dir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            self.binary,
            *("--port", str(self.port), "--bind", "127.0.0.1", "--save", ""),
            *(("--appendonly", "yes", "--dir", self.aof_dir) if self.aof_dir else ("--appendonly", "no")),
            stdout=asyncio.subprocess.DEVNULL,
        )
        client = aioredis.Redis.from_url(self.url)
        try:
            for _ in range(100):
                with contextlib.suppress(Exception):
                    await client.ping()
                    return
                await asyncio.sleep(0.05)
            raise RuntimeError("redis-server did not start")
        finally:
            await client.aclose()

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


class Node:
    """One `socialsync serve` process of the cluster."""

    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env | {"SOCIALSYNC_NODE_ID": name, "SOCIALSYNC_PORT": str(self.port)}
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "socialsync", "serve", env=self.env
        )
        deadline = asyncio.get_running_loop().time() + READY_TIMEOUT_S
        async with aiohttp.ClientSession() as http:
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{self.url}/readyz") as answer:
                        if answer.status == 200:
                            return
                if self.process.returncode is not None:
                    raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
                if asyncio.get_running_loop().time() > deadline:
                    raise RuntimeError(f"{self.name} not ready")
                await asyncio.sleep(0.1)

    async def signal(self, sig: int) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return await asyncio.wait_for(self.process.wait(), 15)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


class Cluster:
    def __init__(self, redis: RedisProcess, env: dict[str, str]) -> None:
        self.redis = redis
        self.env = env
        self.nodes: list[Node] = []
        self.clients: list[SocialSyncClient] = []

    async def node(self, name: str) -> Node:
        node = Node(name, self.env)
        self.nodes.append(node)
        await node.start()
        return node

    async def client(self, name: str, *urls: str, **kwargs) -> SocialSyncClient:
        client = SocialSyncClient(list(urls), guest=name, request_timeout_s=3.0, **kwargs)
        self.clients.append(client)
        await client.connect()
        return client


@pytest.fixture
async def cluster(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[Cluster]:
    """Parametrise indirectly with "aof" for a Redis that keeps an append-only file."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server not installed (the test command installs it with apt-get as root)")
    persistence = getattr(request, "param", "none")
    redis = RedisProcess(binary, str(tmp_path) if persistence == "aof" else None)
    await redis.start()
    async with scratch_postgres_database() as database_url:
        env = os.environ | {
            "SOCIALSYNC_REDIS_URL": redis.url,
            "SOCIALSYNC_REDIS_PREFIX": f"t{secrets.token_hex(4)}",
            "SOCIALSYNC_DATABASE_URL": database_url,
            "SOCIALSYNC_LOG_LEVEL": "warning",
            "SOCIALSYNC_PRESENCE_TTL_MS": "3000",
            "SOCIALSYNC_LEAVE_GRACE_MS": "1500",
            "SOCIALSYNC_CHAT_BURST": "1000",
            "SOCIALSYNC_NEWCOMER_CHAT_BURST": "1000",
        }
        c = Cluster(redis, env)
        try:
            yield c
        finally:
            for client in c.clients:
                with contextlib.suppress(Exception):
                    await client.close()
            for node in c.nodes:
                await node.stop()
            await redis.kill()


__all__ = ["Cluster", "Node", "signal"]
