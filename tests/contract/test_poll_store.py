"""The PollStore port, on memory and on Redis (two handles: two nodes of a cluster): one
poll under way per party, a voter counted once (also racing itself on two nodes), no
vote once a save closed voting, compare-and-set, other tenants' voters apart, forgetting."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from services import drop_keys, redis_or_skip

from socialsync.adapters.memory.polls import MemoryPolls
from socialsync.adapters.redis.polls import RedisPolls
from socialsync.adapters.redis.support import Keys, connect
from socialsync.adapters.system_clock import SystemClock
from socialsync.domain.polls import Poll, PollKind, PollStatus, close
from socialsync.ports.polls import Counted, PollStore, VoteResult

# Redis expires keys by its own clock: times near now.
NOW = int(time.time() * 1000)
HOUR = 3_600_000
POLL = Poll(
    "q1", "party-1", "demo", PollKind.POLL, "Best?", ("a", "b", "c"), "host", "Hal", NOW, NOW + 60_000
)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[tuple[PollStore, PollStore]]:
    if request.param == "memory":
        store = MemoryPolls(SystemClock())
        yield store, store
        return
    url = await redis_or_skip()
    keys = Keys(f"t{secrets.token_hex(4)}")
    a, b = connect(url), connect(url)
    try:
        yield RedisPolls(a, keys), RedisPolls(b, keys)
    finally:
        await a.aclose()
        await b.aclose()
        await drop_keys(url, keys.prefix)


async def test_one_poll_under_way_per_party_and_a_new_one_after_its_end(stores):
    a, b = stores
    assert await a.open(POLL, NOW + HOUR) is None
    other = replace(POLL, id="q2")
    assert await b.open(other, NOW + HOUR) == POLL, "the one under way is returned"
    assert await b.open(replace(POLL, party_id="party-2"), NOW + HOUR) is None, "parties are apart"
    await a.vote("party-1", "q1", "demo:ann", 1)
    ended = close(POLL, NOW + 1)
    assert await a.save(ended, POLL.version, NOW + HOUR)
    assert await b.open(other, NOW + HOUR) is None
    tally = await a.current("party-1")
    assert tally is not None and tally.poll == other and tally.counts == (0, 0, 0), (
        "a new poll starts from none"
    )
    assert await a.choice_of("party-1", "q2", "demo:ann") is None


async def test_a_voter_counts_once_across_nodes_and_tenants_are_apart(stores):
    a, b = stores
    await a.open(POLL, NOW + HOUR)
    results = await asyncio.gather(
        *(store.vote("party-1", "q1", "demo:ann", choice) for store in (a, b) for choice in (0, 2))
    )
    assert sorted(r.outcome for r in results) == [Counted.AGAIN] * 3 + [Counted.COUNTED]
    first = next(r.choice for r in results if r.outcome is Counted.COUNTED)
    assert {r.choice for r in results} == {first}, "a repeat is told the vote it made"
    assert (await b.vote("party-1", "q1", "acme:ann", 1)).outcome is Counted.COUNTED, "another tenant's ann"
    tally = await b.current("party-1")
    assert tally is not None and tally.total == 2 and tally.counts[1] >= 1
    assert await b.choice_of("party-1", "q1", "demo:ann") == first
    assert await a.choice_of("party-1", "q1", "demo:bob") is None


async def test_nothing_is_counted_after_a_save_that_closed_voting_nor_for_another_poll(stores):
    a, b = stores
    await a.open(POLL, NOW + HOUR)
    assert await a.vote("party-1", "q1", "demo:ann", 0) == VoteResult(Counted.COUNTED, 0)
    ended = close(POLL, NOW + 1)
    assert await b.save(ended, POLL.version, NOW + HOUR)
    assert (await a.vote("party-1", "q1", "demo:bob", 0)).outcome is Counted.CLOSED
    assert (await a.vote("party-1", "q9", "demo:bob", 0)).outcome is Counted.MISSING
    assert (await a.vote("party-2", "q1", "demo:bob", 0)).outcome is Counted.MISSING
    tally = await a.current("party-1")
    assert tally is not None and tally.poll.status is PollStatus.ENDED and tally.counts == (1, 0, 0)


async def test_save_is_compare_and_set_on_the_poll_and_its_version(stores):
    a, b = stores
    await a.open(POLL, NOW + HOUR)
    ended = close(POLL, NOW + 1)
    results = await asyncio.gather(a.save(ended, 1, NOW + HOUR), b.save(ended, 1, NOW + HOUR))
    assert sorted(results) == [False, True], "one of two racing savers wins"
    assert not await a.save(replace(ended, id="q9"), 2, NOW + HOUR), "another poll"
    assert not await a.save(replace(ended, party_id="party-2"), 2, NOW + HOUR), "no poll there"


async def test_forgotten_on_request_and_at_its_keep_time(stores):
    a, b = stores
    await a.open(POLL, NOW + HOUR)
    await a.forget("party-1")
    assert await b.current("party-1") is None
    await a.open(POLL, int(time.time() * 1000) + 300)
    await a.vote("party-1", "q1", "demo:ann", 0)
    await asyncio.sleep(0.5)
    assert await b.current("party-1") is None
    assert (await b.vote("party-1", "q1", "demo:bob", 0)).outcome is Counted.MISSING
    assert await b.choice_of("party-1", "q1", "demo:ann") is None


async def test_an_erasure_forgets_the_voter_keeps_the_counts_and_pseudonymises_the_opener(stores):
    a, b = stores
    opened = replace(POLL, by_id="ann", by_name="Ann Q")
    other = replace(POLL, id="q9", party_id="party-9", tenant_id="acme", by_id="ann", by_name="Ann Q")
    await a.open(opened, NOW + HOUR)
    await a.open(other, NOW + HOUR)
    for voter in ("demo:ann", "demo:bob"):
        assert (await a.vote("party-1", "q1", voter, 1)).outcome is Counted.COUNTED
    await a.vote("party-9", "q9", "acme:ann", 0)
    assert await b.erase_user("demo", "ann", "erased-1") == 1
    tally = await a.current("party-1")
    assert tally is not None and tally.counts == (0, 2, 0)
    assert tally.poll == replace(opened, by_id="erased-1", by_name="erased-1")
    assert await a.choice_of("party-1", "q1", "demo:ann") is None
    assert await a.choice_of("party-1", "q1", "demo:bob") == 1
    assert await a.save(close(tally.poll, NOW + 1), opened.version, NOW + HOUR)  # version as it was
    untouched = await a.current("party-9")
    assert untouched is not None and untouched.poll == other
    assert await a.choice_of("party-9", "q9", "acme:ann") == 0
    assert await b.erase_user("demo", "nobody", "erased-2") == 0
