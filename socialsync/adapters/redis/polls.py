"""Polls in Redis, for every node of a cluster: see ports/polls.py.

``poll:<party>`` is a hash of the party's current poll (``id``, ``status``, ``version``
and ``data``, the whole poll packed), ``poll:<party>:votes`` its votes (voter -> choice)
and ``poll:<party>:counts`` their tallies (choice -> count). Every change runs as one
script, so a vote is checked against the poll's status and counted in one step, and no
vote gets in after a save that closed voting. The three keys expire together at the
poll's keep time.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import redis.asyncio as aioredis

from socialsync.adapters.redis.support import Keys, pack, redis_errors, text, unpack
from socialsync.domain.identity import UserKey
from socialsync.domain.polls import Poll, Tally, counts_of
from socialsync.ports.polls import Counted, VoteResult

# KEYS: poll, votes, counts. ARGV: id, status, version, data, keep_until_ms.
# Returns {} when opened, else {the current poll's data}.
_OPEN = """
local status = redis.call('hget', KEYS[1], 'status')
if status and status ~= 'ended' then return {redis.call('hget', KEYS[1], 'data')} end
redis.call('del', KEYS[1], KEYS[2], KEYS[3])
redis.call('hset', KEYS[1], 'id', ARGV[1], 'status', ARGV[2], 'version', ARGV[3], 'data', ARGV[4])
redis.call('pexpireat', KEYS[1], ARGV[5])
return {}
"""

# KEYS: poll, votes, counts. ARGV: id, voter, choice. Returns {outcome, choice}.
_VOTE = """
local h = redis.call('hmget', KEYS[1], 'id', 'status')
if not h[1] or h[1] ~= ARGV[1] then return {'missing', -1} end
if h[2] ~= 'open' then return {'closed', -1} end
local earlier = redis.call('hget', KEYS[2], ARGV[2])
if earlier then return {'again', tonumber(earlier)} end
redis.call('hset', KEYS[2], ARGV[2], ARGV[3])
redis.call('hincrby', KEYS[3], ARGV[3], 1)
local ttl = redis.call('pttl', KEYS[1])
if ttl > 0 then
  redis.call('pexpire', KEYS[2], ttl)
  redis.call('pexpire', KEYS[3], ttl)
end
return {'counted', tonumber(ARGV[3])}
"""

# KEYS: poll, votes, counts. ARGV: id, expected version, status, version, data,
# keep_until_ms. 1: saved.
_SAVE = """
local h = redis.call('hmget', KEYS[1], 'id', 'version')
if not h[1] or h[1] ~= ARGV[1] or h[2] ~= ARGV[2] then return 0 end
redis.call('hset', KEYS[1], 'status', ARGV[3], 'version', ARGV[4], 'data', ARGV[5])
for i = 1, 3 do redis.call('pexpireat', KEYS[i], ARGV[6]) end
return 1
"""

# KEYS: poll, counts. Returns {data, counts as a flat list}, or {} when there is none.
_CURRENT = """
local data = redis.call('hget', KEYS[1], 'data')
if not data then return {} end
return {data, redis.call('hgetall', KEYS[2])}
"""

# KEYS: poll, votes. ARGV: id, voter.
_CHOICE = """
if redis.call('hget', KEYS[1], 'id') ~= ARGV[1] then return false end
return redis.call('hget', KEYS[2], ARGV[2])
"""

# KEYS: poll, votes. ARGV: voter, then id, version and the new data when the opener
# changes (the poll is replaced only if it is still that one). 1: something changed.
_ERASE = """
local found = redis.call('hdel', KEYS[2], ARGV[1])
if ARGV[2] then
  local h = redis.call('hmget', KEYS[1], 'id', 'version')
  if h[1] == ARGV[2] and h[2] == ARGV[3] then
    redis.call('hset', KEYS[1], 'data', ARGV[4])
    found = 1
  end
end
return found
"""


def _poll(raw: Any) -> Poll:
    return Poll.from_data(unpack(raw))


class RedisPolls:
    def __init__(self, client: aioredis.Redis, keys: Keys) -> None:
        self._redis = client
        self._prefix = keys.prefix
        self._open = client.register_script(_OPEN)
        self._vote = client.register_script(_VOTE)
        self._save = client.register_script(_SAVE)
        self._current = client.register_script(_CURRENT)
        self._choice = client.register_script(_CHOICE)
        self._erase = client.register_script(_ERASE)

    def _keys(self, party_id: str) -> list[str]:
        base = f"{self._prefix}:poll:{party_id}"
        return [base, f"{base}:votes", f"{base}:counts"]

    async def open(self, poll: Poll, keep_until_ms: int) -> Poll | None:
        args: list[str | int | bytes] = [
            poll.id,
            poll.status.value,
            poll.version,
            pack(poll.to_data()),
            keep_until_ms,
        ]
        with redis_errors():
            found = await self._open(keys=self._keys(poll.party_id), args=args)
        return _poll(found[0]) if found else None

    async def current(self, party_id: str) -> Tally | None:
        poll_key, _, counts_key = self._keys(party_id)
        with redis_errors():
            found = await self._current(keys=[poll_key, counts_key])
        if not found:
            return None
        data, flat = found
        poll = _poll(data)
        raw = {int(text(k)): int(v) for k, v in zip(flat[0::2], flat[1::2], strict=True)}
        return Tally(poll, counts_of(raw, len(poll.choices)))

    async def vote(self, party_id: str, poll_id: str, voter: str, choice: int) -> VoteResult:
        with redis_errors():
            outcome, found = await self._vote(keys=self._keys(party_id), args=[poll_id, voter, choice])
        counted = Counted(text(outcome))
        return VoteResult(counted, None if int(found) < 0 else int(found))

    async def choice_of(self, party_id: str, poll_id: str, voter: str) -> int | None:
        poll_key, votes_key, _ = self._keys(party_id)
        with redis_errors():
            found = await self._choice(keys=[poll_key, votes_key], args=[poll_id, voter])
        return None if found is None else int(found)

    async def save(self, poll: Poll, expected_version: int, keep_until_ms: int) -> bool:
        args: list[str | int | bytes] = [
            poll.id,
            expected_version,
            poll.status.value,
            poll.version,
            pack(poll.to_data()),
            keep_until_ms,
        ]
        with redis_errors():
            saved = await self._save(keys=self._keys(poll.party_id), args=args)
        return bool(int(saved))

    async def forget(self, party_id: str) -> None:
        with redis_errors():
            await self._redis.delete(*self._keys(party_id))

    async def erase_user(self, tenant_id: str, user_id: str, pseudonym: str) -> int:
        """Every poll is looked at (a scan of the poll keys: erasures are rare, and a poll
        outlives its party by its keep time); only the tenant's are changed."""
        voter = str(UserKey(tenant_id, user_id))
        changed = 0
        with redis_errors():
            async for raw in self._redis.scan_iter(match=f"{self._prefix}:poll:*", count=500):
                poll_key = text(raw)
                if poll_key.endswith((":votes", ":counts")):
                    continue
                data = await self._redis.hget(poll_key, "data")
                poll = _poll(data) if data is not None else None
                if poll is None or poll.tenant_id != tenant_id:
                    continue
                args: list[str | int | bytes] = [voter]
                if poll.by_id == user_id:
                    renamed = replace(poll, by_id=pseudonym, by_name=pseudonym)
                    args += [poll.id, poll.version, pack(renamed.to_data())]
                changed += int(await self._erase(keys=[poll_key, f"{poll_key}:votes"], args=args))
        return changed
