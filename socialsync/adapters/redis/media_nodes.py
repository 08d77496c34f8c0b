"""Media nodes in a cluster: which node relays each party's media, and calls to it.

Claims. The first node that needs a party's media (an rtc.publish or
rtc.subscribe reaches it) sets ``media:{party}`` to its id with SET NX. It
renews its claims every ``ttl/4`` while it relays something of the party, and
gives one up after two idle rounds. A claim's TTL is twice the presence TTL, so
that it never lapses before presence sees its node dead: takeover goes through
the reaper, which tells the party (``on_lost``) before anyone can claim again.

Reaping. Each node lists the parties it claims (``node:{id}:media``). A node
whose presence key has expired is reaped by the first live node to lock it:
each of its claims is deleted and handed to ``on_lost`` (the cameras go off and
the members are told to publish again, now to a live node). So a dead node's
parties are taken over within ``presence_ttl_ms`` × 1.25 of its last heartbeat.

Calls. Each node listens on a channel of its own (``ch:node:{id}:rtc``, through
a RedisBroker: msgpack, reconnects). A call is {id, from, method, args, reply};
its answer {id, ok, result | error} goes back on the caller's channel. No answer
within the route timeout is ``unavailable``: a hung node never hangs a client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from socialsync.adapters.redis.broker import RedisChannels
from socialsync.adapters.redis.support import Keys, redis_errors
from socialsync.domain.errors import Code, SyncError
from socialsync.ports import Packet
from socialsync.ports.media import CallArgs, PartyLost, RelayHost
from socialsync.tasks import stop

log = logging.getLogger("socialsync.rtc")

# Calls this node serves at once for other nodes; more are refused unavailable.
MAX_SERVING = 256
IDLE_ROUNDS = 2

# The party's claim for ARGV[1] if it is free or ARGV[1]'s already: 1; another node's: 0.
_HOLD = """
local owner = redis.call('get', KEYS[1])
if owner and owner ~= ARGV[1] then return 0 end
redis.call('set', KEYS[1], ARGV[1], 'px', ARGV[2])
return 1
"""
# Delete the claim if it is still ARGV[1]'s.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisMediaNodes:
    """The `MediaNodes` of a cluster: claims in Redis, calls on per-node channels."""

    def __init__(
        self, url: str, client: aioredis.Redis, keys: Keys, node_id: str, *, ttl_ms: int, timeout_ms: int
    ) -> None:
        self._redis = client
        self._keys = keys
        self.node_id = node_id
        self._ttl_ms = ttl_ms
        self._timeout_s = timeout_ms / 1000
        self.on_lost: PartyLost | None = None
        self._host: RelayHost | None = None
        self._claims: dict[str, int] = {}  # party -> idle rounds
        self._origins: set[str] = set()  # nodes that routed calls here
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._serving: set[asyncio.Task[None]] = set()
        self._rpc = RedisChannels(url, client, keys, self._received)
        self._listening = False
        self._task: asyncio.Task[None] | None = None
        self._hold = client.register_script(_HOLD)
        self._release = client.register_script(_RELEASE)

    def serve(self, host: RelayHost) -> None:
        self._host = host

    # ------------------------------------------------------------------ claims
    async def owner(self, party_id: str, *, claim: bool) -> str | None:
        key = self._keys.media_claim(party_id)
        with redis_errors():
            owner = await self._get(key)
            if owner is None and claim:
                if await self._hold(keys=[key], args=[self.node_id, 2 * self._ttl_ms]):
                    await self._register(party_id)
                    return self.node_id
                owner = await self._get(key)
            if owner is None or owner == self.node_id or not claim:
                return owner
            if not await self._redis.exists(self._keys.node_alive(owner)):
                raise SyncError(
                    Code.UNAVAILABLE, "the node relaying this party's cameras is gone; they restart shortly"
                )
        return owner

    async def hold(self, party_id: str) -> None:
        with redis_errors():
            held = await self._hold(
                keys=[self._keys.media_claim(party_id)], args=[self.node_id, 2 * self._ttl_ms]
            )
            if held:
                await self._register(party_id)
        if not held:
            raise SyncError(Code.UNAVAILABLE, "this party's cameras moved to another node: try again")

    async def _get(self, key: str) -> str | None:
        raw = await self._redis.get(key)
        return _text(raw) if raw is not None else None

    async def _register(self, party_id: str) -> None:
        if party_id in self._claims:
            self._claims[party_id] = 0
            return
        self._claims[party_id] = 0
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.sadd(self._keys.node_media(self.node_id), party_id)
            pipe.sadd(self._keys.media_nodes, self.node_id)
            await pipe.execute()

    async def _forget(self, party_id: str) -> None:
        self._claims.pop(party_id, None)
        await self._redis.srem(self._keys.node_media(self.node_id), party_id)

    # ------------------------------------------------------------------ calls
    async def call(self, node_id: str, method: str, args: CallArgs) -> Any:
        call_id = secrets.token_hex(8)
        answered = asyncio.get_running_loop().create_future()
        self._pending[call_id] = answered
        try:
            await self._post(node_id, "call", {"id": call_id, "method": method, "args": args, "reply": True})
            async with asyncio.timeout(self._timeout_s):
                return await answered
        except TimeoutError:
            raise SyncError(
                Code.UNAVAILABLE, "the node relaying this party's cameras did not answer"
            ) from None
        finally:
            self._pending.pop(call_id, None)

    async def send(self, node_id: str, method: str, args: CallArgs) -> None:
        await self._post(node_id, "call", {"id": "", "method": method, "args": args, "reply": False})

    async def _post(self, node_id: str, kind: str, payload: dict[str, Any]) -> None:
        await self._rpc.publish(
            Packet(_channel(node_id), kind, payload | {"from": self.node_id}, None, "rtc")
        )

    async def _received(self, envelope: Packet) -> None:
        p = envelope.payload
        if envelope.event == "reply":
            answered = self._pending.get(str(p.get("id")))
            if answered is not None and not answered.done():
                if p.get("ok"):
                    answered.set_result(p.get("result"))
                else:
                    answered.set_exception(_error(p.get("error") or {}))
        elif (
            envelope.event == "call" and isinstance(p.get("method"), str) and isinstance(p.get("args"), list)
        ):
            if len(self._serving) >= MAX_SERVING:
                await self._answer(p, SyncError(Code.UNAVAILABLE, "the media node is overloaded"))
                return
            task = asyncio.create_task(self._serve(p))
            self._serving.add(task)
            task.add_done_callback(self._serving.discard)

    async def _serve(self, p: dict[str, Any]) -> None:
        origin = str(p.get("from"))
        self._origins.add(origin)
        assert self._host is not None
        try:
            result: Any = await self._host.serve(origin, p["method"], p["args"])
        except SyncError as exc:
            result = exc
        except Exception as exc:
            log.exception("rtc: routed %s failed", p["method"])
            result = SyncError(Code.INTERNAL, f"the media relay failed ({type(exc).__name__})")
        with contextlib.suppress(SyncError):
            await self._answer(p, result)

    async def _answer(self, p: dict[str, Any], result: Any) -> None:
        if not p.get("reply"):
            return
        if isinstance(result, SyncError):
            reply = {
                "id": p.get("id"),
                "ok": False,
                "error": result.to_wire()["error"],  # its reason and retry_after too
            }
        else:
            reply = {"id": p.get("id"), "ok": True, "result": result}
        await self._post(str(p.get("from")), "reply", reply)

    # ------------------------------------------------------------------ lifetime
    async def start(self) -> None:
        with contextlib.suppress(RedisError, OSError):
            await self._reap(self.node_id)  # restarted under the same id: its claims are void
        await self._rpc.start()
        await self._listen()
        self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        """A clean stop: this node's parties are told now, not when its claims lapse."""
        await stop(self._task)
        with contextlib.suppress(RedisError, OSError, SyncError):
            await self._reap(self.node_id)
        await self._rpc.close()

    async def _listen(self) -> None:
        with contextlib.suppress(SyncError):
            await self._rpc.subscribe(_channel(self.node_id), "rtc")
            self._listening = True

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._ttl_ms / 4 / 1000)
            try:
                if not self._listening:
                    await self._listen()
                await self._renew()
                await self._reap_dead()
            except (RedisError, OSError, SyncError) as exc:
                log.debug("media nodes round skipped: %s", exc)
            except Exception:
                log.exception("media nodes round failed")

    async def _renew(self) -> None:
        assert self._host is not None
        for party_id in list(self._claims):
            key = self._keys.media_claim(party_id)
            if not self._host.busy(party_id):
                self._claims[party_id] += 1
                if self._claims[party_id] >= IDLE_ROUNDS:
                    await self._release(keys=[key], args=[self.node_id])
                    await self._forget(party_id)
                    continue
            if not await self._hold(keys=[key], args=[self.node_id, 2 * self._ttl_ms]):
                log.warning("rtc: party %s is relayed by another node now", party_id)
                await self._forget(party_id)
                await self._host.lost(party_id)

    async def _reap_dead(self) -> None:
        for raw in await self._redis.smembers(self._keys.media_nodes):
            node = _text(raw)
            if node == self.node_id or await self._redis.exists(self._keys.node_alive(node)):
                continue
            if await self._redis.set(self._keys.media_reaping(node), self.node_id, nx=True, px=self._ttl_ms):
                log.warning("node %s is gone: its parties' cameras restart elsewhere", node)
                await self._reap(node)
        assert self._host is not None
        for origin in list(self._origins):
            if not await self._redis.exists(self._keys.node_alive(origin)):
                self._origins.discard(origin)
                await self._host.gone(origin)

    async def _reap(self, node: str) -> None:
        key = self._keys.node_media(node)
        for raw in await self._redis.smembers(key):
            party_id = _text(raw)
            claim = self._keys.media_claim(party_id)
            owner = await self._get(claim)
            if owner not in (None, node):
                continue  # given up, and claimed by another node since: not ours to reset
            await self._release(keys=[claim], args=[node])
            if node == self.node_id:
                self._claims.pop(party_id, None)
            if self.on_lost is not None:
                try:
                    await self.on_lost(party_id)
                except SyncError as exc:
                    log.warning("rtc: cameras of %s not reset: %s", party_id, exc.message)
            await self._redis.srem(key, party_id)
        await self._redis.srem(self._keys.media_nodes, node)


def _channel(node_id: str) -> str:
    # A broker "party" of its own per node (party ids never contain a colon).
    return f"node:{node_id}"


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


def _code(value: Any) -> Code:
    try:
        return Code(value)
    except ValueError:
        return Code.INTERNAL


def _error(error: dict[str, Any]) -> SyncError:
    """A routed call's refusal as the media node raised it (code, words, reason, wait)."""
    retry_after = error.get("retry_after")
    reason = error.get("reason")
    params = error.get("params")
    return SyncError(
        _code(error.get("code")),
        str(error.get("message", "")),
        retry_after_s=float(retry_after) if isinstance(retry_after, (int, float)) else None,
        reason=reason if isinstance(reason, str) else None,
        params=params if isinstance(params, dict) else None,
    )
