"""The ClipStore contract (ports/clip_store.py), run against the memory store, SQLite
and PostgreSQL (fixtures in conftest.py). Tenants t1 and t2 have users of the same ids."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from store_records import Records
from test_moderation_store import NOW, party, tenant

from socialsync.domain.clips import Clip, ClipReport, ClipStatus
from socialsync.domain.errors import Code, SyncError

VISIBLE, HELD, HIDDEN = ClipStatus.VISIBLE, ClipStatus.HELD, ClipStatus.HIDDEN


def clip(clip_id: str, *, party_id: str = "p1", tenant_id: str = "t1", **kw: object) -> Clip:
    made = Clip(
        id=clip_id,
        tenant_id=tenant_id,
        party_id=party_id,
        user_id="u1",
        user_name="Ann",
        media_url="https://cdn.example/film.m3u8",
        media_time_s=10.0,
        duration_s=3.0,
        created_at_ms=NOW,
        file_name=f"{clip_id}.webm",
        mime_type="video/webm",
        size_bytes=1234,
        width=320,
        height=240,
    )
    return dataclasses.replace(made, **kw)  # type: ignore[arg-type]


def report(
    clip_id: str, reporter: str, *, tenant_id: str = "t1", party_id: str = "p1", ts_ms: int = NOW
) -> ClipReport:
    return ClipReport(tenant_id, party_id, clip_id, reporter, f"name of {reporter}", "rude", ts_ms)


@pytest.fixture
async def rec(records: Records) -> Records:
    """Tenants t1 (party p1) and t2 (party p2), no clips yet."""
    for tenant_id, party_id in (("t1", "p1"), ("t2", "p2")):
        await records.messages.add_tenant(tenant(tenant_id))
        await records.messages.record_party(party(party_id, tenant_id))
    return records


async def test_clips_are_stored_and_listed_by_media_time(rec: Records) -> None:
    store = rec.clips
    await store.add(clip("c", media_time_s=30.0))
    await store.add(clip("b", media_time_s=5.0))
    await store.add(clip("a", media_time_s=30.0, media_url="https://cdn.example/other.mp4"))
    await store.add(clip("x", party_id="p2", tenant_id="t2"))
    assert await store.get("b") == clip("b", media_time_s=5.0)
    assert await store.get("nope") is None
    assert [c.id for c in await store.of_party("p1")] == ["b", "a", "c"]
    assert [c.id for c in await store.of_party("p1", limit=2)] == ["b", "a"]
    assert [c.id for c in await store.of_party("p1", "https://cdn.example/film.m3u8")] == ["b", "c"]
    assert await store.count("p1") == 3
    assert await store.count("p2") == 1


async def test_set_status_is_compare_and_set(rec: Records) -> None:
    store = rec.clips
    await store.add(clip("c"))
    won = await asyncio.gather(*(store.set_status("c", VISIBLE, HELD) for _ in range(4)))
    assert sorted(won) == [False, False, False, True]
    assert (await store.get("c")) == clip("c", status=HELD)
    assert await store.set_status("c", VISIBLE, HIDDEN) is False
    assert await store.set_status("nope", VISIBLE, HELD) is False


async def test_held_per_party_counts_clips_waiting_for_review_in_the_tenant(rec: Records) -> None:
    store = rec.clips
    await store.add(clip("a", status=HELD))
    await store.add(clip("b", status=HELD))
    await store.add(clip("c"))
    await store.add(clip("x", party_id="p2", tenant_id="t2", status=HELD))
    assert await store.held_per_party("t1", ["p1", "p2"]) == {"p1": 2}
    assert await store.held_per_party("t2", ["p1", "p2"]) == {"p2": 1}
    assert await store.held_per_party("t1", []) == {}


async def test_reports_count_distinct_reporters_and_a_repeat_changes_nothing(rec: Records) -> None:
    store = rec.clips
    await store.add(clip("a"))
    await store.add(clip("b"))
    assert await store.report(report("a", "r1", ts_ms=NOW)) == 1
    assert await store.report(report("a", "r2", ts_ms=NOW + 1)) == 2
    assert await store.report(report("a", "r1", ts_ms=NOW + 2)) is None
    assert await store.report(report("b", "r1", ts_ms=NOW + 3)) == 1
    assert await store.report_counts("t1", "p1") == {"a": 2, "b": 1}
    assert [(r.clip_id, r.reporter_id) for r in await store.reports_of("t1", "p1")] == [
        ("b", "r1"),
        ("a", "r2"),
        ("a", "r1"),
    ]
    assert await store.reports_of("t1", "p1", "a", limit=1) == [report("a", "r2", ts_ms=NOW + 1)]


async def test_a_report_of_a_missing_or_other_tenants_clip_is_not_found(rec: Records) -> None:
    store = rec.clips
    await store.add(clip("x", party_id="p2", tenant_id="t2"))
    for clip_id in ("nope", "x"):
        with pytest.raises(SyncError) as refused:
            await store.report(report(clip_id, "r1"))
        assert refused.value.code is Code.NOT_FOUND
    assert await store.report_counts("t2", "p2") == {}


async def test_reports_stay_in_their_tenant(rec: Records) -> None:
    store = rec.clips
    await store.add(clip("a"))
    await store.add(clip("x", party_id="p2", tenant_id="t2"))
    await store.report(report("a", "u1"))
    await store.report(report("x", "u1", tenant_id="t2", party_id="p2"))
    assert [r.clip_id for r in await store.reports_of("t1", "p1")] == ["a"]
    assert await store.reports_of("t2", "p1") == []
    assert await store.report_counts("t2", "p1") == {}
    assert await store.reported_per_party("t2", ["p1", "p2"]) == {"p2": 1}


async def test_concurrent_reports_of_one_clip_count_one_by_one(rec: Records) -> None:
    store = rec.clips
    await store.add(clip("a"))
    counts = await asyncio.gather(*(store.report(report("a", f"r{i}")) for i in range(6)))
    assert sorted(c for c in counts if c is not None) == [1, 2, 3, 4, 5, 6]


async def test_reported_per_party_counts_visible_clips_once(rec: Records) -> None:
    store = rec.clips
    for clip_id in ("a", "b", "c"):
        await store.add(clip(clip_id))
    for reporter in ("r1", "r2"):
        await store.report(report("a", reporter))
    await store.report(report("b", "r1"))
    assert await store.reported_per_party("t1", ["p1"]) == {"p1": 2}
    await store.set_status("b", VISIBLE, HELD)
    assert await store.reported_per_party("t1", ["p1"]) == {"p1": 1}
    assert await store.reported_per_party("t1", []) == {}


async def test_delete_removes_the_clip_and_its_reports(rec: Records) -> None:
    store = rec.clips
    await store.add(clip("a"))
    await store.report(report("a", "r1"))
    assert await store.delete("a") is True
    assert await store.delete("a") is False
    assert await store.get("a") is None
    assert await store.reports_of("t1", "p1") == []
    await store.add(clip("a"))  # a report of the new clip counts from 1 again
    assert await store.report(report("a", "r1")) == 1
