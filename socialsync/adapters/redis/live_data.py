"""Live party state in Redis that can name a user after they left: each party's change
log (``party:{id}:log``, which members a version changed; see party_store.py). An
erasure turns the entries naming the user into ``full`` (a node that meets one reads
the whole party instead of catching up), so no key of a live party keeps their id."""

from __future__ import annotations

import redis.asyncio as aioredis

from socialsync.adapters.redis.party_store import FULL
from socialsync.adapters.redis.support import Keys, redis_errors, text, unpack


class RedisLiveData:
    def __init__(self, client: aioredis.Redis, keys: Keys) -> None:
        self._redis = client
        self._keys = keys

    async def forget_user(self, tenant_id: str, user_id: str) -> int:
        """Log entries of the tenant's live parties that named the user, made ``full``."""
        changed = 0
        with redis_errors():
            for raw_id in await self._redis.smembers(self._keys.tenant_parties(tenant_id)):
                log_key = self._keys.party(text(raw_id)) + ":log"
                for version, raw in (await self._redis.hgetall(log_key)).items():
                    if raw == FULL:
                        continue
                    set_ids, removed_ids = unpack(raw)
                    if user_id in set_ids or user_id in removed_ids:
                        await self._redis.hset(log_key, version, FULL)
                        changed += 1
            changed += await self._drop_grace_timers(tenant_id, user_id)
        return changed

    async def _drop_grace_timers(self, tenant_id: str, user_id: str) -> int:
        """The user's grace timers (``<party>|grace:<user>:<ms>``) in the tenant's live
        parties, or in parties gone (their firing would do nothing): the erasure removed
        the user's memberships first, so no grace is left to end."""
        live = {text(p) for p in await self._redis.smembers(self._keys.tenant_parties(tenant_id))}
        dropped = 0
        marker = f"|grace:{user_id}:"
        async for raw, _ in self._redis.zscan_iter(self._keys.timers, match=f"*{_glob(marker)}*"):
            member = text(raw)
            party_id, found, rest = member.partition(marker)
            if not found or not rest.isdigit():
                continue
            if party_id in live or not await self._redis.exists(self._keys.party(party_id)):
                dropped += int(await self._redis.zrem(self._keys.timers, member))
        return dropped


def _glob(value: str) -> str:
    """``value`` matched literally by a Redis MATCH pattern."""
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in value)
