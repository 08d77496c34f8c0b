"""Fixtures: a real server per test, and real Socket.IO clients for it.

Every test that uses ``server`` runs twice: on the embedded default (memory
state and broker, SQLite) and as a cluster node (Redis state, broker, timers
and presence; PostgreSQL).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from support import VIDEO, Server, cluster_backend, running_server

from socialsync.app import STORE
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient


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


@pytest.fixture
async def moderator(server: Server) -> AsyncIterator[SocialSyncClient]:
    """A connected moderator of the demo tenant (not in any party)."""
    tenant = await server.app[STORE].get_tenant("demo")
    assert tenant is not None
    token = issue_token(tenant, "mod-1", "Moe", ["moderator"], 600, int(time.time()))
    client = SocialSyncClient(server.url, token=token)
    await client.connect()
    yield client
    await client.close()


@pytest.fixture
async def closing() -> AsyncIterator[list[Any]]:
    """Peer connections a test opens, closed after it."""
    pcs: list[Any] = []
    yield pcs
    for pc in pcs:
        await pc.close()
