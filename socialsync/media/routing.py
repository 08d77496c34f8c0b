"""Each party's media is relayed by one node, its media node; the relay work of an
rtc.* request that arrives elsewhere is done there.

`RoutedRelay` is the media relay the services are given (`ports.media.MediaRelay`):
the party rules still run on the node that received the request (services/cameras.py),
and each of its methods runs on the party's media node. Which node that is, and how
calls get there, is the `MediaNodes` port: this node, in the embedded default
(adapters/memory/media_nodes.py); a claim in Redis and a per-node channel in a
cluster (adapters/redis/media_nodes.py).
"""

from __future__ import annotations

import inspect
import logging
from collections import Counter, defaultdict
from typing import Any, cast

from socialsync.domain.errors import SyncError, bad_request
from socialsync.media.network import advertise
from socialsync.media.relay import AiortcRelay
from socialsync.ports.media import (
    CallArgs,
    ClipContext,
    ClipLimits,
    ClipStarted,
    ClipStopped,
    IceServer,
    MediaNodes,
    RelayHost,
)

log = logging.getLogger("socialsync.rtc")

# Clean-ups: idempotent, and nobody waits for their outcome. They are sent without
# waiting for the media node's reply, so that a disconnect or a broker delivery
# never waits on a slow or dead node; one channel per node keeps them in order
# with the calls sent after them. They never claim a party for this node.
RELEASES = frozenset({"unpublish", "unsubscribe", "drop_session", "drop_party"})
# What runs on the party's media node: each takes a ``party_id``.
ROUTED = RELEASES | {"publish", "subscribe", "answer", "start_clip", "stop_clip"}

__all__ = ["RELEASES", "ROUTED", "MediaNodes", "RelayHost", "RoutedRelay"]


class RoutedRelay:
    """The media relay of the services (`MediaRelay`), each call on its party's media node."""

    def __init__(self, local: AiortcRelay, nodes: MediaNodes, public_ip: str | None = None) -> None:
        self.local = local
        self.nodes = nodes
        self.public_ip = public_ip
        # How a call's arguments bind, checked on the media node before it runs.
        self._signatures = {name: inspect.signature(getattr(local, name)) for name in ROUTED}
        # Sessions of this node and the parties they used media in: a disconnect
        # (drop_session without a party) reaches each of those parties' media nodes.
        self._media_of: defaultdict[str, set[str]] = defaultdict(set)
        self._serving: Counter[str] = Counter()  # calls under way here, per party
        # Sessions of other nodes with media here, by node: they go if it dies.
        self._routed_here: defaultdict[str, set[str]] = defaultdict(set)
        nodes.serve(self)

    # ------------------------------------------------------------------ this node's own
    @property
    def ice_servers(self) -> list[IceServer]:
        return self.local.ice_servers

    def stats(self) -> dict[str, int]:
        """This node's relay's counts (not the parties' media nodes')."""
        return self.local.stats()

    # ------------------------------------------------------------------ the MediaRelay port
    async def publish(self, party_id: str, user_id: str, session: str, offer: str) -> str:
        self._media_of[session].add(party_id)
        return cast(str, await self._route(party_id, "publish", [party_id, user_id, session, offer]))

    async def subscribe(self, party_id: str, session: str, publisher: str) -> str:
        self._media_of[session].add(party_id)
        return cast(str, await self._route(party_id, "subscribe", [party_id, session, publisher]))

    async def answer(self, party_id: str, session: str, publisher: str, sdp: str) -> None:
        self._media_of[session].add(party_id)
        await self._route(party_id, "answer", [party_id, session, publisher, sdp])

    async def start_clip(
        self,
        party_id: str,
        user_id: str,
        clip_id: str,
        path_stem: str,
        limits: ClipLimits,
        context: ClipContext,
    ) -> ClipStarted:
        args: CallArgs = [party_id, user_id, clip_id, path_stem, limits, context]
        return cast(ClipStarted, await self._route(party_id, "start_clip", args))

    async def stop_clip(self, party_id: str, user_id: str) -> ClipStopped | None:
        return cast("ClipStopped | None", await self._route(party_id, "stop_clip", [party_id, user_id]))

    async def unpublish(self, party_id: str, user_id: str) -> None:
        await self._release(party_id, "unpublish", [party_id, user_id])

    async def unsubscribe(self, party_id: str, session: str, publisher: str) -> None:
        self._media_of[session].add(party_id)
        await self._release(party_id, "unsubscribe", [party_id, session, publisher])

    async def drop_party(self, party_id: str) -> None:
        await self._release(party_id, "drop_party", [party_id])

    async def drop_session(self, session: str, party_id: str | None = None) -> None:
        parties = [party_id] if party_id is not None else sorted(self._media_of.pop(session, ()))
        if party_id is not None and session in self._media_of:
            self._media_of[session].discard(party_id)
        for party in parties:
            await self._release(party, "drop_session", [session, party])

    async def _route(self, party_id: str, method: str, args: CallArgs) -> Any:
        """``local.method(*args)`` on the party's media node (claimed for this one if free)."""
        owner = await self.nodes.owner(party_id, claim=True)
        if owner == self.nodes.node_id:
            return await self._serve(method, args)
        assert owner is not None
        return await self.nodes.call(owner, method, args)

    async def _release(self, party_id: str, method: str, args: CallArgs) -> None:
        try:
            owner = await self.nodes.owner(party_id, claim=False)
            if owner is None or owner == self.nodes.node_id:
                await self._serve(method, args)
            else:
                await self.nodes.send(owner, method, args)
        except SyncError as exc:
            # The media node goes, or Redis is out: its connections go with it.
            log.warning("rtc: %s in %s not delivered: %s", method, party_id, exc.message)

    # ------------------------------------------------------------------ the media node's side (RelayHost)
    async def serve(self, origin: str, method: str, args: CallArgs) -> object:
        """A call routed here by ``origin``."""
        bound = self._bind(method, args)
        session = bound.arguments.get("session")
        if isinstance(session, str):
            if method == "drop_session":
                self._routed_here[origin].discard(session)
            else:
                self._routed_here[origin].add(session)
        if method not in RELEASES:
            await self.nodes.hold(bound.arguments["party_id"])
        return await self._serve(method, args)

    def busy(self, party_id: str) -> bool:
        return party_id in self._serving or self.local.holds(party_id)

    async def lost(self, party_id: str) -> None:
        await self.local.drop_party(party_id)

    async def gone(self, node_id: str) -> None:
        for session in self._routed_here.pop(node_id, ()):
            await self.local.drop_session(session)

    async def _serve(self, method: str, args: CallArgs) -> Any:
        party_id = self._bind(method, args).arguments["party_id"]
        self._serving[party_id] += 1
        try:
            result = await getattr(self.local, method)(*args)
        finally:
            self._serving[party_id] -= 1
            if not self._serving[party_id]:
                del self._serving[party_id]
        return self._advertised(result)

    def _bind(self, method: str, args: CallArgs) -> inspect.BoundArguments:
        signature = self._signatures.get(method)
        if signature is None:
            raise bad_request(f"the media relay has no {method!r}")
        try:
            bound = signature.bind(*args)
        except TypeError as exc:
            raise bad_request(f"{method}: {exc}") from None
        bound.apply_defaults()
        return bound

    def _advertised(self, result: object) -> object:
        # The descriptions this node hands out carry its public address (a node behind NAT).
        if self.public_ip and isinstance(result, str) and result.startswith("v=0"):
            return advertise(result, self.public_ip)
        return result
