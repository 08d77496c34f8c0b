"""Invites in Redis, for every node of a cluster: see ports/invites.py.

``invite:<code>`` is a hash of the invite, ``invite:<code>:users`` the set of the users
it let in, ``party-invites:<party>`` a sorted set of the party's codes by creation time.
A use is checked and counted by one script, so nodes redeeming at once are serialised
by Redis. Every key expires when the invite is forgotten (``Invite.forgotten_at_ms``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import redis.asyncio as aioredis

from socialsync.adapters.redis.support import Keys, redis_errors, text
from socialsync.domain.errors import Code, SyncError, not_found
from socialsync.domain.invites import KEEP_EXPIRED_MS, Invite, Refusal, refused

# KEYS: the party's set, the invite. ARGV: code, created_at_ms, forgotten_at_ms, then the
# hash's fields and values. 0: the code is taken.
_ADD = """
if redis.call('exists', KEYS[2]) == 1 then return 0 end
local n = #ARGV
local fields = {}
for i = 4, n do fields[#fields + 1] = ARGV[i] end
redis.call('hset', KEYS[2], unpack(fields))
redis.call('pexpireat', KEYS[2], ARGV[3])
redis.call('zadd', KEYS[1], ARGV[2], ARGV[1])
local ttl = redis.call('pttl', KEYS[1])
local now = tonumber(ARGV[2])
if ttl < 0 or now + ttl < tonumber(ARGV[3]) then redis.call('pexpireat', KEYS[1], ARGV[3]) end
return 1
"""

# KEYS: the invite, its users. ARGV: tenant, user, now_ms, how long an invite is kept
# after its expiry (ms). Returns {status, the hash as a flat list}.
_REDEEM = """
local h = redis.call('hmget', KEYS[1], 'tenant', 'expires', 'max', 'uses')
if not h[1] or h[1] ~= ARGV[1] then return {'missing', {}} end
if tonumber(ARGV[3]) >= tonumber(h[2]) then return {'expired', {}} end
if redis.call('sismember', KEYS[2], ARGV[2]) == 1 then
  return {'again', redis.call('hgetall', KEYS[1])}
end
if h[3] ~= '' and tonumber(h[4]) >= tonumber(h[3]) then return {'used_up', {}} end
redis.call('sadd', KEYS[2], ARGV[2])
redis.call('pexpireat', KEYS[2], tonumber(h[2]) + tonumber(ARGV[4]))
redis.call('hincrby', KEYS[1], 'uses', 1)
return {'counted', redis.call('hgetall', KEYS[1])}
"""

# KEYS: the invite, its users. ARGV: user.
_RELEASE = """
if redis.call('exists', KEYS[1]) == 1 and redis.call('srem', KEYS[2], ARGV[1]) == 1 then
  redis.call('hincrby', KEYS[1], 'uses', -1)
end
return 1
"""

# KEYS: the invite, its users. ARGV: tenant, user, pseudonym. 1: the invite named the user.
_ERASE = """
if redis.call('hget', KEYS[1], 'tenant') ~= ARGV[1] then return 0 end
local found = 0
if redis.call('hget', KEYS[1], 'by') == ARGV[2] then
  redis.call('hset', KEYS[1], 'by', ARGV[3])
  found = 1
end
if redis.call('sismember', KEYS[2], ARGV[2]) == 1 then
  redis.call('sadd', KEYS[2], ARGV[3])  -- first: the set never empties, and keeps its expiry
  redis.call('srem', KEYS[2], ARGV[2])
  found = 1
end
return found
"""


def _fields(invite: Invite) -> dict[str, str]:
    return {
        "tenant": invite.tenant_id,
        "party": invite.party_id,
        "by": invite.created_by,
        "created": str(invite.created_at_ms),
        "expires": str(invite.expires_at_ms),
        "max": "" if invite.max_uses is None else str(invite.max_uses),
        "uses": str(invite.uses),
        "t": "" if invite.start_at_s is None else repr(invite.start_at_s),
    }


def _invite(code: str, raw: Mapping[Any, Any]) -> Invite:
    h = {text(k): text(v) for k, v in raw.items()}
    return Invite(
        code=code,
        tenant_id=h["tenant"],
        party_id=h["party"],
        created_by=h["by"],
        created_at_ms=int(h["created"]),
        expires_at_ms=int(h["expires"]),
        max_uses=int(h["max"]) if h["max"] else None,
        uses=int(h["uses"]),
        start_at_s=float(h["t"]) if h["t"] else None,
    )


def _pairs(flat: Sequence[Any]) -> dict[Any, Any]:
    return dict(zip(flat[0::2], flat[1::2], strict=True))


class RedisInvites:
    def __init__(self, client: aioredis.Redis, keys: Keys) -> None:
        self._redis = client
        self._prefix = keys.prefix
        self._add = client.register_script(_ADD)
        self._redeem = client.register_script(_REDEEM)
        self._release = client.register_script(_RELEASE)
        self._erase = client.register_script(_ERASE)

    def _key(self, code: str) -> str:
        return f"{self._prefix}:invite:{code}"

    def _users(self, code: str) -> str:
        return f"{self._prefix}:invite:{code}:users"

    def _party(self, party_id: str) -> str:
        return f"{self._prefix}:party-invites:{party_id}"

    async def add(self, invite: Invite) -> None:
        flat = [x for pair in _fields(invite).items() for x in pair]
        args: list[str | int] = [invite.code, invite.created_at_ms, invite.forgotten_at_ms(), *flat]
        with redis_errors():
            added = await self._add(keys=[self._party(invite.party_id), self._key(invite.code)], args=args)
        if not int(added):
            raise SyncError(Code.CONFLICT, "an invite with this code exists")

    async def get(self, code: str, now_ms: int) -> Invite | None:
        with redis_errors():
            raw = await self._redis.hgetall(self._key(code))
        return _invite(code, raw) if raw else None

    async def of_party(self, party_id: str, now_ms: int) -> list[Invite]:
        with redis_errors():
            members: list[Any] = await self._redis.zrange(self._party(party_id), 0, -1)
            codes = [text(c) for c in members]
            if not codes:
                return []
            async with self._redis.pipeline(transaction=False) as pipe:
                for code in codes:
                    pipe.hgetall(self._key(code))
                found = await pipe.execute()
            gone = [code for code, raw in zip(codes, found, strict=True) if not raw]
            if gone:
                await self._redis.zrem(self._party(party_id), *gone)
        return [_invite(code, raw) for code, raw in zip(codes, found, strict=True) if raw]

    async def redeem(self, tenant_id: str, code: str, user_id: str, now_ms: int) -> tuple[Invite, bool]:
        with redis_errors():
            status, flat = await self._redeem(
                keys=[self._key(code), self._users(code)],
                args=[tenant_id, user_id, now_ms, KEEP_EXPIRED_MS],
            )
        outcome = text(status)
        if outcome == "missing":
            raise not_found("no such invite")
        if outcome in (Refusal.EXPIRED.value, Refusal.USED_UP.value):
            raise refused(Refusal(outcome))
        return _invite(code, _pairs(flat)), outcome == "counted"

    async def release(self, code: str, user_id: str) -> None:
        with redis_errors():
            await self._release(keys=[self._key(code), self._users(code)], args=[user_id])

    async def revoke(self, code: str) -> bool:
        with redis_errors():
            party = await self._redis.hget(self._key(code), "party")
            if party is None:
                return False
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(self._key(code), self._users(code))
                pipe.zrem(self._party(text(party)), code)
                await pipe.execute()
        return True

    async def erase_user(self, tenant_id: str, user_id: str, pseudonym: str) -> int:
        """Every invite is looked at (a scan of the invite keys: erasures are rare, and an
        invite outlives its party's live state); the script checks its tenant."""
        changed = 0
        users_suffix = ":users"
        with redis_errors():
            async for raw in self._redis.scan_iter(match=f"{self._prefix}:invite:*", count=500):
                key = text(raw)
                if key.endswith(users_suffix):
                    continue
                code = key[len(self._prefix) + len(":invite:") :]
                changed += int(
                    await self._erase(keys=[key, self._users(code)], args=[tenant_id, user_id, pseudonym])
                )
        return changed
