"""The PartyStore contract, run against memory and Redis."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest
from services import drop_keys, redis_or_skip

from socialsync.adapters.memory.party_store import MemoryPartyStore
from socialsync.adapters.redis.party_store import RedisPartyStore
from socialsync.adapters.redis.support import Keys, connect
from socialsync.domain.errors import Code, SyncError
from socialsync.domain.model import ChatRules, Media, Settings, User
from socialsync.domain.party import commands as c
from socialsync.domain.party.machine import PartyMachine, create_party

MACHINE = PartyMachine()
ADA = User("ada", "Ada", "t1")


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[list]:
    """Two handles on one store, as two nodes would have (memory: the same one)."""
    if request.param == "memory":
        store = MemoryPartyStore()
        yield [store, store]
        return
    url = await redis_or_skip()
    keys = Keys(f"t{id(request)}")
    clients = [connect(url), connect(url)]
    try:
        yield [RedisPartyStore(client, keys) for client in clients]
    finally:
        for client in clients:
            await client.aclose()
        await drop_keys(url, keys.prefix)


def new_party(party_id: str = "p1", tenant: str = "t1"):
    return create_party(party_id, ADA, "Film", Media("https://m/x.mp4"), Settings(), 1_000).party


def joined(party, user_id: str, session: str, now_ms: int = 2_000):
    return MACHINE.handle(
        party, c.Join(User(user_id, user_id.title(), party.tenant_id), session), now_ms
    ).party


async def test_create_then_get_returns_an_equal_party(stores):
    a, b = stores
    party = joined(new_party(), "ada", "s1")
    await a.create(party)
    assert await b.get("p1") == party
    assert await b.get("nope") is None


async def test_create_twice_is_a_conflict(stores):
    a, b = stores
    await a.create(new_party())
    with pytest.raises(SyncError) as raised:
        await b.create(new_party())
    assert raised.value.code is Code.CONFLICT


async def test_save_is_compare_and_set_on_the_version(stores):
    a, b = stores
    party = new_party()
    await a.create(party)
    first = joined(party, "bob", "s2")
    second = joined(party, "cy", "s3")
    assert await a.save(first, party.version)
    assert not await b.save(second, party.version), "a stale version must lose"
    assert await b.get("p1") == first
    again = joined(await b.get("p1"), "cy", "s3")
    assert await b.save(again, first.version)
    assert set((await a.get("p1")).members) == {"ada", "bob", "cy"}


async def test_members_removed_and_changed_are_stored(stores):
    a, b = stores
    party = joined(joined(new_party(), "ada", "s1"), "bob", "s2")
    await a.create(party)
    left = MACHINE.handle(party, c.Leave("bob", "s2"), 3_000).party
    assert await a.save(left, party.version)
    assert await b.get("p1") == left
    # b saves on top of a state it did not read itself: the whole member list goes.
    back = joined(left, "cy", "s9")
    assert await b.save(back, left.version)
    assert await a.get("p1") == back


async def test_concurrent_saves_have_exactly_one_winner(stores):
    a, b = stores
    party = new_party()
    await a.create(party)
    results = await asyncio.gather(
        *(store.save(joined(party, f"u{i}", f"s{i}"), party.version) for i, store in enumerate(stores * 4))
    )
    assert results.count(True) == 1


async def test_delete_and_list_by_tenant(stores):
    a, b = stores
    await a.create(new_party("p1"))
    await a.create(new_party("p2"))
    other = create_party("p3", User("z", "Z", "t2"), "F", Media("https://m/y.mp4"), Settings(), 1).party
    await b.create(other)
    assert sorted(p.id for p in await b.list("t1")) == ["p1", "p2"]
    await b.delete("p1")
    assert await a.get("p1") is None
    assert [p.id for p in await a.list("t1")] == ["p2"]
    assert [p.id for p in await a.list("t2")] == ["p3"]


@pytest.mark.parametrize("commits", [3, 70])
async def test_a_node_that_fell_behind_reads_the_current_party(stores, commits):
    a, b = stores
    party = joined(joined(joined(new_party(), "ada", "s1"), "pre", "sp"), "ed", "se")
    await a.create(party)
    assert await a.get("p1") == party  # a's copy, about to go stale
    current = await b.get("p1")
    for i in range(commits):
        if i == 0:
            step = MACHINE.handle(current, c.Leave("pre", "sp"), 3_000)  # one that a knew of leaves
        elif i == 1:
            step = MACHINE.handle(current, c.ReportStatus("ed", 1.0, False, True), 3_000)  # one changes
        elif i % 2:
            step = MACHINE.handle(current, c.Leave(f"u{i - 1}", f"s{i - 1}"), 3_000 + i)
        else:
            step = MACHINE.handle(current, c.Join(User(f"u{i}", "U", "t1"), f"s{i}"), 3_000 + i)
        step = step.party
        assert await b.save(step, current.version)
        current = step
    assert await a.get("p1") == current
    assert "pre" not in current.members and current.members["ed"].buffering


async def test_cameras_and_the_stage_are_stored(stores):
    a, b = stores
    party = joined(new_party(), "ada", "s1")
    party = MACHINE.handle(party, c.Publish("ada", "s1", True, False, True), 2_100).party
    party = MACHINE.handle(party, c.SetStage("ada", "ada", True), 2_200).party
    party = dataclasses.replace(
        party, settings=dataclasses.replace(party.settings, chat=ChatRules(locked=True))
    )
    assert party.members["ada"].camera is not None
    await a.create(party)
    assert await b.get("p1") == party


async def test_a_node_remembers_the_party_it_served_after_the_store_lost_it(stores):
    a, b = stores
    party = joined(new_party(), "ada", "s1")
    await a.create(party)
    assert await b.get("p1") == party
    assert b.last_known("p1") == party
    assert b.last_known("never") is None
    # Memory loses parties only with its process; Redis answers by its uptime.
    assert await b.rebuilding() in ((False,) if isinstance(b, MemoryPartyStore) else (False, True))
