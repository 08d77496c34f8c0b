"""The analytics buffer of a cluster: event batches from every node, in Redis, until a
node commits them to SQL (ports/analytics.py).

A list of batches (``analytics:buffer``), bounded: a push beyond ``max_batches`` is
refused (the pipeline waits: back-pressure). A claim moves batches into a hash of
claimed ones with a deadline in a sorted set; a claim that lapses (its node died
before committing) goes back to the front of the list at the next claim. The store
commits each batch id once, so a batch handed out twice is harmless. Each entry is
``<batch id>\\n<msgpack of the batch>``: the scripts read the id without unpacking.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis

from socialsync.adapters.redis.support import Keys, pack, redis_errors, unpack
from socialsync.domain.analytics.events import Batch

# KEYS: buffer, claimed hash. ARGV: the entry, the bound.
_PUSH = """
if redis.call('LLEN', KEYS[1]) + redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[2]) then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
return 1
"""

# KEYS: buffer, claimed hash, claims zset. ARGV: now, deadline, limit.
_CLAIM = """
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])
for _, id in ipairs(lapsed) do
  local entry = redis.call('HGET', KEYS[2], id)
  if entry then redis.call('LPUSH', KEYS[1], entry) end
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
end
local out = {}
for i = 1, tonumber(ARGV[3]) do
  local entry = redis.call('LPOP', KEYS[1])
  if not entry then break end
  local id = string.sub(entry, 1, string.find(entry, '\\n', 1, true) - 1)
  redis.call('HSET', KEYS[2], id, entry)
  redis.call('ZADD', KEYS[3], ARGV[2], id)
  out[#out + 1] = entry
end
return out
"""


class RedisAnalyticsBuffer:
    def __init__(self, client: aioredis.Redis, keys: Keys, max_batches: int = 1_000) -> None:
        self._redis = client
        self.max_batches = max_batches
        self._buffer = f"{keys.prefix}:analytics:buffer"
        self._claimed = f"{keys.prefix}:analytics:claimed"
        self._claims = f"{keys.prefix}:analytics:claims"
        self._push = client.register_script(_PUSH)
        self._claim = client.register_script(_CLAIM)

    async def push(self, batch: Batch) -> bool:
        entry = batch.batch_id.encode() + b"\n" + pack(batch.to_data())
        with redis_errors():
            return bool(await self._push(keys=[self._buffer, self._claimed], args=[entry, self.max_batches]))

    async def claim(self, limit: int, now_ms: int, ttl_ms: int) -> list[Batch]:
        with redis_errors():
            entries = await self._claim(
                keys=[self._buffer, self._claimed, self._claims], args=[now_ms, now_ms + ttl_ms, limit]
            )
        out = []
        for entry in entries:
            _, _, body = bytes(entry).partition(b"\n")
            out.append(Batch.from_data(unpack(body)))
        return out

    async def done(self, batch_ids: Sequence[str]) -> None:
        if not batch_ids:
            return
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hdel(self._claimed, *batch_ids)
                pipe.zrem(self._claims, *batch_ids)
                await pipe.execute()

    async def pending(self) -> int:
        with redis_errors():
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.llen(self._buffer)
                pipe.hlen(self._claimed)
                queued, claimed = await pipe.execute()
        return int(queued) + int(claimed)
