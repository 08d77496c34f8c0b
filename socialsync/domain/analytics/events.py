"""The analytics event stream: what is kept about viewing, per tenant, pseudonymous.

An ``Event`` never names a user: ``viewer`` is a keyed hash of the tenant and the user
id (``pseudonyms.py``), and no event holds an address, a name or a text. Events are
plain data on their way through the buffer (``to_data``) and rows in the store.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from socialsync.domain.model import Media, MediaKind


class Kind(StrEnum):
    JOINED = "joined"  # a viewer's session in a party began (ref: the invite or share it came by)
    LEFT = "left"  # ... ended (left, dropped for good, removed, the party ended)
    WATCHED = "watched"  # a piece of a watch section: from pos_s to to_s, wall ts_ms to end_ms
    MESSAGE = "message"  # a chat message, at media time pos_s
    REACTION = "reaction"  # a reaction (value: the emoji), at media time pos_s
    INVITE_CREATED = "invite_created"  # ref: the invite's code
    INVITE_OPENED = "invite_opened"  # an invite's page or preview was opened (ref)
    SHARED = "shared"  # a member shared the party (ref: the share's id, value: where to)
    POLL_VOTE = "poll_vote"  # ref: the poll, value: the choice
    SURVEY_ANSWER = "survey_answer"  # ref: the survey, value: the answer (a score)


# Kinds that start a funnel (their ref is what joins name).
REF_SOURCES = {Kind.INVITE_CREATED: "invite", Kind.SHARED: "share"}
# Kinds counted per (ref, value): results of polls and surveys, kept with the aggregates.
TALLIED = frozenset({Kind.POLL_VOTE, Kind.SURVEY_ANSWER})


@dataclass(frozen=True, slots=True)
class Event:
    tenant_id: str
    kind: Kind
    ts_ms: int
    party_id: str | None = None
    viewer: str | None = None  # the pseudonym (never a user id)
    session_ms: int | None = None  # the viewer's session in the party: when it joined
    media_id: str | None = None
    pos_s: float | None = None  # watched: from (VOD only); message, reaction: media time
    to_s: float | None = None  # watched: to (VOD only)
    end_ms: int | None = None  # watched: wall end of the piece
    ref: str | None = None
    value: str | None = None

    def to_data(self) -> list[Any]:
        return [
            self.tenant_id,
            self.kind.value,
            self.ts_ms,
            self.party_id,
            self.viewer,
            self.session_ms,
            self.media_id,
            self.pos_s,
            self.to_s,
            self.end_ms,
            self.ref,
            self.value,
        ]

    @classmethod
    def from_data(cls, data: list[Any]) -> Event:
        tenant, kind, ts, party, viewer, session, media, pos, to, end, ref, value = data
        return cls(
            str(tenant),
            Kind(kind),
            int(ts),
            party,
            viewer,
            None if session is None else int(session),
            media,
            None if pos is None else float(pos),
            None if to is None else float(to),
            None if end is None else int(end),
            ref,
            value,
        )

    @property
    def watch_ms(self) -> int:
        return max(0, (self.end_ms or self.ts_ms) - self.ts_ms) if self.kind is Kind.WATCHED else 0


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """A media item as analytics names it: ``media_id`` is a hash of its URL without
    query and fragment (signed URLs differ per viewer or hour; the item does not)."""

    tenant_id: str
    media_id: str
    url: str
    title: str | None
    duration_s: float | None
    live: bool

    def to_data(self) -> list[Any]:
        return [self.tenant_id, self.media_id, self.url, self.title, self.duration_s, self.live]

    @classmethod
    def from_data(cls, data: list[Any]) -> MediaInfo:
        tenant, media_id, url, title, duration, live = data
        return cls(
            str(tenant),
            str(media_id),
            str(url),
            title,
            None if duration is None else float(duration),
            bool(live),
        )


def plain_url(url: str) -> str:
    """The URL without its query and fragment (where signatures and tokens go)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def media_id_of(url: str) -> str:
    return hashlib.sha256(plain_url(url).encode()).hexdigest()[:16]


def media_info(tenant_id: str, media: Media) -> MediaInfo:
    return MediaInfo(
        tenant_id,
        media_id_of(media.url),
        plain_url(media.url)[:2048],
        media.title,
        media.duration_s,
        media.kind is MediaKind.LIVE,
    )


@dataclass(frozen=True, slots=True)
class Batch:
    """Events on their way from a node to the store, committed all or none, once
    (``batch_id`` is remembered by the store)."""

    batch_id: str
    events: tuple[Event, ...]
    media: tuple[MediaInfo, ...] = ()

    def to_data(self) -> list[Any]:
        return [self.batch_id, [e.to_data() for e in self.events], [m.to_data() for m in self.media]]

    @classmethod
    def from_data(cls, data: list[Any]) -> Batch:
        batch_id, events, media = data
        return cls(
            str(batch_id),
            tuple(Event.from_data(e) for e in events),
            tuple(MediaInfo.from_data(m) for m in media),
        )
