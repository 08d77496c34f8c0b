"""The media relay of one node (an SFU on aiortc): publishers' peer connections in,
one peer connection per (subscriber, publisher) out, frames forwarded encoded.

It knows nothing of parties' rules (cameras.py checks them); it holds the peer
connections, keyed by party, user and session, and closes them. Bounded by the
party rules: at most ``max_cameras`` publishers per party, so at most that many
connections per subscribing session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription

from socialsync.domain.errors import Code, Reason, SyncError, bad_request, not_found
from socialsync.media.forward import (
    MediaSource,
    SubscriberLink,
    add_publisher_tracks,
    add_subscriber_track,
    check_aiortc,
    loopback_ice,
)
from socialsync.media.recording import ClipRecording, RecordedClip
from socialsync.ports.media import ClipContext, ClipEnded, ClipLimits, ClipStarted, ClipStopped, IceServer

log = logging.getLogger("socialsync.rtc")

# ICE gathering on a host with a few interfaces takes well under a second; a
# description that takes longer than this is refused rather than left hanging.
NEGOTIATION_TIMEOUT_S = 10.0
# Peer connections this node holds at most (publications and subscriptions): each
# holds UDP sockets, so an unbounded number runs the process out of descriptors.
MAX_CONNECTIONS = 400
# A peer connection whose ICE has not connected this long after its description
# was exchanged is closed (an offer nobody completes holds a socket for nothing).
ICE_DEADLINE_S = 15.0


@dataclass
class Publication:
    session: str
    pc: RTCPeerConnection
    sources: dict[str, MediaSource]


@dataclass
class Subscription:
    pc: RTCPeerConnection
    links: list[SubscriberLink] = field(default_factory=list)
    answered: bool = False


def media_kinds(sdp: str) -> list[str]:
    """The offer's media sections in order (``audio``/``video``); bad_request unless
    it looks like a session description with at least one of them."""
    lines = sdp.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "v=0":
        raise bad_request("sdp: not a session description (it must start with v=0)")
    kinds = [line[2:].split(" ", 1)[0] for line in lines if line.startswith("m=")]
    if not kinds or any(kind not in ("audio", "video") for kind in kinds) or len(kinds) > 2:
        raise bad_request("sdp: one audio and/or one video section, nothing else")
    if len(set(kinds)) != len(kinds):
        raise bad_request("sdp: one audio and/or one video section, nothing else")
    return kinds


class AiortcRelay:
    """This node's relay (no routing: `RoutedRelay` puts each party's calls on its
    media node, whose `AiortcRelay` runs them). Plain data in and out, as the
    `MediaRelay` port says."""

    def __init__(
        self,
        ice_servers: list[IceServer],
        *,
        max_connections: int = MAX_CONNECTIONS,
        ice_deadline_s: float = ICE_DEADLINE_S,
    ) -> None:
        check_aiortc()
        self.ice_servers = ice_servers
        self.max_connections = max_connections
        self.ice_deadline_s = ice_deadline_s
        # Told (party, user) when a publication is closed for missing its ICE deadline,
        # so the party's state turns the camera off too.
        self.on_publication_expired: Callable[[str, str], Awaitable[None]] | None = None
        # Told the kind of limit ("rtc_connections", "ice_deadline") each time one refuses.
        self.on_limited: Callable[[str], None] | None = None
        self._deadlines: set[asyncio.Task[None]] = set()
        self._publications: dict[tuple[str, str], Publication] = {}
        self._subscriptions: dict[tuple[str, str, str], Subscription] = {}  # (party, session, publisher)
        self._clips: dict[tuple[str, str], ClipRecording] = {}  # (party, user): at most one each
        # Told (party, user, clip id, RecordedClip.as_dict(), context) when a recording ends,
        # whatever ended it, on this node (the one that recorded it).
        self.on_clip_ended: ClipEnded | None = None

    def _configuration(self) -> RTCConfiguration:
        return RTCConfiguration(iceServers=[RTCIceServer(**server) for server in self.ice_servers])

    # ------------------------------------------------------------------ publishers
    async def publish(self, party_id: str, user_id: str, session: str, offer: str) -> str:
        """The answer to a publisher's send-only offer; replaces its earlier publication."""
        kinds = media_kinds(offer)
        await self.unpublish(party_id, user_id)
        self._check_capacity()
        pc = RTCPeerConnection(self._configuration())
        sources = add_publisher_tracks(pc, kinds, name=f"{party_id}/{user_id}")
        answer = await _negotiate(pc, RTCSessionDescription(offer, "offer"), answer=True)
        publication = self._publications[(party_id, user_id)] = Publication(session, pc, sources)
        self._deadline(pc, lambda: self._expire_publication(party_id, user_id, publication))
        log.debug("rtc: a camera publishes %s", "+".join(kinds))
        return answer

    def _check_capacity(self) -> None:
        if len(self._publications) + len(self._subscriptions) >= self.max_connections:
            if self.on_limited is not None:
                self.on_limited("rtc_connections")
            raise SyncError(
                Code.UNAVAILABLE,
                "the media relay is full: try again later",
                retry_after_s=30,
                reason=Reason.RELAY_FULL,
            )

    def _deadline(self, pc: RTCPeerConnection, expire: Callable[[], Awaitable[None]]) -> None:
        async def watch() -> None:
            await asyncio.sleep(self.ice_deadline_s)
            if pc.connectionState != "connected" and pc.connectionState != "closed":
                if self.on_limited is not None:
                    self.on_limited("ice_deadline")
                await expire()

        task = asyncio.create_task(watch())
        self._deadlines.add(task)
        task.add_done_callback(self._deadlines.discard)

    async def _expire_publication(self, party_id: str, user_id: str, publication: Publication) -> None:
        if self._publications.get((party_id, user_id)) is not publication:
            return
        await self.unpublish(party_id, user_id)
        if self.on_publication_expired is not None:
            try:
                await self.on_publication_expired(party_id, user_id)
            except Exception as exc:
                log.warning("rtc: turning an expired camera off failed: %s", exc)

    async def _expire_subscription(self, key: tuple[str, str, str], subscription: Subscription) -> None:
        if self._subscriptions.get(key) is subscription:
            await self._close_subscription(key)

    async def unpublish(self, party_id: str, user_id: str) -> None:
        publication = self._publications.pop((party_id, user_id), None)
        if publication is None:
            return
        recording = self._clips.get((party_id, user_id))
        if recording is not None:
            await recording.stop("camera_off")
        for key in [k for k in self._subscriptions if k[0] == party_id and k[2] == user_id]:
            await self._close_subscription(key)
        for source in publication.sources.values():
            source.close()
        await publication.pc.close()

    def holds(self, party_id: str) -> bool:
        """Whether any connection of the party is here (its media node keeps its claim)."""
        return any(k[0] == party_id for k in self._publications) or any(
            k[0] == party_id for k in self._subscriptions
        )

    # ------------------------------------------------------------------ reaction clips
    async def start_clip(
        self,
        party_id: str,
        user_id: str,
        clip_id: str,
        path_stem: str,
        limits: ClipLimits,
        context: ClipContext,
    ) -> ClipStarted:
        """Record ``user_id``'s camera into ``path_stem`` + the container's suffix until
        `stop_clip`, ``limits["max_s"]`` or ``limits["max_bytes"]``; at most
        ``limits["per_party"]`` recordings at once in the party. ``context`` (plain data)
        comes back with the result in ``on_clip_ended``. Returns {"mime_type", "path"}."""
        publication = self._publications.get((party_id, user_id))
        if publication is None or "video" not in publication.sources:
            raise bad_request("turn your camera on to record a clip", Reason.CAMERA_NEEDED)
        if (party_id, user_id) in self._clips:
            raise SyncError(
                Code.CONFLICT, "you are recording a clip already", reason=Reason.RECORDING_ALREADY
            )
        if sum(1 for party, _ in self._clips if party == party_id) >= limits["per_party"]:
            raise SyncError(
                Code.RATE_LIMITED,
                f"at most {limits['per_party']} clips are recorded at once in a party",
                retry_after_s=float(limits["max_s"]),
                reason=Reason.RECORDINGS_FULL,
                params={"max": limits["per_party"]},
            )

        async def ended(result: RecordedClip) -> None:
            if self._clips.get((party_id, user_id)) is recording:
                del self._clips[(party_id, user_id)]
            if self.on_clip_ended is not None:
                await self.on_clip_ended(party_id, user_id, clip_id, result.as_dict(), context)

        try:
            recording = ClipRecording(
                publication.sources,
                Path(path_stem),
                clip_id=clip_id,
                max_s=float(limits["max_s"]),
                max_bytes=int(limits["max_bytes"]),
                on_end=ended,
            )
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        self._clips[(party_id, user_id)] = recording
        recording.start()
        return ClipStarted(mime_type=recording.mime_type, path=str(recording.path))

    async def stop_clip(self, party_id: str, user_id: str) -> ClipStopped | None:
        """End the member's recording: {"clip_id", **RecordedClip} once the file is closed
        and ``on_clip_ended`` has run, or None if it was not recording."""
        recording = self._clips.get((party_id, user_id))
        if recording is None:
            return None
        result = (await recording.stop("stopped")).as_dict()
        return ClipStopped(clip_id=recording.clip_id, **result)

    # ------------------------------------------------------------------ subscribers
    async def subscribe(self, party_id: str, session: str, publisher: str) -> str:
        """The server's offer carrying ``publisher``'s media to ``session``."""
        publication = self._publications.get((party_id, publisher))
        if publication is None:
            raise not_found(f"no camera of {publisher!r} is on in this party")
        key = (party_id, session, publisher)
        await self._close_subscription(key)
        self._check_capacity()
        pc = RTCPeerConnection(self._configuration())
        subscription = Subscription(pc, [add_subscriber_track(pc, s) for s in publication.sources.values()])
        self._subscriptions[key] = subscription
        try:
            offer = await _negotiate(pc, None, answer=False)
        except BaseException:
            await self._close_subscription(key)
            raise
        self._deadline(pc, lambda: self._expire_subscription(key, subscription))
        return offer

    async def answer(self, party_id: str, session: str, publisher: str, sdp: str) -> None:
        key = (party_id, session, publisher)
        subscription = self._subscriptions.get(key)
        if subscription is None or subscription.answered:
            raise SyncError(Code.CONFLICT, f"no offer of {publisher!r} is waiting for an answer")
        media_kinds(sdp)
        try:
            await _apply(subscription.pc, RTCSessionDescription(sdp, "answer"))
        except SyncError:
            await self._close_subscription(key)
            raise
        subscription.answered = True

    async def unsubscribe(self, party_id: str, session: str, publisher: str) -> None:
        await self._close_subscription((party_id, session, publisher))

    # ------------------------------------------------------------------ lifetimes
    async def drop_session(self, session: str, party_id: str | None = None) -> list[tuple[str, str]]:
        """Close what ``session`` held (in one party, or all); returns the (party,
        user) publications that went with it."""
        for key in [k for k in self._subscriptions if k[1] == session and party_id in (None, k[0])]:
            await self._close_subscription(key)
        gone = [k for k, p in self._publications.items() if p.session == session and party_id in (None, k[0])]
        for party, user in gone:
            await self.unpublish(party, user)
        return gone

    async def drop_party(self, party_id: str) -> None:
        for key in [k for k in self._subscriptions if k[0] == party_id]:
            await self._close_subscription(key)
        for _, user in [k for k in self._publications if k[0] == party_id]:
            await self.unpublish(party_id, user)

    async def close(self) -> None:
        for task in list(self._deadlines):
            task.cancel()
        await asyncio.gather(*self._deadlines, return_exceptions=True)
        for key in list(self._subscriptions):
            await self._close_subscription(key)
        for party, user in list(self._publications):
            await self.unpublish(party, user)

    def stats(self) -> dict[str, int]:
        streams = [link for s in self._subscriptions.values() for link in s.links]
        return {
            "publications": len(self._publications),
            "clip_recordings": len(self._clips),
            "subscriptions": len(self._subscriptions),
            "forwarded_streams": sum(1 for link in streams if link.mode == "forward"),
            "transcoded_streams": sum(1 for link in streams if link.mode == "transcode"),
        }

    async def _close_subscription(self, key: tuple[str, str, str]) -> None:
        subscription = self._subscriptions.pop(key, None)
        if subscription is None:
            return
        for link in subscription.links:
            with contextlib.suppress(Exception):
                await link.close()
        await subscription.pc.close()


async def _negotiate(pc: RTCPeerConnection, remote: RTCSessionDescription | None, *, answer: bool) -> str:
    """Apply the remote offer (if any), make our description (ICE gathered), return its SDP."""
    try:
        async with asyncio.timeout(NEGOTIATION_TIMEOUT_S):
            if remote is not None:
                await _apply(pc, remote)
            local = await (pc.createAnswer() if answer else pc.createOffer())
            await pc.setLocalDescription(local)
    except SyncError:
        await pc.close()
        raise
    except TimeoutError:
        await pc.close()
        raise SyncError(
            Code.UNAVAILABLE, "the media relay took too long to answer", reason=Reason.RELAY_TIMEOUT
        ) from None
    except Exception as exc:
        await pc.close()
        raise bad_request(f"sdp: cannot be used ({_reason(exc)})") from exc
    return str(pc.localDescription.sdp)


async def _apply(pc: RTCPeerConnection, description: RTCSessionDescription) -> None:
    try:
        await pc.setRemoteDescription(description)
    except Exception as exc:
        # aiortc's parser and negotiation raise ValueError, InvalidStateError and,
        # on some garbage, whatever its parsing trips over: all a bad description.
        raise bad_request(f"sdp: cannot be used ({_reason(exc)})") from exc


def _reason(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__)[:200]


# The name this class had before the media port took it (app.py imports it so).


def loopback_scope(enabled: bool) -> contextlib.AbstractContextManager[None]:
    """Tests only: ICE on 127.0.0.1 for as long as the app runs."""
    return loopback_ice() if enabled else contextlib.nullcontext()
