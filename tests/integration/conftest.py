"""Fixtures: a real server per test, and real Socket.IO clients for it.

Every test that uses ``server`` runs twice: on the embedded default (memory
state and broker, SQLite) and as a cluster node (Redis state, broker, timers
and presence; PostgreSQL).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from support import VIDEO, Server, cluster_backend, running_server

from socialsync.client import SocialSyncClient


@pytest.fixture(params=["embedded", pytest.param("cluster", marks=[pytest.mark.redis, pytest.mark.postgres])])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, str]]:
    """Config overrides for the backend under test: {} or Redis and PostgreSQL URLs."""
    if request.param == "embedded":
        yield {}
        return
    async with cluster_backend() as overrides:
        yield overrides


@pytest.fixture
async def server(tmp_path, backend: dict[str, str]) -> AsyncIterator[Server]:
    async with running_server(tmp_path, **backend) as s:
        yield s


ClientFactory = Callable[..., Awaitable[SocialSyncClient]]


@pytest.fixture
async def connect(server: Server) -> AsyncIterator[ClientFactory]:
    """connect(name) -> a connected guest client with its clock synced; closed after the test."""
    clients: list[SocialSyncClient] = []

    async def make(name: str = "Guest", **kwargs) -> SocialSyncClient:
        kwargs.setdefault("guest", name)
        client = SocialSyncClient(server.url, **kwargs)
        clients.append(client)
        await client.connect()
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def party(connect: ClientFactory):
    """make(n, settings=None) -> (party id, [host, member, ...]) all joined."""

    async def make(n: int, settings: dict | None = None) -> tuple[str, list[SocialSyncClient]]:
        host = await connect("Host")
        created = await host.create_party("Movie night", VIDEO, settings)
        await host.join(created["id"])
        members = [host]
        for i in range(1, n):
            member = await connect(f"Member {i}")
            await member.join(created["id"])
            members.append(member)
        return created["id"], members

    return make
