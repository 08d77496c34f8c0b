"""The media relay and the media nodes, as the services see them.

`MediaRelay` is what the services (cameras, clips, parties) ask of the relay: plain
data in and out (strings, typed dicts), never aiortc objects, so that a call can run
on another node (the party's media node) and its result come back as JSON.

Guarantees of a `MediaRelay`:
- every call naming a ``party_id`` runs on that party's media node (one node per
  party at a time; `MediaNodes` decides which);
- the releases (`unpublish`, `unsubscribe`, `drop_session`, `drop_party`) are
  idempotent and never fail: they are sent without waiting for a remote node, in
  order with the calls sent after them on the same route;
- its errors are `SyncError`s (``unavailable`` when the media node cannot be reached
  in time).

`MediaNodes` is which node relays each party's media and the route of calls to it:
this node in the embedded default, a claim in Redis and a per-node channel in a
cluster. `RelayHost` is what a media node hands the calls it receives to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypedDict

# One ICE server as the browser's RTCPeerConnection takes it ({urls, username?,
# credential?}): configuration JSON, handed to clients as it is.
IceServer = dict[str, Any]
# Plain data that travels with a recording and comes back with its result, opaque to
# the relay (JSON: it may cross nodes).
ClipContext = dict[str, Any]
# The arguments of a routed call, as they cross nodes (JSON).
CallArgs = list[Any]


class ClipLimits(TypedDict):
    """Bounds of one recording, and of the recordings at once in a party."""

    max_s: float
    max_bytes: int
    per_party: int


class ClipStarted(TypedDict):
    mime_type: str
    path: str


class RecordedClipData(TypedDict):
    """What a finished recording left on disk (or, with ``packets`` empty, nothing)."""

    path: str
    mime_type: str
    duration_s: float
    size_bytes: int
    video_codec: str
    audio_codec: str | None
    width: int
    height: int
    lead_s: float  # how long after the recording was asked for its first frame came
    reason: str  # stopped | limit | size | camera_off | no_video | failed
    packets: dict[str, int]  # per kind


class ClipStopped(RecordedClipData):
    clip_id: str


# Told (party, user, clip id, result, context) when a recording ends, whatever ended
# it, on the node that recorded it.
ClipEnded = Callable[[str, str, str, RecordedClipData, ClipContext], Awaitable[None]]


class Relay(Protocol):
    """The releases: what the parties' service tells the relay (idempotent, never fail)."""

    async def unpublish(self, party_id: str, user_id: str) -> None: ...

    async def drop_session(self, session: str, party_id: str | None = None) -> object: ...

    async def drop_party(self, party_id: str) -> None: ...


class MediaRelay(Relay, Protocol):
    """The whole relay as the services use it (cameras, clips, parties)."""

    @property
    def ice_servers(self) -> list[IceServer]:
        """The configured ICE servers (STUN/TURN without per-user credentials)."""
        ...

    async def publish(self, party_id: str, user_id: str, session: str, offer: str) -> str:
        """The SDP answer to a publisher's send-only offer; replaces its earlier publication."""
        ...

    async def subscribe(self, party_id: str, session: str, publisher: str) -> str:
        """The relay's SDP offer carrying ``publisher``'s media to ``session``."""
        ...

    async def answer(self, party_id: str, session: str, publisher: str, sdp: str) -> None:
        """The subscriber's SDP answer to `subscribe`'s offer."""
        ...

    async def unsubscribe(self, party_id: str, session: str, publisher: str) -> None: ...

    async def start_clip(
        self,
        party_id: str,
        user_id: str,
        clip_id: str,
        path_stem: str,
        limits: ClipLimits,
        context: ClipContext,
    ) -> ClipStarted:
        """Record the member's camera into ``path_stem`` + the container's suffix until
        `stop_clip` or a limit; the result goes to the recording node's `ClipEnded`."""
        ...

    async def stop_clip(self, party_id: str, user_id: str) -> ClipStopped | None:
        """End the member's recording once its file is closed; None if it was not recording."""
        ...


class RelayHost(Protocol):
    """What a media node's transport hands the calls it receives to (RoutedRelay)."""

    async def serve(self, origin: str, method: str, args: CallArgs) -> object:
        """Run a call routed here by node ``origin``; its SyncError if it fails."""
        ...

    def busy(self, party_id: str) -> bool:
        """Whether this node still relays anything of the party (its claim is kept)."""
        ...

    async def lost(self, party_id: str) -> None:
        """Another node has the party now: what this one held of it goes."""
        ...

    async def gone(self, node_id: str) -> None:
        """That node died: the sessions it routed here go."""
        ...


PartyLost = Callable[[str], Awaitable[None]]


class MediaNodes(Protocol):
    """Which node relays each party's media, and calls to it.

    ``owner(party, claim=True)`` is the party's media node, this one if no node had
    it. Claims outlive no node: a dead node's claims lapse within the presence bound,
    and its parties are handed to ``on_lost`` once, on one node.
    """

    node_id: str
    on_lost: PartyLost | None

    async def owner(self, party_id: str, *, claim: bool) -> str | None:
        """The party's media node (claimed for this one if none holds it and ``claim``)."""
        ...

    async def hold(self, party_id: str) -> None:
        """Before serving a call: the party is (still, or again) this node's, else unavailable."""
        ...

    async def call(self, node_id: str, method: str, args: CallArgs) -> Any:
        """Run ``method(*args)`` on that node's relay: its result (JSON), its SyncError,
        or unavailable on timeout."""
        ...

    async def send(self, node_id: str, method: str, args: CallArgs) -> None:
        """The same, without waiting for the outcome."""
        ...

    def serve(self, host: RelayHost) -> None:
        """Where the calls of other nodes go."""
        ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...
