"""Party timers shared by every node: each fires once, even if the node that set it dies.

A timer is a member of one sorted set (score: when it is due) and a local
``call_later`` on the node that set it, which fires it on time. Whoever fires a
timer first claims it (``SET NX``), so it fires once however many nodes try. The
other nodes poll the set for timers overdue by more than ``TAKEOVER_MS``: those
of a node that died.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from socialsync.adapters.redis.support import Keys, redis_errors
from socialsync.ports import Clock
from socialsync.ports.timers import Fire
from socialsync.tasks import stop

log = logging.getLogger("socialsync.timers")

POLL_S = 0.5
TAKEOVER_MS = 1_000
CLAIM_TTL_MS = 10 * 60_000
CLAIM_RETRY_S = 0.5
CLAIM_ATTEMPTS = 20

# KEYS: timers zset. ARGV: due before, how many. Returns the members taken (and
# removes them): nodes that take the same one are told apart by the claim.
_TAKE_OVERDUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do redis.call('ZREM', KEYS[1], member) end
return due
"""


class RedisTimers:
    def __init__(self, client: aioredis.Redis, keys: Keys, clock: Clock, fire: Fire) -> None:
        self._redis = client
        self._keys = keys
        self._clock = clock
        self._fire = fire
        self._take_overdue = client.register_script(_TAKE_OVERDUE)
        self._handles: dict[str, asyncio.TimerHandle] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._poller: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._poller = asyncio.create_task(self._poll_forever())

    async def schedule(self, party_id: str, key: str, due_ms: int) -> None:
        member = f"{party_id}|{key}"
        if member in self._handles:
            return
        with redis_errors():
            await self._redis.zadd(self._keys.timers, {member: due_ms}, nx=True)
        delay_s = max(0, due_ms - self._clock.now_ms() + 1) / 1000
        self._handles[member] = asyncio.get_running_loop().call_later(delay_s, self._start, member)

    def _start(self, member: str) -> None:
        self._handles.pop(member, None)
        task = asyncio.create_task(self._claim_and_fire(member))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _claim_and_fire(self, member: str) -> None:
        for _ in range(CLAIM_ATTEMPTS):
            try:
                claimed = await self._redis.set(self._keys.timer_claim(member), 1, nx=True, px=CLAIM_TTL_MS)
                break
            except (RedisError, OSError) as exc:
                # Redis is away: the timer is still owed; try again shortly.
                log.warning("timer %s waits for redis: %s", member, exc)
                await asyncio.sleep(CLAIM_RETRY_S)
        else:
            log.error("timer %s dropped: redis stayed unavailable", member)
            return
        if not claimed:
            return
        with contextlib.suppress(RedisError, OSError):
            await self._redis.zrem(self._keys.timers, member)  # else the poller drops it later
        party_id, _, key = member.partition("|")
        try:
            await self._fire(party_id, key)
        except Exception:
            log.exception("timer %s of party %s failed", key, party_id)

    async def _poll_forever(self) -> None:
        while True:
            await asyncio.sleep(POLL_S)
            try:
                overdue = await self._take_overdue(
                    keys=[self._keys.timers], args=[self._clock.now_ms() - TAKEOVER_MS, 100]
                )
            except (RedisError, OSError):
                continue  # the broker and the service report the outage
            for raw in overdue:
                self._start(raw.decode())

    async def close(self) -> None:
        await stop(self._poller)
        for handle in self._handles.values():
            handle.cancel()
        # Left in the sorted set: another node takes them over when they are due.
        self._handles.clear()
        with contextlib.suppress(Exception):
            if self._running:
                await asyncio.gather(*self._running, return_exceptions=True)
