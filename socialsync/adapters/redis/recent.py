"""The newest chat messages of each party, in Redis, so that a burst of members
resuming with ``since`` (a node died, thousands reconnect at once) is served
without the database.

One sorted set per party, scored by message id, of at most ``MAX_PER_PARTY``
packed messages. Messages are added as they are published (after their commit,
so nodes may add them out of id order, or miss one), deleted ones removed,
restored ones put back. A read is answered only when the set covers it, that is,
holds every id from the one right after ``since`` without a hole; otherwise (an
old ``since``, a Redis that lost its data, a message not yet or never added, a
deleted one) the caller asks the database.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from socialsync.adapters.redis.support import Keys, pack, redis_errors, unpack
from socialsync.domain import codec
from socialsync.domain.chat.messages import Message

MAX_PER_PARTY = 1_000
# A party nobody has written to for a day has long been resumed by everyone.
TTL_MS = 24 * 3600_000


class RedisRecentMessages:
    def __init__(self, client: aioredis.Redis, keys: Keys, max_per_party: int = MAX_PER_PARTY) -> None:
        self._redis = client
        self._keys = keys
        self._max = max_per_party

    async def add(self, message: Message) -> None:
        key = self._keys.recent(message.party_id)
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                # A retry after a failed publish reuses the id: replace, never duplicate.
                pipe.zremrangebyscore(key, message.id, message.id)
                pipe.zadd(key, {pack(codec.message_to_data(message)): message.id})
                pipe.zremrangebyrank(key, 0, -(self._max + 1))
                pipe.pexpire(key, TTL_MS)
                await pipe.execute()

    async def remove(self, party_id: str, message_id: int) -> None:
        with redis_errors():
            await self._redis.zremrangebyscore(self._keys.recent(party_id), message_id, message_id)

    async def after(
        self, party_id: str, after_id: int, limit: int, viewer: str | None
    ) -> list[Message] | None:
        """Messages with id > after_id, oldest first, visible to ``viewer`` as in
        MessageStore.after; None when the set does not reach back to after_id + 1."""
        key = self._keys.recent(party_id)
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zrange(key, 0, 0, withscores=True)
                pipe.zrangebyscore(key, f"({after_id}", "+inf", start=0, num=max(limit, 0) * 2 + 10)
                oldest, raw = await pipe.execute()
        if not oldest or int(oldest[0][1]) > after_id + 1:
            return None
        found = []
        for expected, item in enumerate(raw, after_id + 1):
            message = codec.message_from_data(unpack(item))
            if message.id != expected:
                # A hole: a message published late or never (its node died between
                # commit and publish), or deleted. Only the database is complete.
                return None
            if not message.hidden or viewer in ("*", message.user_id):
                found.append(message)
        if len(found) < limit and len(raw) == max(limit, 0) * 2 + 10:
            return None  # so many hidden ones that the page may be short: ask the database
        return found[:limit]
