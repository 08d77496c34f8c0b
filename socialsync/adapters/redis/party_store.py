"""PartyStore in Redis: any node can read any party and commit a transition with
compare-and-set on its version.

Layout per party:
- ``party:{id}``: a hash of ``v`` (the version) and ``d`` (the party without its
  members, msgpack);
- ``party:{id}:m``: the members, a hash by user id;
- ``party:{id}:log``: per version, which members that commit changed (a hash,
  the last ``LOG_VERSIONS`` versions).

A commit writes only the members that changed, so a join to a live room of
10,000 viewers costs one member, not the whole list. Reads are cached per node
and validated by the version in one small round trip (the chat and reaction
paths read the party on every message); a node whose copy is a few versions old
reads just the members those versions changed. Nothing is read or written in
proportion to the room's size unless a node has not seen the party lately.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import replace

import redis.asyncio as aioredis

from socialsync.adapters.redis.support import Keys, pack, redis_errors, text, unpack
from socialsync.domain import codec
from socialsync.domain.errors import Code, SyncError
from socialsync.domain.model import Member, Party

CACHE_SIZE = 10_000
# After a Redis restart, how long a party missing from Redis but alive in the
# database is answered `unavailable` (its nodes are putting it back) rather than
# revived from its row by a node that does not know it.
REBUILD_WINDOW_S = 5
LOG_VERSIONS = 64
FULL = b"full"

# KEYS: party hash, members hash, log hash. ARGV: expected version, new version,
# party data, the change (packed [changed ids, removed ids], or "full": replace
# every member), then (user id, member data) pairs to set, then user ids to remove.
_SAVE = """
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'd', ARGV[3])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
redis.call('HDEL', KEYS[3], tostring(tonumber(ARGV[2]) - tonumber(ARGV[5])))
local pairs_end = 6 + 2 * tonumber(ARGV[6])
if ARGV[4] == 'full' then redis.call('DEL', KEYS[2]) end
for i = 7, pairs_end, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
for i = pairs_end + 1, #ARGV do redis.call('HDEL', KEYS[2], ARGV[i]) end
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
                raw_version = await self._redis.hget(key, "v")
                if raw_version is None:
                    return None  # the cached copy stays: last_known, after Redis lost it
                version = int(raw_version)
                if version == cached.version:
                    self._cache.move_to_end(party_id)
                    return cached
                if 0 < version - cached.version <= LOG_VERSIONS:
                    caught_up = await self._catch_up(cached, version)
                    if caught_up is not None:
                        self._remember(caught_up)
                        return caught_up
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hget(key, "d")
                pipe.hgetall(key + ":m")
                data, members = await pipe.execute()
        if data is None:
            return None
        party = _with_members(codec.party_from_data(unpack(data)), members.values())
        self._remember(party)
        return party

    async def _catch_up(self, cached: Party, version: int) -> Party | None:
        """The cached party brought to ``version`` by reading only the members the
        versions in between changed; None if that cannot be done (read it all)."""
        key = self._keys.party(cached.id)
        versions = list(range(cached.version + 1, version + 1))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hmget(key, "v", "d")
            pipe.hmget(key + ":log", versions)
            (now, data), changes = await pipe.execute()
        if now is None or int(now) != version or any(c is None or c == FULL for c in changes):
            return None
        changed: set[str] = set()
        removed: set[str] = set()
        for raw in changes:
            set_ids, removed_ids = unpack(raw)
            changed.difference_update(removed_ids)
            removed.difference_update(set_ids)
            changed.update(set_ids)
            removed.update(removed_ids)
        members = dict(cached.members)
        for user_id in removed:
            members.pop(user_id, None)
        if changed:
            ids = sorted(changed)
            for user_id, raw_member in zip(ids, await self._redis.hmget(key + ":m", ids), strict=True):
                if raw_member is None:
                    return None  # changed again meanwhile: read it all
                members[user_id] = codec.member_from_data(unpack(raw_member))
        return replace(codec.party_from_data(unpack(data)), members=members)

    async def create(self, party: Party) -> None:
        key = self._keys.party(party.id)
        with redis_errors():
            created = await self._redis.hsetnx(key, "d", pack(codec.party_to_data(party, with_members=False)))
            if not created:
                raise SyncError(Code.CONFLICT, f"party {party.id!r} exists")
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, "v", party.version)
                pipe.delete(key + ":m", key + ":log")
                for member in party.members.values():
                    pipe.hset(key + ":m", member.user_id, pack(codec.member_to_data(member)))
                pipe.sadd(self._keys.tenant_parties(party.tenant_id), party.id)
                await pipe.execute()
        self._remember(party)

    async def save(self, party: Party, expected_version: int) -> bool:
        key = self._keys.party(party.id)
        before = self._cache.get(party.id)
        if before is not None and before.version == expected_version:
            # Transitions keep unchanged members as the same objects.
            to_set = [m for uid, m in party.members.items() if before.members.get(uid) is not m]
            removed = [uid for uid in before.members if uid not in party.members]
            change = pack([[m.user_id for m in to_set], removed])
        else:
            to_set, removed, change = list(party.members.values()), [], FULL
        args: list[str | int | bytes] = [
            expected_version,
            party.version,
            pack(codec.party_to_data(party, with_members=False)),
            change,
            LOG_VERSIONS,
            len(to_set),
        ]
        for member in to_set:
            args += [member.user_id, pack(codec.member_to_data(member))]
        args += removed
        with redis_errors():
            saved = bool(await self._save(keys=[key, key + ":m", key + ":log"], args=args))
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
                pipe.delete(key, key + ":m", key + ":log")
                if tenant_id is not None:
                    pipe.srem(self._keys.tenant_parties(tenant_id), party_id)
                await pipe.execute()

    async def list(self, tenant_id: str) -> list[Party]:
        with redis_errors():
            ids = await self._redis.smembers(self._keys.tenant_parties(tenant_id))
        found = [await self.get(text(raw)) for raw in sorted(ids)]
        return [p for p in found if p is not None]

    def last_known(self, party_id: str) -> Party | None:
        return self._cache.get(party_id)

    async def rebuilding(self) -> bool:
        """Redis started less than REBUILD_WINDOW_S ago: if it kept nothing, the nodes
        are still putting their parties back (each does within a second of its
        pub/sub reconnecting)."""
        with redis_errors():
            info = await self._redis.info("server")
        return int(info.get("uptime_in_seconds", REBUILD_WINDOW_S)) < REBUILD_WINDOW_S

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
