"""The feedback ports' contracts (ports/feedback.py, ports/engagement.py), run against
every implementation (memory, SQLite, PostgreSQL): a viewer is prompted at most once a
week even by two nodes at once, a prompt is answered once and not after it expires,
comments are listed newest first within their tenant (and party), and go with an
erasure or their retention; a tenant's switches are kept."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from services import scratch_postgres_database

from socialsync.adapters.memory.engagement import MemoryEngagement
from socialsync.adapters.memory.feedback import MemoryFeedback
from socialsync.adapters.sql.engagement import SqlEngagement
from socialsync.adapters.sql.feedback import SqlFeedback
from socialsync.adapters.sql.store import SqlStore, upgrade_database
from socialsync.domain.engagement import Engagement
from socialsync.domain.errors import SyncError
from socialsync.domain.feedback import PROMPT_EVERY_MS, PROMPT_TTL_MS, Comment, Prompt, Survey
from socialsync.domain.tenant import Tenant
from socialsync.ports.engagement import EngagementStore
from socialsync.ports.feedback import FeedbackStore

NOW = 1_800_000_000_000


@dataclass
class Backend:
    feedback: FeedbackStore
    engagement: EngagementStore
    sql: bool


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "memory":
        yield Backend(MemoryFeedback(), MemoryEngagement(), False)
        return
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'store.db'}"
        else:
            url = await stack.enter_async_context(scratch_postgres_database())
        await upgrade_database(url)
        sql = await SqlStore.open(url)
        try:
            for tenant in ("t1", "t2"):
                await sql.add_tenant(Tenant(tenant, tenant, "s" * 40, True, NOW))
            yield Backend(SqlFeedback(sql), SqlEngagement(sql), True)
        finally:
            await sql.close()


def prompt(pid: str, viewer: str = "ana", at: int = NOW, tenant: str = "t1") -> Prompt:
    return Prompt(pid, tenant, viewer, "p1", Survey.NPS, at)


def comment(cid: str, at: int, party: str = "p1", viewer: str = "ana", tenant: str = "t1") -> Comment:
    return Comment(cid, tenant, party, viewer, Survey.CSAT, 4, f"text {cid}", False, at)


async def test_a_viewer_is_prompted_at_most_once_a_week(backend: Backend) -> None:
    store = backend.feedback
    assert await store.claim(prompt("a"), PROMPT_EVERY_MS)
    assert not await store.claim(prompt("b", at=NOW + PROMPT_EVERY_MS - 1), PROMPT_EVERY_MS)
    assert await store.claim(prompt("c", tenant="t2"), PROMPT_EVERY_MS)  # another tenant's viewer
    held = await store.prompt("t1", "ana")
    assert held is not None and held.id == "a" and held.survey is Survey.NPS
    assert await store.claim(prompt("d", at=NOW + PROMPT_EVERY_MS), PROMPT_EVERY_MS)
    assert (await store.prompt("t1", "ana")) == prompt("d", at=NOW + PROMPT_EVERY_MS)


async def test_two_nodes_prompting_one_viewer_at_once_prompt_it_once(backend: Backend) -> None:
    store = backend.feedback
    won = await asyncio.gather(*(store.claim(prompt(f"n{i}", "ben"), PROMPT_EVERY_MS) for i in range(4)))
    assert sorted(won) == [False, False, False, True]


async def test_a_prompt_is_answered_once_and_not_once_expired(backend: Backend) -> None:
    store = backend.feedback
    await store.claim(prompt("a"), PROMPT_EVERY_MS)
    assert await store.answer("t1", "ana", "wrong", NOW + 1) is None
    done = await store.answer("t1", "ana", "a", NOW + 1)
    assert done is not None and done.answered_ms == NOW + 1
    assert await store.answer("t1", "ana", "a", NOW + 2) is None  # once
    assert (await store.prompt("t1", "ana")).answered_ms == NOW + 1  # type: ignore[union-attr]
    await store.claim(prompt("b", "cy"), PROMPT_EVERY_MS)
    assert await store.answer("t1", "cy", "b", NOW + PROMPT_TTL_MS) is None  # expired


async def test_comments_are_listed_newest_first_within_tenant_and_party(backend: Backend) -> None:
    store = backend.feedback
    for c in (comment("c1", NOW), comment("c2", NOW + 2), comment("c3", NOW + 1, party="p2")):
        await store.add_comment(c)
    await store.add_comment(comment("x", NOW + 5, tenant="t2"))
    assert [c.id for c in await store.comments("t1", None, NOW, NOW + 10, 10)] == ["c2", "c3", "c1"]
    assert [c.id for c in await store.comments("t1", "p1", NOW, NOW + 10, 1)] == ["c2"]
    assert [c.id for c in await store.comments("t1", None, NOW + 1, NOW + 2, 10)] == ["c3"]  # [since, until)
    assert await store.count_comments("t1", None, NOW, NOW + 10) == 3
    assert await store.count_comments("t1", "p2", NOW, NOW + 10) == 1
    assert (await store.comments("t1", None, NOW, NOW + 10, 10))[0] == comment("c2", NOW + 2)


async def test_records_of_a_viewer_go_with_erasure_and_retention(backend: Backend) -> None:
    store = backend.feedback
    await store.claim(prompt("a"), PROMPT_EVERY_MS)
    await store.claim(prompt("b", "ben", at=NOW + 10), PROMPT_EVERY_MS)
    await store.add_comment(comment("c1", NOW))
    await store.add_comment(comment("c2", NOW + 10, viewer="ben"))
    await store.add_comment(comment("c3", NOW, tenant="t2"))
    prompts, comments = await store.viewer_records("t1", ["ana"])
    assert [p.id for p in prompts] == ["a"] and [c.id for c in comments] == ["c1"]
    assert await store.erase("t1", ["ana"]) == 2
    assert await store.viewer_records("t1", ["ana"]) == ([], [])
    assert await store.expire("t1", NOW + 11, NOW + 5) == {"feedback_comments": 1, "feedback_prompts": 0}
    assert await store.expire("t1", NOW, NOW + 11) == {"feedback_comments": 0, "feedback_prompts": 1}
    assert await store.count_comments("t2", None, 0, NOW + 1) == 1


async def test_a_tenants_switches_are_kept(backend: Backend) -> None:
    store = backend.engagement
    assert await store.engagement("t1") is None
    await store.set_engagement("t1", Engagement(True, "csat"), NOW)
    await store.set_engagement("t1", Engagement(True, "nps"), NOW + 1)
    assert await store.engagement("t1") == Engagement(True, "nps")
    assert await store.engagement("t2") is None
    if backend.sql:
        with pytest.raises(SyncError, match="not found"):
            await store.set_engagement("nobody", Engagement(True, "nps"), NOW)
