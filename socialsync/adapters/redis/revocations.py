"""Revoked tokens in Redis, for every node of a cluster.

A revocation is a key per ``jti`` and per user (the time of the user's latest
revocation), each expiring after the tenant's maximum token lifetime, which every
node reads when it verifies a token; and an entry in a capped stream that every
node reads (blocking for at most a second), so that it closes the revoked sockets
it holds. A node that loses Redis resumes the stream after its last entry.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import redis.asyncio as aioredis

from socialsync.adapters.redis.support import Keys, redis_errors, text
from socialsync.ports.revocations import OnRevoked, Revocation

log = logging.getLogger("socialsync.redis.revocations")

STREAM_MAX = 10_000
BLOCK_MS = 1_000
RETRY_S = 1.0


class RedisRevocations:
    def __init__(self, client: aioredis.Redis, keys: Keys) -> None:
        self._redis = client
        self._keys = keys
        self._stream = f"{keys.prefix}:revocations"

    def _key(self, tenant_id: str, kind: str, value: str) -> str:
        # The tenant's length first: ids may hold ':', and no two pairs share a key.
        return f"{self._keys.prefix}:revoked:{kind}:{len(tenant_id)}:{tenant_id}:{value}"

    async def revoke(self, revocation: Revocation, keep_s: int) -> None:
        entry: dict[str, str] = {"tenant": revocation.tenant_id, "at": str(revocation.at_s)}
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                if revocation.jti is not None:
                    jti_key = self._key(revocation.tenant_id, "jti", revocation.jti)
                    pipe.set(jti_key, revocation.at_s, ex=keep_s)
                    entry["jti"] = revocation.jti
                if revocation.user_id is not None:
                    key = self._key(revocation.tenant_id, "user", revocation.user_id)
                    # The latest revocation's time (GT: never moved back), kept keep_s more.
                    pipe.zadd(key, {"at": revocation.at_s}, gt=True)
                    pipe.expire(key, keep_s)
                    entry["user"] = revocation.user_id
                pipe.xadd(self._stream, entry, maxlen=STREAM_MAX, approximate=True)  # type: ignore[arg-type]
                await pipe.execute()

    async def is_revoked(self, tenant_id: str, user_id: str, jti: str | None, iat_s: int | None) -> bool:
        with redis_errors():
            if jti is not None and await self._redis.exists(self._key(tenant_id, "jti", jti)):
                return True
            at_s = await self._redis.zscore(self._key(tenant_id, "user", user_id), "at")
        return at_s is not None and (iat_s is None or iat_s <= at_s)

    async def follow(self, on_revoked: OnRevoked) -> None:
        last = await self._last_id()
        while True:
            try:
                with redis_errors():
                    replies: Any = await self._redis.xread({self._stream: last}, count=100, block=BLOCK_MS)
            except Exception as exc:
                log.warning("reading revocations failed, retrying: %r", exc)
                await asyncio.sleep(RETRY_S)
                continue
            for _stream, entries in replies or []:
                for entry_id, fields in entries:
                    last = text(entry_id)
                    revocation = _revocation(fields)
                    if revocation is not None:
                        await on_revoked(revocation)

    async def _last_id(self) -> str:
        while True:
            try:
                with redis_errors():
                    newest: Any = await self._redis.xrevrange(self._stream, count=1)
                return text(newest[0][0]) if newest else "0-0"
            except Exception as exc:
                log.warning("reading revocations failed, retrying: %r", exc)
                await asyncio.sleep(RETRY_S)


def _revocation(fields: dict[Any, Any]) -> Revocation | None:
    data = {text(k): text(v) for k, v in fields.items()}
    try:
        return Revocation(data["tenant"], int(data["at"]), data.get("jti"), data.get("user"))
    except (KeyError, ValueError):
        return None
