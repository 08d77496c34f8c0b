"""Guest fingerprints in Redis (a cluster): see ports/guest_marks.py. Every key
expires with its entry (PX); the tenant is length-prefixed in key names, so ids
holding ":" cannot collide."""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis

from socialsync.adapters.redis.support import Keys, redis_errors
from socialsync.domain.identity import UserKey


class RedisGuestMarks:
    def __init__(self, client: aioredis.Redis, keys: Keys) -> None:
        self._redis = client
        self._prefix = keys.prefix

    def _seen_key(self, guest: UserKey) -> str:
        return f"{self._prefix}:gfp:{len(guest.tenant_id)}:{guest.tenant_id}:{guest.user_id}"

    def _ban_key(self, tenant_id: str, fingerprint: str, scope: str) -> str:
        return f"{self._prefix}:gban:{len(tenant_id)}:{tenant_id}:{fingerprint}:{scope}"

    async def remember(self, guest: UserKey, fingerprint: str, ttl_ms: int, now_ms: int) -> None:
        key = self._seen_key(guest)
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.sadd(key, fingerprint)
                pipe.pexpire(key, max(1, ttl_ms))
                await pipe.execute()

    async def fingerprints(self, guest: UserKey, now_ms: int) -> list[str]:
        with redis_errors():
            members = await self._redis.smembers(self._seen_key(guest))
        return sorted(m.decode() if isinstance(m, bytes) else str(m) for m in members)

    async def ban(self, tenant_id: str, fingerprint: str, scope: str, ttl_ms: int, now_ms: int) -> None:
        with redis_errors():
            await self._redis.set(self._ban_key(tenant_id, fingerprint, scope), b"1", px=max(1, ttl_ms))

    async def lift(self, tenant_id: str, fingerprint: str, scope: str) -> None:
        with redis_errors():
            await self._redis.delete(self._ban_key(tenant_id, fingerprint, scope))

    async def banned(self, tenant_id: str, fingerprint: str, scopes: Sequence[str], now_ms: int) -> bool:
        if not scopes:
            return False
        with redis_errors():
            found = await self._redis.exists(*(self._ban_key(tenant_id, fingerprint, s) for s in scopes))
        return bool(found)
