"""Broker over Redis pub/sub: one channel per party, msgpack of plain data on the wire.

``RedisChannels`` carries plain-data packets (the media nodes' calls use it as it
is); ``RedisBroker`` is the Broker port on top of it, each envelope's notice in its
plain-data form (socialsync.domain.codec), never pickled.

A node subscribes to the channels of the parties it has sockets in, so it decodes
only their traffic (python-socketio's stock AsyncRedisManager sends everything on
one channel, as JSON, and every node decodes all of it).

Ordering: Redis delivers a channel's messages in the order it received them, and
one listener hands them to the handler one at a time, so envelopes published by
one node to one party arrive in publish order. At-most-once: while a node is cut
off from Redis it misses what is published; when the connection is back, it
resubscribes and calls ``on_resumed`` so the service can catch its sockets up;
``on_lost`` is called the moment the connection goes, so the service knows it is
out of step from then until its catch-up has run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from socialsync.adapters.redis.support import Keys, connect_listener, pack, redis_errors, unpack
from socialsync.domain.codec import notice_from_data, notice_to_data
from socialsync.domain.errors import Code, SyncError
from socialsync.ports import Envelope, Handler, Packet, PacketHandler
from socialsync.tasks import stop

log = logging.getLogger("socialsync.broker")

POLL_S = 1.0
# Attempts to reach a Redis that is down are cheap (refused at once): retry often,
# so a node resynchronises within half a second of Redis coming back.
RECONNECT_MAX_S = 0.5
START_WAIT_S = 2.0
SUBSCRIBE_TIMEOUT_S = 2.0


class RedisChannels:
    """Plain-data packets over Redis pub/sub, with reconnects and resubscription."""

    def __init__(
        self,
        url: str,
        client: aioredis.Redis,
        keys: Keys,
        handler: PacketHandler,
        on_resumed: Callable[[], Awaitable[None]] | None = None,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self._url = url
        self._redis = client  # pooled, for PUBLISH
        self._keys = keys
        self._handler = handler
        self._on_resumed = on_resumed
        self._on_lost = on_lost
        self._channels: dict[bytes, str] = {}  # channel -> party id
        self._confirmations: dict[bytes, asyncio.Future[None]] = {}
        self._pubsub: Any = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen_forever())
        # Up within a second, or the node starts degraded and keeps trying.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), START_WAIT_S)

    async def publish(self, envelope: Packet) -> None:
        packet = pack(
            [envelope.party_id, envelope.event, envelope.payload, envelope.to_user, envelope.audience]
        )
        with redis_errors():
            await self._redis.publish(self._keys.channel(envelope.party_id, envelope.audience), packet)

    async def subscribe(self, party_id: str, audience: str = "members") -> None:
        """Returns once Redis has confirmed the subscription: from then on nothing
        published to the party is missed (the join path relies on it)."""
        channel = self._keys.channel(party_id, audience).encode()
        if not self._connected.is_set():
            raise SyncError(Code.UNAVAILABLE, "redis unavailable")
        self._channels[channel] = party_id  # from here on, resubscribed after a reconnect
        confirmed = asyncio.get_running_loop().create_future()
        self._confirmations[channel] = confirmed
        try:
            with redis_errors():
                await self._pubsub.subscribe(channel)
                await asyncio.wait_for(asyncio.shield(confirmed), SUBSCRIBE_TIMEOUT_S)
        except BaseException:
            self._channels.pop(channel, None)
            raise
        finally:
            self._confirmations.pop(channel, None)

    async def unsubscribe(self, party_id: str, audience: str = "members") -> None:
        channel = self._keys.channel(party_id, audience).encode()
        if self._channels.pop(channel, None) is None:
            return
        if self._connected.is_set():
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.unsubscribe(channel)

    async def close(self) -> None:
        self._closed = True
        await stop(self._task)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    # ------------------------------------------------------------------ listener
    async def _listen_forever(self) -> None:
        delay = 0.05
        first = True
        while not self._closed:
            client = connect_listener(self._url)
            pubsub = client.pubsub()
            try:
                await pubsub.ping()  # connects, or raises
                if self._channels:
                    await pubsub.subscribe(*self._channels)
                self._pubsub = pubsub
                self._connected.set()
                delay = 0.05
                if not first:
                    log.warning("redis pub/sub is back; resubscribed to %d parties", len(self._channels))
                    await self._resumed()
                first = False
                await self._pump(pubsub)
            except (RedisError, OSError) as exc:
                if self._connected.is_set():
                    log.warning("redis pub/sub lost: %s", exc)
            finally:
                if self._connected.is_set() and self._on_lost is not None:
                    self._on_lost()
                self._connected.clear()
                self._pubsub = None
                for waiting in self._confirmations.values():
                    if not waiting.done():
                        waiting.set_exception(ConnectionError("redis pub/sub lost"))
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                with contextlib.suppress(Exception):
                    await client.aclose()
            if not self._closed:
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)

    async def _resumed(self) -> None:
        """The service catches up; whatever it raises must not end the listener."""
        if self._on_resumed is None:
            return
        try:
            await self._on_resumed()
        except (RedisError, OSError):
            raise
        except Exception:
            log.exception("resuming after a redis outage failed")

    async def _pump(self, pubsub: Any) -> None:
        while not self._closed:
            message = await pubsub.get_message(timeout=POLL_S)
            if message is None:
                continue
            kind = message["type"]
            if kind == "subscribe":
                waiting = self._confirmations.get(message["channel"])
                if waiting is not None and not waiting.done():
                    waiting.set_result(None)
            elif kind == "message":
                await self._deliver(message["data"])

    async def _deliver(self, raw: bytes) -> None:
        try:
            party_id, event, payload, to_user, audience = unpack(raw)
            envelope = Packet(str(party_id), str(event), dict(payload), to_user, str(audience))
        except Exception:
            log.warning("dropped an undecodable broker message (%d bytes)", len(raw))
            return
        try:
            await self._handler(envelope)
        except Exception:
            log.exception("delivering %s to party %s failed", envelope.event, envelope.party_id)


class RedisBroker:
    """The Broker port over Redis: each envelope a packet whose event is the notice's
    kind and whose payload its fields (a packet that does not decode is dropped)."""

    def __init__(
        self,
        url: str,
        client: aioredis.Redis,
        keys: Keys,
        handler: Handler,
        on_resumed: Callable[[], Awaitable[None]] | None = None,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self._handler = handler
        self._channels = RedisChannels(url, client, keys, self._received, on_resumed, on_lost)

    @property
    def _keys(self) -> Keys:
        return self._channels._keys

    @property
    def connected(self) -> bool:
        return self._channels.connected

    async def start(self) -> None:
        await self._channels.start()

    async def publish(self, envelope: Envelope) -> None:
        kind, data = notice_to_data(envelope.event)
        await self._channels.publish(
            Packet(envelope.party_id, kind, data, envelope.to_user, envelope.audience)
        )

    async def subscribe(self, party_id: str, audience: str = "members") -> None:
        await self._channels.subscribe(party_id, audience)

    async def unsubscribe(self, party_id: str, audience: str = "members") -> None:
        await self._channels.unsubscribe(party_id, audience)

    async def close(self) -> None:
        await self._channels.close()

    async def _received(self, packet: Packet) -> None:
        try:
            notice = notice_from_data(packet.event, packet.payload)
        except ValueError:
            log.warning("dropped an undecodable notice %r of party %s", packet.event[:64], packet.party_id)
            return
        await self._handler(Envelope(packet.party_id, notice, packet.to_user, packet.audience))
