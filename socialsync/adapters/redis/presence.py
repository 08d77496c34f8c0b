"""Which node holds which party sessions, so that a dead node's members leave.

Each node keeps a key alive with a TTL (heartbeats every ``ttl/4``) and a set of
its (party, session) pairs. Every node looks for nodes whose key has expired;
the first to claim a dead node evicts its sessions from their parties (members
with no session left get ``member.left``) and forgets the node. A member whose
node died is gone within ``ttl + ttl/4`` unless it reconnected elsewhere first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from socialsync.adapters.redis.support import Keys, redis_errors, text
from socialsync.tasks import stop

log = logging.getLogger("socialsync.presence")

Evict = Callable[[str, frozenset[str]], Awaitable[None]]


class RedisPresence:
    def __init__(
        self, client: aioredis.Redis, keys: Keys, node_id: str, evict: Evict, ttl_ms: int = 10_000
    ) -> None:
        self._redis = client
        self._keys = keys
        self.node_id = node_id
        self._evict = evict
        self._ttl_ms = ttl_ms
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # A node restarted under the same id: the sessions it had are gone.
        with contextlib.suppress(RedisError, OSError):
            await self._reap(self.node_id)
            await self._beat()
        self._task = asyncio.create_task(self._run())

    async def add(self, party_id: str, session: str) -> None:
        with redis_errors():
            await self._redis.sadd(self._keys.node_sessions(self.node_id), _pair(party_id, session))

    async def remove(self, party_id: str, session: str) -> None:
        # Best effort: a pair left behind is evicted harmlessly if this node dies.
        with contextlib.suppress(RedisError, OSError):
            await self._redis.srem(self._keys.node_sessions(self.node_id), _pair(party_id, session))

    async def restore(self, pairs: Iterable[tuple[str, str]]) -> None:
        """After Redis lost its data: this node's pairs again."""
        members = [_pair(p, s) for p, s in pairs]
        with redis_errors():
            await self._beat()
            if members:
                await self._redis.sadd(self._keys.node_sessions(self.node_id), *members)

    async def close(self) -> None:
        """A clean stop: the node's sessions were closed one by one; forget it."""
        await stop(self._task)
        with contextlib.suppress(RedisError, OSError):
            await self._reap(self.node_id)
            await self._redis.srem(self._keys.nodes, self.node_id)
            await self._redis.delete(self._keys.node_alive(self.node_id))

    # ------------------------------------------------------------------ internals
    async def _run(self) -> None:
        interval_s = self._ttl_ms / 4 / 1000
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self._beat()
                await self._reap_dead()
            except (RedisError, OSError) as exc:
                log.debug("presence round skipped: %s", exc)
            except Exception:
                log.exception("presence round failed")

    async def _beat(self) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.set(self._keys.node_alive(self.node_id), 1, px=self._ttl_ms)
            pipe.sadd(self._keys.nodes, self.node_id)
            await pipe.execute()

    async def _reap_dead(self) -> None:
        for raw in await self._redis.smembers(self._keys.nodes):
            node = text(raw)
            if node == self.node_id or await self._redis.exists(self._keys.node_alive(node)):
                continue
            if await self._redis.set(self._keys.reaping(node), self.node_id, nx=True, px=self._ttl_ms):
                log.warning("node %s is gone: evicting its sessions", node)
                await self._reap(node)

    async def _reap(self, node: str) -> None:
        key = self._keys.node_sessions(node)
        by_party: dict[str, set[str]] = defaultdict(set)
        for raw in await self._redis.smembers(key):
            party_id, _, session = text(raw).partition("|")
            by_party[party_id].add(session)
        for party_id, sessions in by_party.items():
            await self._evict(party_id, frozenset(sessions))
            await self._redis.srem(key, *(_pair(party_id, s) for s in sessions))
        if node != self.node_id:
            await self._redis.srem(self._keys.nodes, node)


def _pair(party_id: str, session: str) -> str:
    return f"{party_id}|{session}"
