"""PartyStore in Redis: any node can read any party and commit a transition with
compare-and-set on its version.

Layout per party: a hash ``party:{id}`` with ``v`` (version) and ``d`` (the party
without members, msgpack), and a hash ``party:{id}:m`` of members by user id. A
commit writes only the members that changed, so a join to a live room of 10,000
viewers costs one member, not the whole list.

Reads are cached per node and validated by the version (one small round trip):
the chat and reaction paths read the party on every message.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import replace

import redis.asyncio as aioredis

from .. import codec
from ..domain.errors import Code, SyncError
from ..domain.model import Member, Party
from .redis_support import Keys, pack, redis_errors, unpack

CACHE_SIZE = 10_000

# KEYS: party hash, members hash. ARGV: expected version, new version, party data,
# number of members to set, then (user id, member data) pairs, then user ids to
# remove. "full" in place of the count replaces every member.
_SAVE = """
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'd', ARGV[3])
local i = 5
if ARGV[4] == 'full' then
  redis.call('DEL', KEYS[2])
  while i + 1 <= #ARGV do
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
    i = i + 2
  end
  return 1
end
local n = tonumber(ARGV[4])
for _ = 1, n do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i <= #ARGV do
  redis.call('HDEL', KEYS[2], ARGV[i])
  i = i + 1
end
return 1
"""


class RedisPartyStore:
    def __init__(self, client: aioredis.Redis, keys: Keys) -> None:
        self._redis = client
        self._keys = keys
        self._save = client.register_script(_SAVE)
        # party id -> the party as last read or written by this node
        self._cache: OrderedDict[str, Party] = OrderedDict()

    async def get(self, party_id: str) -> Party | None:
        key = self._keys.party(party_id)
        cached = self._cache.get(party_id)
        with redis_errors():
            if cached is not None:
                version = await self._redis.hget(key, "v")
                if version is not None and int(version) == cached.version:
                    self._cache.move_to_end(party_id)
                    return cached
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hmget(key, "v", "d")
                pipe.hgetall(self._keys.party(party_id) + ":m")
                (version, data), members = await pipe.execute()
        if data is None:
            self._cache.pop(party_id, None)
            return None
        party = codec.party_from_data(unpack(data))
        party = _with_members(party, members.values())
        self._remember(party)
        return party

    async def create(self, party: Party) -> None:
        key = self._keys.party(party.id)
        with redis_errors():
            created = await self._redis.hsetnx(key, "d", pack(codec.party_to_data(party, with_members=False)))
            if not created:
                raise SyncError(Code.CONFLICT, f"party {party.id!r} exists")
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, "v", party.version)
                pipe.delete(key + ":m")
                for member in party.members.values():
                    pipe.hset(key + ":m", member.user_id, pack(codec.member_to_data(member)))
                pipe.sadd(self._keys.tenant_parties(party.tenant_id), party.id)
                await pipe.execute()
        self._remember(party)

    async def save(self, party: Party, expected_version: int) -> bool:
        key = self._keys.party(party.id)
        args: list[str | int | bytes] = [
            expected_version,
            party.version,
            pack(codec.party_to_data(party, with_members=False)),
        ]
        before = self._cache.get(party.id)
        if before is not None and before.version == expected_version:
            changed = [m for uid, m in party.members.items() if before.members.get(uid) is not m]
            removed = [uid for uid in before.members if uid not in party.members]
            args.append(len(changed))
            for member in changed:
                args += [member.user_id, pack(codec.member_to_data(member))]
            args += removed
        else:
            args.append("full")
            for member in party.members.values():
                args += [member.user_id, pack(codec.member_to_data(member))]
        with redis_errors():
            saved = bool(await self._save(keys=[key, key + ":m"], args=args))
        if saved:
            self._remember(party)
        else:
            self._cache.pop(party.id, None)
        return saved

    async def delete(self, party_id: str) -> None:
        cached = self._cache.pop(party_id, None)
        key = self._keys.party(party_id)
        with redis_errors():
            if cached is None:
                data = await self._redis.hget(key, "d")
                tenant_id = codec.party_from_data(unpack(data)).tenant_id if data else None
            else:
                tenant_id = cached.tenant_id
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(key, key + ":m")
                if tenant_id is not None:
                    pipe.srem(self._keys.tenant_parties(tenant_id), party_id)
                await pipe.execute()

    async def list(self, tenant_id: str) -> list[Party]:
        with redis_errors():
            ids = await self._redis.smembers(self._keys.tenant_parties(tenant_id))
        found = [await self.get(raw.decode()) for raw in sorted(ids)]
        return [p for p in found if p is not None]

    def _remember(self, party: Party) -> None:
        self._cache[party.id] = party
        self._cache.move_to_end(party.id)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)

    def __len__(self) -> int:
        """Parties this node has seen lately (for its metrics; the cluster's total is in Redis)."""
        return len(self._cache)

    def member_count(self) -> int:
        return sum(len(p.members) for p in self._cache.values())


def _with_members(party: Party, raw_members: Iterable[bytes]) -> Party:
    members: dict[str, Member] = {}
    for raw in raw_members:
        member = codec.member_from_data(unpack(raw))
        members[member.user_id] = member
    return replace(party, members=members)
