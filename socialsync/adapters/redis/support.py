"""What every Redis adapter shares: the client, key names, packing, and error translation.

Everything nodes send each other or keep in Redis is msgpack of plain data (see
socialsync.domain.codec): anyone who can write to Redis can make a node read garbage,
never run code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgpack  # type: ignore[import-untyped]
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from socialsync.domain.errors import Code, SyncError

# A command that gets no answer within this is a Redis outage, not a slow reply:
# callers get `unavailable` rather than a hang. (A Redis that is down refuses at
# once; this bounds one that hangs, and is long enough that a node whose event
# loop lags under overload does not take its own lag for an outage.)
SOCKET_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 1.0


def connect(url: str) -> aioredis.Redis:
    """A pooled client that fails fast: one retry on a dropped connection (a stale
    pooled socket after a Redis restart), then the error."""
    return aioredis.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        retry=Retry(NoBackoff(), 1),
        health_check_interval=10,
        driver_info=None,  # no CLIENT SETINFO on connect: Redis before 7.2 refuses it
    )


def connect_listener(url: str) -> aioredis.Redis:
    """A client for one pub/sub connection. No health checks: redis-py runs them
    inside a SUBSCRIBE as a PING that reads its reply, racing the listener's own
    read. A Redis that goes away closes the socket, which the listener sees."""
    return aioredis.Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT_S, health_check_interval=0, driver_info=None
    )


@contextmanager
def redis_errors(what: str = "redis") -> Iterator[None]:
    """Turn the driver's exceptions into SyncError(unavailable) at the boundary."""
    try:
        yield
    except RedisError as exc:
        raise SyncError(Code.UNAVAILABLE, f"{what} unavailable") from exc
    except (OSError, TimeoutError) as exc:
        raise SyncError(Code.UNAVAILABLE, f"{what} unavailable") from exc


class Keys:
    """Every key and channel name, under one prefix (several deployments, or test
    runs, can share one Redis)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def party(self, party_id: str) -> str:
        return f"{self.prefix}:party:{party_id}"

    def tenant_parties(self, tenant_id: str) -> str:
        return f"{self.prefix}:tenant:{tenant_id}:parties"

    def channel(self, party_id: str, audience: str = "members") -> str:
        return f"{self.prefix}:ch:{party_id}" + ("" if audience == "members" else f":{audience}")

    def node_alive(self, node_id: str) -> str:
        return f"{self.prefix}:node:{node_id}:alive"

    def node_sessions(self, node_id: str) -> str:
        return f"{self.prefix}:node:{node_id}:sessions"

    @property
    def nodes(self) -> str:
        return f"{self.prefix}:nodes"

    def reaping(self, node_id: str) -> str:
        return f"{self.prefix}:node:{node_id}:reaping"

    def recent(self, party_id: str) -> str:
        return f"{self.prefix}:recent:{party_id}"

    @property
    def timers(self) -> str:
        return f"{self.prefix}:timers"

    def timer_claim(self, member: str) -> str:
        return f"{self.prefix}:fired:{member}"

    def media_claim(self, party_id: str) -> str:
        """The node relaying the party's media (adapters/media_nodes_redis.py)."""
        return f"{self.prefix}:media:{party_id}"

    def node_media(self, node_id: str) -> str:
        return f"{self.prefix}:node:{node_id}:media"

    @property
    def media_nodes(self) -> str:
        return f"{self.prefix}:media-nodes"

    def media_reaping(self, node_id: str) -> str:
        return f"{self.prefix}:node:{node_id}:media-reaping"


def pack(data: Any) -> bytes:
    return bytes(msgpack.packb(data, use_bin_type=True))


def text(raw: bytes | str) -> str:
    """A reply of a client without decode_responses, as str."""
    return raw.decode() if isinstance(raw, bytes) else raw


def unpack(raw: bytes | str) -> Any:
    # strict_map_key=False: payload maps are keyed by str, but tolerate others
    # rather than dropping a message; sizes are bounded by what nodes publish.
    data = raw.encode() if isinstance(raw, str) else raw
    return msgpack.unpackb(data, raw=False, strict_map_key=False)
