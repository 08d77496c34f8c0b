"""The analytics ports' contracts, one suite per port run against every implementation:
the buffer (memory; Redis with two handles, as two nodes) and the store (memory, SQLite,
PostgreSQL): bounded pushes, exclusive claims that lapse and come back, exactly-once
commits, incremental aggregates, tenant scoping, erasure and expiry."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from services import drop_keys, redis_or_skip, scratch_postgres_database

from socialsync.adapters.memory.analytics import MemoryAnalyticsBuffer, MemoryAnalyticsStore
from socialsync.adapters.redis.analytics import RedisAnalyticsBuffer
from socialsync.adapters.redis.support import Keys, connect
from socialsync.adapters.sql.analytics import SqlAnalyticsStore
from socialsync.adapters.sql.store import SqlStore, upgrade_database
from socialsync.domain.analytics.events import Batch, Event, Kind, MediaInfo
from socialsync.domain.analytics.fold import DAY_MS, VIEW_ROW
from socialsync.ports.analytics import AnalyticsBuffer, AnalyticsStore, Scope

DAY = 20_500 * DAY_MS  # a UTC midnight
NOW = DAY + 3_600_000
FILM = MediaInfo("t1", "m1", "https://cdn.example/film.mp4", "Film", 120.0, False)


def batch(batch_id: str, *events: Event, media: tuple[MediaInfo, ...] = (FILM,)) -> Batch:
    return Batch(batch_id, events, media)


def watched(
    viewer: str, start_s: float, end_s: float, at_ms: int, tenant: str = "t1", session: int = NOW
) -> Event:
    wall = at_ms + round((end_s - start_s) * 1000)
    return Event(tenant, Kind.WATCHED, at_ms, "p1", viewer, session, "m1", start_s, end_s, wall)


def joined(viewer: str, at_ms: int, tenant: str = "t1", ref: str | None = None, session: int = NOW) -> Event:
    return Event(tenant, Kind.JOINED, at_ms, "p1", viewer, session, "m1", ref=ref)


def left(viewer: str, at_ms: int, tenant: str = "t1", session: int = NOW) -> Event:
    return Event(tenant, Kind.LEFT, at_ms, "p1", viewer, session, "m1")


# ---------------------------------------------------------------------------- the buffer


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def buffers(request: pytest.FixtureRequest) -> AsyncIterator[tuple[AnalyticsBuffer, AnalyticsBuffer]]:
    """Two handles on one buffer (two nodes; one process when embedded), holding 3 batches."""
    if request.param == "memory":
        one = MemoryAnalyticsBuffer(max_batches=3)
        yield one, one
        return
    url = await redis_or_skip()
    keys = Keys(f"t{secrets.token_hex(4)}")
    a, b = connect(url), connect(url)
    try:
        yield RedisAnalyticsBuffer(a, keys, max_batches=3), RedisAnalyticsBuffer(b, keys, max_batches=3)
    finally:
        await a.aclose()
        await b.aclose()
        await drop_keys(url, keys.prefix)


async def test_the_buffer_is_bounded_and_claims_are_exclusive(buffers) -> None:
    a, b = buffers
    made = [batch(f"b{i}", joined(f"v{i}", NOW + i)) for i in range(4)]
    assert [await a.push(x) for x in made] == [True, True, True, False]  # full: back-pressure
    assert await b.pending() == 3
    first = await a.claim(2, NOW, 10_000)
    second = await b.claim(5, NOW, 10_000)
    assert [x.batch_id for x in first] == ["b0", "b1"] and [x.batch_id for x in second] == ["b2"]
    assert first[0] == made[0]  # whole, through the wire
    assert await a.claim(5, NOW, 10_000) == []
    assert not await b.push(made[3])  # claimed batches still take room until done
    await a.done(["b0", "b1"])
    assert await b.push(made[3]) and await a.pending() == 2


async def test_a_lapsed_claim_is_handed_out_again(buffers) -> None:
    a, b = buffers
    await a.push(batch("b0", joined("v", NOW)))
    assert [x.batch_id for x in await a.claim(5, NOW, 1_000)] == ["b0"]
    assert await b.claim(5, NOW + 999, 1_000) == []
    assert [x.batch_id for x in await b.claim(5, NOW + 1_000, 1_000)] == ["b0"]  # its node died
    await b.done(["b0"])
    assert await a.pending() == 0


async def test_concurrent_claims_never_share_a_batch(buffers) -> None:
    a, b = buffers
    for i in range(3):
        await a.push(batch(f"b{i}", joined("v", NOW)))
    got = await asyncio.gather(*(h.claim(1, NOW, 10_000) for h in (a, b, a, b)))
    ids = [x.batch_id for claimed in got for x in claimed]
    assert sorted(ids) == ["b0", "b1", "b2"]


# ---------------------------------------------------------------------------- the store


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AnalyticsStore]:
    if request.param == "memory":
        yield MemoryAnalyticsStore()
        return
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'store.db'}"
        else:
            url = await stack.enter_async_context(scratch_postgres_database())
        await upgrade_database(url)
        sql = await SqlStore.open(url)
        try:
            yield SqlAnalyticsStore(sql)
        finally:
            await sql.close()


async def test_commits_are_exactly_once_and_aggregate_incrementally(store) -> None:
    first = batch("b1", joined("ann", NOW, ref="inv"), watched("ann", 0, 30, NOW))
    assert await store.commit([first]) == 2
    assert await store.commit([first]) == 0  # handed out twice (a lapsed claim): once
    second = batch("b2", watched("ann", 20, 40, NOW + 40_000), left("ann", NOW + 60_000))
    assert await store.commit([second, second]) == 2
    (s,) = await store.sessions(Scope("t1"), DAY, DAY + DAY_MS)
    assert (s.viewer, s.started_ms, s.ended_ms, s.ref, s.watch_ms) == (
        "ann",
        NOW,
        NOW + 60_000,
        "inv",
        50_000,
    )
    (v,) = await store.views(Scope("t1", media_id="m1"), DAY, DAY + DAY_MS)
    assert v.coverage == ((0.0, 40.0),) and v.watch_ms == 50_000
    rows = {r.second: r for r in await store.positions("t1", "m1", NOW, NOW + 1)}
    assert rows[VIEW_ROW].viewers == 1
    assert [(rows[s].viewers, rows[s].rewatches) for s in (0, 19, 20, 29, 30, 39)] == [
        (1, 0),
        (1, 0),
        (1, 1),
        (1, 1),
        (1, 0),
        (1, 0),
    ]
    assert 40 not in rows
    assert [m.url for m in await store.media("t1", ["m1", "nope"])] == [FILM.url]
    assert len(await store.events(Scope("t1", "p1"), DAY, DAY + DAY_MS, [Kind.WATCHED.value])) == 2


async def test_views_of_one_session_from_two_batches_in_one_commit(store) -> None:
    got = await store.commit(
        [batch("b1", watched("ann", 0, 10, NOW)), batch("b2", watched("ann", 5, 15, NOW + 10_000))]
    )
    assert got == 2
    (v,) = await store.views(Scope("t1"), DAY, DAY + DAY_MS)
    assert v.coverage == ((0.0, 15.0),)
    rows = {r.second: r for r in await store.positions("t1", "m1", NOW, NOW + 1)}
    assert (rows[5].viewers, rows[5].rewatches, rows[12].viewers) == (1, 1, 1)


async def test_reads_are_per_tenant_and_scope(store) -> None:
    await store.commit(
        [
            batch(
                "b1",
                joined("ann", NOW),
                joined("ann", NOW, tenant="t2"),  # another tenant's user with the same pseudonym text
                Event("t1", Kind.JOINED, NOW, "p2", "bob", NOW, "m2"),
                Event("t1", Kind.INVITE_CREATED, NOW, "p1", "ann", media_id="m1", ref="inv"),
                Event("t1", Kind.INVITE_OPENED, NOW + 1, "p1", ref="inv"),
                Event("t1", Kind.INVITE_OPENED, NOW + 2, "p1", ref="inv"),
                Event("t1", Kind.POLL_VOTE, NOW, "p1", "ann", ref="poll", value="yes"),
                Event("t1", Kind.POLL_VOTE, NOW, "p1", "bob", ref="poll", value="yes"),
                joined("cid", NOW + 5, ref="inv", session=NOW + 5),
            )
        ]
    )
    assert {s.viewer for s in await store.sessions(Scope("t1"), DAY, DAY + DAY_MS)} == {"ann", "bob", "cid"}
    assert {s.viewer for s in await store.sessions(Scope("t1", "p1"), DAY, DAY + DAY_MS)} == {"ann", "cid"}
    assert [s.viewer for s in await store.sessions(Scope("t2"), DAY, DAY + DAY_MS)] == ["ann"]
    assert await store.sessions(Scope("t1"), NOW + DAY_MS, NOW + 2 * DAY_MS) == []
    (ref,) = await store.refs(Scope("t1"), DAY, DAY + DAY_MS)
    assert (ref.ref, ref.kind, ref.party_id, ref.opens) == ("inv", "invite", "p1", 2)
    assert await store.refs(Scope("t2"), DAY, DAY + DAY_MS) == []
    assert [s.viewer for s in await store.joined_by("t1", ["inv"])] == ["cid"]
    assert await store.tallies("t1", "poll_vote", "poll") == {"yes": 2}
    assert await store.seen_before(Scope("t1"), NOW + 1, ["ann", "cid", "zed"]) == {"ann"}
    assert await store.media("t2", ["m1"]) == []


async def test_erasure_deletes_raw_events_and_unties_the_aggregates(store) -> None:
    await store.commit(
        [batch("b1", joined("ann", NOW), watched("ann", 0, 10, NOW), joined("ann", NOW, tenant="t2"))]
    )
    assert len(await store.viewer_events("t1", ["ann"])) == 2
    assert await store.erase("t1", ["ann"]) >= 3
    assert await store.viewer_events("t1", ["ann"]) == []
    (s,) = await store.sessions(Scope("t1"), DAY, DAY + DAY_MS)
    assert s.viewer != "ann" and s.watch_ms == 10_000  # still counted, tied to nobody
    assert [v.viewer for v in await store.views(Scope("t1"), DAY, DAY + DAY_MS)] == [s.viewer]
    assert len(await store.viewer_events("t2", ["ann"])) == 1  # the other tenant's is theirs
    assert await store.erase("t1", ["ann"]) == 0


async def test_expiry_drops_raw_events_before_the_aggregates(store) -> None:
    await store.commit(
        [batch("b1", joined("ann", NOW), watched("ann", 0, 10, NOW), left("ann", NOW + 20_000))]
    )
    gone = await store.expire("t1", NOW + DAY_MS, NOW - DAY_MS)
    assert gone == {"analytics_events": 3, "analytics_aggregates": 0}
    assert await store.events(Scope("t1"), 0, NOW + DAY_MS) == []
    assert len(await store.sessions(Scope("t1"), DAY, DAY + DAY_MS)) == 1
    gone = await store.expire("t1", NOW + DAY_MS, NOW + 2 * DAY_MS)
    assert gone["analytics_aggregates"] >= 3  # the session, the view, the positions
    assert await store.sessions(Scope("t1"), DAY, DAY + DAY_MS) == []
    assert await store.positions("t1", "m1", DAY, DAY + DAY_MS) == []


async def test_events_still_on_their_way_at_an_erasure_are_dropped(store) -> None:
    await store.commit([batch("b1", joined("ann", NOW))])
    await store.erase("t1", ["ann"])
    late = batch(
        "b2",
        watched("ann", 0, 10, NOW + 1_000),  # committed by another node after the erasure
        Event("t1", Kind.INVITE_CREATED, NOW + 1_000, "p1", "ann", media_id="m1", ref="inv"),
        joined("ann", NOW + 1_000, tenant="t2"),  # the other tenant's ann was not erased
    )
    assert await store.commit([late]) == 2
    assert await store.viewer_events("t1", ["ann"]) == []
    (ref,) = await store.refs(Scope("t1"), DAY, DAY + DAY_MS)
    assert ref.ref == "inv"  # the invite counts, made by nobody
    assert len(await store.viewer_events("t2", ["ann"])) == 1
