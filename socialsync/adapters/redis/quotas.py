"""Quotas in Redis, for every node of a cluster: see ports/quotas.py.

A user's window is a sorted set of their actions' times (``quota:<kind>:<tenant>:<id>``,
the tenant length-prefixed so ids holding ":" cannot collide), trimmed, counted and
added to by one script, so that nodes taking at once are serialised by Redis. The key
expires ``window_ms`` after the latest action. Times are the nodes' clocks (``now_ms``).
"""

from __future__ import annotations

import secrets

import redis.asyncio as aioredis

from socialsync.adapters.redis.support import Keys, redis_errors
from socialsync.domain.identity import UserKey

# KEYS[1]: the window; ARGV: now_ms, window_ms, limit, a unique member.
# Returns 0 (counted) or the milliseconds until the oldest leaves the window.
_TAKE = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('zremrangebyscore', KEYS[1], '-inf', now - window)
if redis.call('zcard', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('zrange', KEYS[1], 0, 0, 'withscores')
  if oldest[2] then return math.max(1, tonumber(oldest[2]) + window - now) end
  return window
end
redis.call('zadd', KEYS[1], now, ARGV[4])
redis.call('pexpire', KEYS[1], window)
return 0
"""


class RedisQuotas:
    def __init__(self, client: aioredis.Redis, keys: Keys) -> None:
        self._prefix = keys.prefix
        self._take = client.register_script(_TAKE)
        self._redis = client

    def _key(self, kind: str, user: UserKey) -> str:
        return f"{self._prefix}:quota:{kind}:{len(user.tenant_id)}:{user.tenant_id}:{user.user_id}"

    async def take(self, kind: str, user: UserKey, limit: int, window_ms: int, now_ms: int) -> float:
        member = f"{now_ms}:{secrets.token_hex(6)}"
        with redis_errors():
            wait_ms = await self._take(keys=[self._key(kind, user)], args=[now_ms, window_ms, limit, member])
        return int(wait_ms) / 1000

    async def erase_user(self, tenant_id: str, user_id: str, pseudonym: str) -> int:
        """An erasure: the user's party quota counted on under ``pseudonym`` (its key no
        longer names them; it expires as it would have)."""
        key = self._key("parties", UserKey(tenant_id, user_id))
        with redis_errors():
            if not await self._redis.exists(key):
                return 0
            await self._redis.rename(key, self._key("parties", UserKey(tenant_id, pseudonym)))
        return 1
