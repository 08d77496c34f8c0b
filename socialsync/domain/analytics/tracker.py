"""Watch sections from members' playback reports and the party's playback changes, and
the rest of the event stream from the other observations. Pure and synchronous: one
instance per node, fed in order by the pipeline (services/analytics.py).

A watch section (as PeerTube records viewers' sections) is a stretch of media a member's
player played continuously: from-position, to-position, wall start and end. It starts
with a report that says the player plays (or, when the party starts playing, for every
member present: confirmed by that member's next report, dropped if the report does not
agree); it goes on while each report is where the section's own playing would have
brought it (within ``TOL_S``); a report elsewhere (a seek), a report that it stopped
(a pause, a stall, an ad), the party's pause, seek or new media, the member's leaving
or its socket going end it. An end the reports did not see exactly (a seek, a leave)
is placed where the section would have played to, at most ``CAP_MS`` past its last
report. A long section is written in pieces (``PIECE_MS``), so the aggregates move
while people watch.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from socialsync.domain.analytics.events import Event, Kind, MediaInfo, media_info
from socialsync.domain.analytics.observations import (
    Joined,
    Left,
    Marked,
    Moved,
    Observation,
    Posted,
    Reported,
    Stopped,
)
from socialsync.domain.model import Media, MediaKind, Party, Status
from socialsync.domain.party.playback import position_at

TOL_S = 2.0
CAP_MS = 3_000
MAX_GAP_MS = 60_000
PIECE_MS = 60_000
STALE_MS = 15_000
# Media items this node remembers having described to the store.
KNOWN_MEDIA = 10_000

Pseudonym = Callable[[str, str], str]


@dataclass(slots=True)
class _Open:
    tenant_id: str
    party_id: str
    user_id: str
    viewer: str
    session_ms: int
    media_id: str
    vod: bool
    duration_s: float | None
    start_s: float  # of the piece not written yet
    start_ms: int
    last_s: float  # the last report that continued it (or where it starts)
    last_ms: int
    rate: float
    confirmed: bool

    def expected(self, at_ms: int) -> float:
        return self.last_s + self.rate * max(0, at_ms - self.last_ms) / 1000


class Tracker:
    def __init__(self, pseudonym: Pseudonym) -> None:
        self.pseudonym = pseudonym
        self._open: dict[tuple[str, str], _Open] = {}
        self._by_party: dict[str, set[str]] = {}
        self._known: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._new_media: list[MediaInfo] = []

    @property
    def open_sections(self) -> int:
        return len(self._open)

    def take_media(self) -> list[MediaInfo]:
        """Media items first seen since the last call (for the store's media table)."""
        found, self._new_media = self._new_media, []
        return found

    # ------------------------------------------------------------------ input
    def handle(self, obs: Observation) -> list[Event]:
        out: list[Event] = []
        match obs:
            case Reported():
                self._reported(obs, out)
            case Moved():
                self._moved(obs, out)
            case Joined():
                self._joined(obs, out)
            case Left():
                self._end(obs.party_id, obs.user_id, obs.at_ms, out)
                out.append(
                    Event(
                        obs.tenant_id,
                        Kind.LEFT,
                        obs.at_ms,
                        obs.party_id,
                        self.pseudonym(obs.tenant_id, obs.user_id),
                        obs.session_ms,
                        self._media_id(obs.tenant_id, obs.media),
                    )
                )
            case Stopped():
                self._end(obs.party_id, obs.user_id, obs.at_ms, out)
            case Posted():
                out.append(self._posted(obs))
            case Marked():
                out.append(self._marked(obs))
        return out

    def sweep(self, now_ms: int) -> list[Event]:
        """Close the sections whose member stopped reporting (``STALE_MS``)."""
        out: list[Event] = []
        for o in list(self._open.values()):
            if now_ms - (o.last_ms if o.confirmed else o.start_ms) > STALE_MS:
                self._close(o, now_ms, out)
        return out

    def close_all(self, now_ms: int) -> list[Event]:
        """Every open section as if its member stopped now (the node is stopping)."""
        out: list[Event] = []
        for o in list(self._open.values()):
            self._close(o, now_ms, out)
        return out

    # ------------------------------------------------------------------ observations
    def _reported(self, r: Reported, out: list[Event]) -> None:
        key = (r.party_id, r.user_id)
        media_id = self._media_id(r.tenant_id, r.media)
        o = self._open.get(key)
        if o is not None and (o.media_id != media_id or o.session_ms != r.session_ms):
            self._close(o, r.at_ms, out)
            o = None
        if o is not None:
            if r.at_ms < o.last_ms:
                return  # overtaken by a newer report (a socket's events run concurrently)
            expected = o.expected(r.at_ms)
            if r.watching and r.at_ms - o.last_ms <= MAX_GAP_MS and abs(r.position_s - expected) <= TOL_S:
                o.last_s, o.last_ms, o.rate, o.confirmed = r.position_s, r.at_ms, r.rate, True
                if o.last_ms - o.start_ms >= PIECE_MS:
                    self._piece(o, o.last_s, o.last_ms, out)
                return
            if not r.watching and o.confirmed and o.last_s - TOL_S <= r.position_s <= expected + TOL_S:
                # Paused (or stalled) where it stands: the section ends where it stopped.
                end_s = min(max(r.position_s, o.last_s), expected)
                self._finish(o, end_s, o.last_ms + round((end_s - o.last_s) / o.rate * 1000), out)
            else:
                self._close(o, r.at_ms, out)
        if r.watching:
            self._start(
                r.tenant_id, r.party_id, r.user_id, r.session_ms, r.media, r.position_s, r.at_ms, r.rate, True
            )

    def _moved(self, m: Moved, out: list[Event]) -> None:
        party, before, t = m.party, m.before, m.at_ms
        after = party.playback
        users = self._by_party.get(party.id, set())
        start_ms = max(t, after.at_ms)
        cut = (
            after.media.url != before.media.url
            or after.status is not Status.PLAYING
            or before.status is not Status.PLAYING
            or abs(position_at(after, start_ms) - position_at(before, start_ms)) > TOL_S
        )
        if not cut:  # a rate change, or a play that changes nothing: the sections go on
            for user_id in users:
                o = self._open[(party.id, user_id)]
                if t > o.last_ms:
                    o.last_s, o.last_ms = o.expected(t), t
                o.rate = after.rate
            return
        for user_id in list(users):
            self._close(self._open[(party.id, user_id)], t, out)
        if after.status is Status.PLAYING and after.media.kind is MediaKind.VOD:
            self._start_all(party, position_at(after, start_ms), start_ms, after.rate)

    def _start_all(self, party: Party, position_s: float, start_ms: int, rate: float) -> None:
        """The party plays: every member present is taken to watch, until its next report says."""
        for member in party.members.values():
            if member.connected and not member.in_ad and not member.buffering:
                self._start(
                    party.tenant_id,
                    party.id,
                    member.user_id,
                    member.joined_at_ms,
                    party.playback.media,
                    position_s,
                    start_ms,
                    rate,
                    False,
                )

    def _joined(self, j: Joined, out: list[Event]) -> None:
        o = self._open.get((j.party_id, j.user_id))
        if o is not None and o.session_ms != j.session_ms:
            self._close(o, j.at_ms, out)
        out.append(
            Event(
                j.tenant_id,
                Kind.JOINED,
                j.at_ms,
                j.party_id,
                self.pseudonym(j.tenant_id, j.user_id),
                j.session_ms,
                self._media_id(j.tenant_id, j.media),
                ref=j.ref,
            )
        )

    def _posted(self, p: Posted) -> Event:
        vod = p.media.kind is MediaKind.VOD
        return Event(
            p.tenant_id,
            Kind.REACTION if p.emoji is not None else Kind.MESSAGE,
            p.at_ms,
            p.party_id,
            self.pseudonym(p.tenant_id, p.user_id),
            p.session_ms,
            self._media_id(p.tenant_id, p.media),
            pos_s=p.media_time_s if vod else None,
            value=p.emoji,
        )

    def _marked(self, m: Marked) -> Event:
        return Event(
            m.tenant_id,
            Kind(m.kind),
            m.at_ms,
            m.party_id,
            None if m.user_id is None else self.pseudonym(m.tenant_id, m.user_id),
            media_id=None if m.media is None else self._media_id(m.tenant_id, m.media),
            ref=m.ref,
            value=m.value,
        )

    # ------------------------------------------------------------------ sections
    def _start(
        self,
        tenant_id: str,
        party_id: str,
        user_id: str,
        session_ms: int,
        media: Media,
        position_s: float,
        at_ms: int,
        rate: float,
        confirmed: bool,
    ) -> None:
        o = _Open(
            tenant_id,
            party_id,
            user_id,
            self.pseudonym(tenant_id, user_id),
            session_ms,
            self._media_id(tenant_id, media),
            media.kind is MediaKind.VOD,
            media.duration_s,
            position_s,
            at_ms,
            position_s,
            at_ms,
            rate,
            confirmed,
        )
        self._open[(party_id, user_id)] = o
        self._by_party.setdefault(party_id, set()).add(user_id)

    def _end(self, party_id: str, user_id: str, at_ms: int, out: list[Event]) -> None:
        o = self._open.get((party_id, user_id))
        if o is not None:
            self._close(o, at_ms, out)

    def _close(self, o: _Open, at_ms: int, out: list[Event]) -> None:
        """End it where its playing would have brought it by ``at_ms``, at most
        ``CAP_MS`` past its last report; a section no report confirmed is dropped."""
        if not o.confirmed:
            self._forget(o)
            return
        end_ms = min(max(at_ms, o.last_ms), o.last_ms + CAP_MS)
        self._finish(o, o.expected(end_ms), end_ms, out)

    def _finish(self, o: _Open, end_s: float, end_ms: int, out: list[Event]) -> None:
        if o.duration_s is not None:
            end_s = min(end_s, o.duration_s)
        self._piece(o, end_s, end_ms, out)
        self._forget(o)

    def _piece(self, o: _Open, end_s: float, end_ms: int, out: list[Event]) -> None:
        if end_ms <= o.start_ms:
            return
        end_s = max(end_s, o.start_s)
        out.append(
            Event(
                o.tenant_id,
                Kind.WATCHED,
                o.start_ms,
                o.party_id,
                o.viewer,
                o.session_ms,
                o.media_id,
                pos_s=o.start_s if o.vod else None,
                to_s=end_s if o.vod else None,
                end_ms=end_ms,
            )
        )
        o.start_s, o.start_ms = end_s, end_ms

    def _forget(self, o: _Open) -> None:
        self._open.pop((o.party_id, o.user_id), None)
        users = self._by_party.get(o.party_id)
        if users is not None:
            users.discard(o.user_id)
            if not users:
                del self._by_party[o.party_id]

    def _media_id(self, tenant_id: str, media: Media) -> str:
        key = (tenant_id, media.url)
        found = self._known.get(key)
        if found is not None:
            self._known.move_to_end(key)
            return found
        info = media_info(tenant_id, media)
        self._known[key] = info.media_id
        if len(self._known) > KNOWN_MEDIA:
            self._known.popitem(last=False)
        self._new_media.append(info)
        return info.media_id
