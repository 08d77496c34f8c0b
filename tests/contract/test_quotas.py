"""The Quotas port, on memory and on Redis: at most N actions per user in any window
(sliding), refusals not counted, per tenant and per kind; on Redis two handles (two
nodes) share one count, also when they take at the same moment."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest
from services import drop_keys, redis_or_skip

from socialsync.adapters.memory.quotas import MemoryQuotas
from socialsync.adapters.redis.quotas import RedisQuotas
from socialsync.adapters.redis.support import Keys, connect
from socialsync.domain.identity import UserKey
from socialsync.ports.quotas import Quotas

NOW = 1_700_000_000_000
HOUR = 3_600_000
UNA = UserKey("demo", "una")


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def quotas(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Quotas, Quotas]]:
    """Two handles on one count (two nodes of a cluster; one process when embedded)."""
    if request.param == "memory":
        store = MemoryQuotas()
        yield store, store
        return
    url = await redis_or_skip()
    keys = Keys(f"t{secrets.token_hex(4)}")
    a, b = connect(url), connect(url)
    try:
        yield RedisQuotas(a, keys), RedisQuotas(b, keys)
    finally:
        await a.aclose()
        await b.aclose()
        await drop_keys(url, keys.prefix)


async def test_at_most_limit_in_any_window_and_refusals_are_not_counted(quotas):
    a, b = quotas
    assert await a.take("parties", UNA, 3, HOUR, NOW) == 0
    assert await b.take("parties", UNA, 3, HOUR, NOW + 1_000) == 0
    assert await a.take("parties", UNA, 3, HOUR, NOW + 2_000) == 0
    # The fourth waits for the first to leave the window; asking again changes nothing.
    assert await b.take("parties", UNA, 3, HOUR, NOW + 10_000) == pytest.approx((HOUR - 10_000) / 1000)
    assert await a.take("parties", UNA, 3, HOUR, NOW + 20_000) == pytest.approx((HOUR - 20_000) / 1000)
    # The first leaves the window (sliding, not per clock hour): one more, then none.
    assert await b.take("parties", UNA, 3, HOUR, NOW + HOUR) == 0
    assert await a.take("parties", UNA, 3, HOUR, NOW + HOUR + 1) == pytest.approx((1_000 - 1) / 1000)


async def test_counted_per_tenant_user_and_kind(quotas):
    a, b = quotas
    assert await a.take("parties", UNA, 1, HOUR, NOW) == 0
    assert await b.take("parties", UNA, 1, HOUR, NOW) > 0
    assert await b.take("parties", UserKey("acme", "una"), 1, HOUR, NOW) == 0  # same sub, other tenant
    assert await b.take("parties", UserKey("demo", "otto"), 1, HOUR, NOW) == 0
    assert await b.take("other", UNA, 1, HOUR, NOW) == 0
    # Ids holding ":" do not meet across tenants.
    assert await a.take("parties", UserKey("a", "b:c"), 1, HOUR, NOW) == 0
    assert await b.take("parties", UserKey("a:b", "c"), 1, HOUR, NOW) == 0


async def test_a_limit_of_zero_refuses_and_a_lower_limit_holds_at_once(quotas):
    a, b = quotas
    assert await a.take("parties", UNA, 0, HOUR, NOW) == pytest.approx(HOUR / 1000)
    for i in range(3):
        assert await a.take("parties", UNA, 5, HOUR, NOW + i) == 0
    assert await b.take("parties", UNA, 2, HOUR, NOW + 10) > 0  # the tenant lowered its limit


async def test_handles_taking_at_once_never_exceed_the_limit(quotas):
    a, b = quotas
    takes = [q.take("parties", UNA, 5, HOUR, NOW + i) for i, q in enumerate([a, b] * 10)]
    answers = await asyncio.gather(*takes)
    assert sum(1 for w in answers if w == 0) == 5
