"""The discovery port's contract (ports/discovery.py), run against every implementation
(memory, SQLite, PostgreSQL): activity is the messages and reactions of the parties
asked about since the time given; a viewer's history is its watch time per media item
and the viewers whose sessions overlapped its own in a party; nothing of another tenant."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from services import scratch_postgres_database

from socialsync.adapters.memory.analytics import MemoryAnalyticsStore
from socialsync.adapters.memory.discovery import MemoryDiscovery
from socialsync.adapters.sql.analytics import SqlAnalyticsStore
from socialsync.adapters.sql.discovery import SqlDiscovery
from socialsync.adapters.sql.store import SqlStore, upgrade_database
from socialsync.domain.analytics.events import Batch, Event, Kind, MediaInfo
from socialsync.domain.discovery import Activity
from socialsync.ports.analytics import AnalyticsStore
from socialsync.ports.discovery import DiscoverySource

NOW = 1_800_000_000_000
MIN = 60_000
FILM = MediaInfo("t1", "m1", "https://cdn.example/film.mp4", "Film", 600.0, False)


@dataclass
class Backend:
    analytics: AnalyticsStore
    source: DiscoverySource


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "memory":
        analytics = MemoryAnalyticsStore()
        yield Backend(analytics, MemoryDiscovery(analytics))
        return
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'store.db'}"
        else:
            url = await stack.enter_async_context(scratch_postgres_database())
        await upgrade_database(url)
        sql = await SqlStore.open(url)
        try:
            yield Backend(SqlAnalyticsStore(sql), SqlDiscovery(sql))
        finally:
            await sql.close()


def ev(kind: Kind, party: str, viewer: str, at: int, tenant: str = "t1", media: str = "m1") -> Event:
    return Event(tenant, kind, at, party, viewer, NOW, media)


def session(
    party: str, viewer: str, start: int, end: int, media: str = "m1", tenant: str = "t1"
) -> list[Event]:
    """A session from ``start`` to ``end`` (ms after NOW) that watched all of it."""
    s = NOW + start
    return [
        Event(tenant, Kind.JOINED, s, party, viewer, s, media),
        Event(tenant, Kind.WATCHED, s, party, viewer, s, media, 0.0, (end - start) / 1000, NOW + end),
        Event(tenant, Kind.LEFT, NOW + end, party, viewer, s, media),
    ]


async def test_activity_counts_messages_and_reactions_since(backend: Backend) -> None:
    events = [
        ev(Kind.MESSAGE, "p1", "ana", NOW - 1),  # before: not counted
        ev(Kind.MESSAGE, "p1", "ana", NOW),
        ev(Kind.REACTION, "p1", "ben", NOW + 1),
        ev(Kind.REACTION, "p1", "ben", NOW + 2),
        ev(Kind.REACTION, "p2", "ben", NOW + 2),
        ev(Kind.MESSAGE, "p3", "ben", NOW + 2),  # not asked about
        ev(Kind.MESSAGE, "p1", "x", NOW + 3, tenant="t2"),
    ]
    await backend.analytics.commit([Batch("b1", tuple(events), (FILM,))])
    found = await backend.source.activity("t1", ["p1", "p2", "p9"], NOW)
    assert found == {"p1": Activity(1, 2), "p2": Activity(0, 1)}


async def test_history_is_watch_time_per_media_and_the_viewers_watched_with(backend: Backend) -> None:
    events = [
        *session("p1", "me", 0, 10 * MIN),
        *session("p1", "ana", 5 * MIN, 20 * MIN),  # overlapped me in p1
        *session("p1", "ben", 11 * MIN, 12 * MIN),  # in p1 after I left: not with me
        *session("p2", "me", 30 * MIN, 40 * MIN, media="m2"),
        *session("p2", "ana", 30 * MIN, 31 * MIN, media="m2"),  # ana again, another party
        *session("p3", "cy", 0, 60 * MIN),  # a party I was not in
        *session("p1", "ana", 0, 10 * MIN, tenant="t2"),  # another tenant's
    ]
    await backend.analytics.commit([Batch("b1", tuple(events), (FILM,))])
    history = await backend.source.history("t1", ["me"], NOW - MIN)
    assert history.viewers == frozenset({"me"})
    assert dict(history.media_ms) == {"m1": 10 * MIN, "m2": 10 * MIN}
    assert dict(history.coviewers) == {"ana": 2}
    assert dict((await backend.source.history("t1", ["me"], NOW + 41 * MIN)).media_ms) == {}  # too old
    assert (await backend.source.history("t1", [], NOW)).coviewers == {}
