"""The Redis side of a cluster node, built in one place for the composition root:
shared party state, per-party fan-out, shared timers and presence.

It reads only the plain values of ``RedisSettings`` (``socialsync.config.Config``
has them all, so the composition root may pass its config as it is); it imports
nothing above the adapters.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import socketio

from socialsync.adapters.redis.broker import RedisBroker
from socialsync.adapters.redis.broker_stock import StockManagerBroker
from socialsync.adapters.redis.media_nodes import RedisMediaNodes
from socialsync.adapters.redis.party_store import RedisPartyStore
from socialsync.adapters.redis.presence import Evict, RedisPresence
from socialsync.adapters.redis.recent import RedisRecentMessages
from socialsync.adapters.redis.support import Keys, connect, redis_errors
from socialsync.adapters.redis.timers import RedisTimers
from socialsync.ports import Broker, Clock, Handler
from socialsync.ports.timers import Fire


class RedisSettings(Protocol):
    """What a cluster node's Redis side is configured with (a subset of Config)."""

    @property
    def redis_url(self) -> str | None: ...
    @property
    def redis_prefix(self) -> str: ...
    @property
    def node_id(self) -> str | None: ...
    @property
    def broker(self) -> str: ...  # "ours" or "stock"
    @property
    def presence_ttl_ms(self) -> int: ...
    @property
    def rtc_route_timeout_ms(self) -> int: ...


class RedisCluster:
    def __init__(self, config: RedisSettings, clock: Clock) -> None:
        assert config.redis_url is not None
        if config.broker not in ("ours", "stock"):
            raise SystemExit(f"SOCIALSYNC_BROKER: 'ours' or 'stock', not {config.broker!r}")
        self.config = config
        self.url = config.redis_url
        self.clock = clock
        self.node_id = config.node_id or f"{socket.gethostname()}-{secrets.token_hex(3)}"
        self.redis = connect(self.url)
        self.keys = Keys(config.redis_prefix)
        self.parties = RedisPartyStore(self.redis, self.keys)
        self.recent = RedisRecentMessages(self.redis, self.keys)
        self._broker: RedisBroker | None = None
        self._timers: RedisTimers | None = None
        self._presence: RedisPresence | None = None

    @property
    def stock(self) -> bool:
        return self.config.broker == "stock"

    def broker(
        self,
        handler: Handler,
        on_resumed: Callable[[], Awaitable[None]],
        emit: Handler,
        on_lost: Callable[[], None] | None = None,
    ) -> Broker:
        if self.stock:
            return StockManagerBroker(emit)
        self._broker = RedisBroker(self.url, self.redis, self.keys, handler, on_resumed, on_lost)
        return self._broker

    def socketio_manager(self) -> Any:
        if not self.stock:
            return None
        return socketio.AsyncRedisManager(self.url, channel=f"{self.keys.prefix}:socketio")

    def timers(self, fire: Fire) -> RedisTimers:
        self._timers = RedisTimers(self.redis, self.keys, self.clock, fire)
        return self._timers

    def presence(self, evict: Evict) -> RedisPresence:
        self._presence = RedisPresence(
            self.redis, self.keys, self.node_id, evict, ttl_ms=self.config.presence_ttl_ms
        )
        return self._presence

    def media_nodes(self) -> RedisMediaNodes:
        """Started and closed by the composition root, inside the presence's lifetime
        (a claim's liveness is its node's presence)."""
        return RedisMediaNodes(
            self.url,
            self.redis,
            self.keys,
            self.node_id,
            ttl_ms=self.config.presence_ttl_ms,
            timeout_ms=self.config.rtc_route_timeout_ms,
        )

    async def start(self) -> None:
        if self._broker is not None:
            await self._broker.start()
        if self._timers is not None:
            self._timers.start()
        if self._presence is not None:
            await self._presence.start()

    async def ping(self) -> None:
        with redis_errors():
            await self.redis.ping()
        if self._broker is not None and not self._broker.connected:
            raise ConnectionError("redis pub/sub is reconnecting")

    async def close(self) -> None:
        if self._presence is not None:
            await self._presence.close()
        await self.redis.aclose()
