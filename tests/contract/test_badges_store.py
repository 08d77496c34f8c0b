"""The badges ports' contracts (ports/badges.py), run against every implementation
(memory, SQLite, PostgreSQL): awards keep the highest level, one row per party for
per-party kinds, converge under concurrent writers, stay within their tenant, go with an
erasure or an expiry; the facts are read from what the analytics committer wrote."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from services import scratch_postgres_database

from socialsync.adapters.memory.analytics import MemoryAnalyticsStore
from socialsync.adapters.memory.badges import MemoryBadgeFacts, MemoryBadges
from socialsync.adapters.sql.analytics import SqlAnalyticsStore
from socialsync.adapters.sql.badges import SqlBadges
from socialsync.adapters.sql.store import SqlStore, upgrade_database
from socialsync.domain.analytics.events import Batch, Event, Kind, MediaInfo
from socialsync.domain.badges import Award, BadgeKind, PartySession
from socialsync.ports.analytics import AnalyticsStore
from socialsync.ports.badges import BadgeFacts, BadgeStore

NOW = 1_800_000_000_000
LIVE = MediaInfo("t1", "ch1", "https://cdn.example/live.m3u8", "Final", None, True)
FILM = MediaInfo("t1", "m1", "https://cdn.example/film.mp4", "Film", 600.0, False)


@dataclass
class Backend:
    analytics: AnalyticsStore
    awards: BadgeStore
    facts: BadgeFacts


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "memory":
        analytics = MemoryAnalyticsStore()
        yield Backend(analytics, MemoryBadges(), MemoryBadgeFacts(analytics))
        return
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'store.db'}"
        else:
            url = await stack.enter_async_context(scratch_postgres_database())
        await upgrade_database(url)
        sql = await SqlStore.open(url)
        try:
            both = SqlBadges(sql)
            yield Backend(SqlAnalyticsStore(sql), both, both)
        finally:
            await sql.close()


def award(viewer: str, kind: BadgeKind, n: int, ref: str = "", at: int = NOW, tenant: str = "t1") -> Award:
    return Award(tenant, viewer, kind, ref, n, at)


async def test_awards_keep_the_highest_level_and_one_row_per_party(backend: Backend) -> None:
    store = backend.awards
    assert await store.award([award("ana", BadgeKind.HOSTED, 1), award("ana", BadgeKind.FIRST_PARTY, 1)]) == 2
    assert await store.award([award("ana", BadgeKind.HOSTED, 1, at=NOW + 5)]) == 0  # the same again: nothing
    assert await store.award([award("ana", BadgeKind.HOSTED, 5, at=NOW + 9)]) == 1
    assert await store.award([award("ana", BadgeKind.HOSTED, 1, at=NOW + 10)]) == 0  # never lower
    await store.award(
        [award("ana", BadgeKind.TOP_REACTOR, 1, "p1"), award("ana", BadgeKind.TOP_REACTOR, 1, "p2")]
    )
    got = {(a.kind, a.ref): (a.n, a.earned_ms) for a in await store.of("t1", ["ana"])}
    assert got == {
        (BadgeKind.FIRST_PARTY, ""): (1, NOW),
        (BadgeKind.HOSTED, ""): (5, NOW + 9),
        (BadgeKind.TOP_REACTOR, "p1"): (1, NOW),
        (BadgeKind.TOP_REACTOR, "p2"): (1, NOW),
    }


async def test_concurrent_awards_converge_on_the_highest(backend: Backend) -> None:
    store = backend.awards
    await asyncio.gather(*(store.award([award("ben", BadgeKind.STREAK, n)]) for n in (2, 5, 3, 4)))
    (held,) = await store.of("t1", ["ben"])
    assert held.n == 5


async def test_awards_stay_in_their_tenant_and_go_with_erasure_and_expiry(backend: Backend) -> None:
    store = backend.awards
    await store.award(
        [award("ana", BadgeKind.FIRST_PARTY, 1), award("ana", BadgeKind.STREAK, 2, at=NOW + 100)]
    )
    await store.award([award("ana", BadgeKind.FIRST_PARTY, 1, tenant="t2"), award("cy", BadgeKind.HOSTED, 1)])
    assert {a.tenant_id for a in await store.of("t2", ["ana"])} == {"t2"}
    assert await store.erase("t1", ["ana"]) == 2
    assert await store.of("t1", ["ana"]) == [] and len(await store.of("t2", ["ana"])) == 1
    assert await store.expire("t1", NOW + 1) == 1  # cy's, earned before
    assert await store.of("t1", ["cy"]) == []
    assert len(await store.of("t2", ["ana"])) == 1


def _event(kind: Kind, viewer: str, party: str, session: int, at: int, media: str = "m1") -> Event:
    return Event("t1", kind, at, party, viewer, session, media)


async def test_facts_are_read_from_the_committed_aggregates(backend: Backend) -> None:
    h = 3_600_000
    events = [
        _event(Kind.JOINED, "ana", "p1", NOW, NOW),
        Event("t1", Kind.WATCHED, NOW, "p1", "ana", NOW, "m1", 0.0, 3600.0, NOW + h),
        _event(Kind.LEFT, "ana", "p1", NOW, NOW + h),
        _event(Kind.JOINED, "ben", "p1", NOW + 60_000, NOW + 60_000),
        _event(Kind.JOINED, "ana", "p2", NOW + 2 * h, NOW + 2 * h, "ch1"),
        _event(Kind.JOINED, "zed", "p2", NOW + 2 * h - 5, NOW + 2 * h - 5, "ch1"),
    ]
    other_tenant = Event("t2", Kind.JOINED, NOW, "p1", "ana", NOW - 1, "m1")
    await backend.analytics.commit([Batch("b1", (*events, other_tenant), (FILM, LIVE))])
    facts = sorted(await backend.facts.viewer_sessions("t1", "ana"), key=lambda f: f.party_id)
    assert [(f.party_id, f.session_ms, f.watch_ms, f.party_first_ms, f.party_viewers) for f in facts] == [
        ("p1", NOW, h, NOW, 2),  # the first in p1 (its host), with ben: together
        ("p2", NOW + 2 * h, 0, NOW + 2 * h - 5, 2),  # zed was first in p2
    ]
    assert await backend.facts.viewer_sessions("t1", "nobody") == []


async def test_a_partys_sessions_say_whether_they_ended_and_were_live(backend: Backend) -> None:
    events = [
        _event(Kind.JOINED, "ana", "live", NOW, NOW, "ch1"),
        _event(Kind.REACTION, "ana", "live", NOW, NOW + 5, "ch1"),
        _event(Kind.REACTION, "ana", "live", NOW, NOW + 6, "ch1"),
        _event(Kind.LEFT, "ana", "live", NOW, NOW + 10, "ch1"),
        _event(Kind.JOINED, "ben", "live", NOW + 1, NOW + 1, "ch1"),
    ]
    await backend.analytics.commit([Batch("b1", tuple(events), (LIVE,))])
    found = sorted(await backend.facts.party_sessions("t1", "live"), key=lambda s: s.viewer)
    assert found == [PartySession("ana", True, 2, True), PartySession("ben", False, 0, True)]
    assert await backend.facts.party_sessions("t2", "live") == []
