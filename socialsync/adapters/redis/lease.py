"""A cluster-wide lease in Redis (SET NX PX): one node of the cluster wins per period."""

from __future__ import annotations

import redis.asyncio as aioredis

from socialsync.adapters.redis.support import Keys, redis_errors


class RedisLease:
    def __init__(self, client: aioredis.Redis, keys: Keys, owner: str) -> None:
        self._redis = client
        self._prefix = keys.prefix
        self._owner = owner

    async def acquire(self, name: str, ttl_ms: int) -> bool:
        with redis_errors():
            return bool(
                await self._redis.set(f"{self._prefix}:lease:{name}", self._owner, nx=True, px=max(1, ttl_ms))
            )
