"""The recent-messages cache (Redis): answers only what it covers, with the same
visibility as the database."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
from services import drop_keys, redis_or_skip

from socialsync.adapters.redis.recent import RedisRecentMessages
from socialsync.adapters.redis.support import Keys, connect
from socialsync.domain.chat.messages import Message

pytestmark = pytest.mark.redis


def message(i: int, user: str = "ada", hidden: bool = False, party: str = "p1") -> Message:
    return Message(party, i, user, user.title(), f"line {i}", 1_000 + i, f"n{i}", hidden=hidden)


@pytest.fixture
async def recent() -> AsyncIterator[RedisRecentMessages]:
    url = await redis_or_skip()
    keys = Keys(f"t{secrets.token_hex(4)}")
    client = connect(url)
    try:
        yield RedisRecentMessages(client, keys, max_per_party=10)
    finally:
        await client.aclose()
        await drop_keys(url, keys.prefix)


def ids(found: list[Message] | None) -> list[int] | None:
    return None if found is None else [m.id for m in found]


async def test_answers_what_it_covers_and_nothing_older(recent):
    for i in range(1, 16):
        await recent.add(message(i))
    assert ids(await recent.after("p1", 5, 100, "bob")) == list(range(6, 16)), "the newest 10 are kept"
    assert ids(await recent.after("p1", 12, 2, "bob")) == [13, 14]
    assert await recent.after("p1", 4, 100, "bob") is None, "5 is gone: ask the database"
    assert ids(await recent.after("p1", 15, 100, "bob")) == []
    assert await recent.after("other", 0, 10, "bob") is None


async def test_hidden_messages_only_to_their_author_and_moderators(recent):
    await recent.add(message(1))
    await recent.add(message(2, user="troll", hidden=True))
    await recent.add(message(3))
    assert ids(await recent.after("p1", 0, 10, "bob")) == [1, 3]
    assert ids(await recent.after("p1", 0, 10, "troll")) == [1, 2, 3]
    assert ids(await recent.after("p1", 0, 10, "*")) == [1, 2, 3]


async def test_removed_and_readded_ids_are_not_doubled(recent):
    for i in (1, 2, 3):
        await recent.add(message(i))
    await recent.remove("p1", 2)
    assert await recent.after("p1", 0, 10, "bob") is None, "a deleted id is a hole: the database"
    assert ids(await recent.after("p1", 2, 10, "bob")) == [3]
    await recent.add(message(2))  # restored after review
    await recent.add(message(3))  # a retried publish of the same id
    found = await recent.after("p1", 0, 10, "bob")
    assert ids(found) == [1, 2, 3] and found[1] == message(2)


async def test_a_hole_sends_the_read_to_the_database(recent):
    # Published after commit: another node's 2 may come late, or never (it died
    # between its commit and its publish). A read across the hole must not skip it.
    await recent.add(message(1))
    await recent.add(message(3))
    assert await recent.after("p1", 0, 10, "bob") is None
    assert ids(await recent.after("p1", 2, 10, "bob")) == [3]
    await recent.add(message(2))
    assert ids(await recent.after("p1", 0, 10, "bob")) == [1, 2, 3]
