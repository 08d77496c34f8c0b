"""Each party's media is relayed by one node, its media node; the relay work of an
rtc.* request that arrives elsewhere is done there.

`RoutedRelay` stands where the media relay stood: the party rules still run on
the node that received the request (cameras.py), and a call of any public
coroutine method of `MediaRelay` that names a ``party_id`` (publish, subscribe,
answer, … and whatever is added later) runs on that party's media node. Which
node that is, and how calls get there, is the `MediaNodes` port: this node, in
the embedded default (`LocalMediaNodes`); a claim in Redis and a per-node
channel in a cluster (adapters/media_nodes_redis.py).
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from socialsync.domain.errors import SyncError, bad_request
from socialsync.media.network import advertise

log = logging.getLogger("socialsync.rtc")

# Clean-ups: idempotent, and nobody waits for their outcome. They are sent without
# waiting for the media node's reply, so that a disconnect or a broker delivery
# never waits on a slow or dead node; one channel per node keeps them in order
# with the calls sent after them. They never claim a party for this node.
RELEASES = frozenset({"unpublish", "unsubscribe", "drop_session", "drop_party"})


class RelayHost(Protocol):
    """What a media node's transport hands the calls it receives to (RoutedRelay)."""

    async def serve(self, origin: str, method: str, args: list[Any]) -> Any: ...

    def busy(self, party_id: str) -> bool:
        """Whether this node still relays anything of the party (its claim is kept)."""
        ...

    async def lost(self, party_id: str) -> None:
        """Another node has the party now: what this one held of it goes."""
        ...

    async def gone(self, node_id: str) -> None:
        """That node died: the sessions it routed here go."""
        ...


class MediaNodes(Protocol):
    """Which node relays each party's media, and calls to it.

    ``owner(party, claim=True)`` is the party's media node, this one if no node
    had it. Claims outlive no node: a dead node's lapse within the presence
    bound, and its parties are handed to ``on_lost`` once, on one node.
    """

    node_id: str
    on_lost: Callable[[str], Awaitable[None]] | None

    async def owner(self, party_id: str, *, claim: bool) -> str | None: ...

    async def hold(self, party_id: str) -> None:
        """Before serving a call: the party is (still, or again) this node's, else unavailable."""
        ...

    async def call(self, node_id: str, method: str, args: list[Any]) -> Any:
        """Run ``method(*args)`` on that node's relay; its SyncError, or unavailable on timeout."""
        ...

    async def send(self, node_id: str, method: str, args: list[Any]) -> None:
        """The same, without waiting for the outcome."""
        ...

    def serve(self, host: RelayHost) -> None:
        """Where the calls of other nodes go."""
        ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class LocalMediaNodes:
    """The embedded default: one node, which relays everything."""

    node_id = "local"

    def __init__(self) -> None:
        self.on_lost: Callable[[str], Awaitable[None]] | None = None

    async def owner(self, party_id: str, *, claim: bool) -> str | None:
        return self.node_id

    async def hold(self, party_id: str) -> None:
        return None

    async def call(self, node_id: str, method: str, args: list[Any]) -> Any:
        raise AssertionError("one node: nothing to route")

    async def send(self, node_id: str, method: str, args: list[Any]) -> None:
        raise AssertionError("one node: nothing to route")

    def serve(self, host: RelayHost) -> None:
        return None

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


def routable(relay: object) -> dict[str, inspect.Signature]:
    """The relay's public coroutine methods that take a ``party_id``: what routes."""
    return {
        name: signature
        for name, method in inspect.getmembers(relay, inspect.iscoroutinefunction)
        if not name.startswith("_") and "party_id" in (signature := inspect.signature(method)).parameters
    }


class RoutedRelay:
    def __init__(self, local: Any, nodes: MediaNodes, public_ip: str | None = None) -> None:
        self.local = local
        self.nodes = nodes
        self.public_ip = public_ip
        self._methods = routable(local)
        # Sessions of this node and the parties they used media in: a disconnect
        # (drop_session without a party) reaches each of those parties' media nodes.
        self._media_of: defaultdict[str, set[str]] = defaultdict(set)
        self._serving: Counter[str] = Counter()  # calls under way here, per party
        # Sessions of other nodes with media here, by node: they go if it dies.
        self._routed_here: defaultdict[str, set[str]] = defaultdict(set)
        nodes.serve(self)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._methods:
            return functools.partial(self.call, name)
        return getattr(self.local, name)  # what is not per party stays this node's (stats, ice_servers)

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``local.method(*args, **kwargs)`` on the party's media node."""
        bound = self._methods[method].bind(*args, **kwargs)
        bound.apply_defaults()
        party_id, session = bound.arguments["party_id"], bound.arguments.get("session")
        if isinstance(session, str):
            self._media_of[session].add(party_id)
        positional = list(bound.args)
        if method in RELEASES:
            await self._release(party_id, method, positional)
            return None
        owner = await self.nodes.owner(party_id, claim=True)
        if owner == self.nodes.node_id:
            return await self._serve(method, positional)
        assert owner is not None
        return await self.nodes.call(owner, method, positional)

    async def drop_session(self, session: str, party_id: str | None = None) -> None:
        parties = [party_id] if party_id is not None else sorted(self._media_of.pop(session, ()))
        if party_id is not None and session in self._media_of:
            self._media_of[session].discard(party_id)
        for party in parties:
            await self._release(party, "drop_session", [session, party])

    async def _release(self, party_id: str, method: str, args: list[Any]) -> None:
        try:
            owner = await self.nodes.owner(party_id, claim=False)
            if owner is None or owner == self.nodes.node_id:
                await self._serve(method, args)
            else:
                await self.nodes.send(owner, method, args)
        except SyncError as exc:
            # The media node goes, or Redis is out: its connections go with it.
            log.warning("rtc: %s in %s not delivered: %s", method, party_id, exc.message)

    # ------------------------------------------------------------------ the media node's side
    async def serve(self, origin: str, method: str, args: list[Any]) -> Any:
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
        return party_id in self._serving or bool(self.local.holds(party_id))

    async def lost(self, party_id: str) -> None:
        await self.local.drop_party(party_id)

    async def gone(self, node_id: str) -> None:
        for session in self._routed_here.pop(node_id, ()):
            await self.local.drop_session(session)

    async def _serve(self, method: str, args: list[Any]) -> Any:
        party_id = self._bind(method, args).arguments["party_id"]
        self._serving[party_id] += 1
        try:
            result = await getattr(self.local, method)(*args)
        finally:
            self._serving[party_id] -= 1
            if not self._serving[party_id]:
                del self._serving[party_id]
        return self._advertised(result)

    def _bind(self, method: str, args: list[Any]) -> inspect.BoundArguments:
        signature = self._methods.get(method)
        if signature is None:
            raise bad_request(f"the media relay has no {method!r}")
        try:
            return signature.bind(*args)
        except TypeError as exc:
            raise bad_request(f"{method}: {exc}") from None

    def _advertised(self, result: Any) -> Any:
        # The descriptions this node hands out carry its public address (a node behind NAT).
        if self.public_ip and isinstance(result, str) and result.startswith("v=0"):
            return advertise(result, self.public_ip)
        return result
