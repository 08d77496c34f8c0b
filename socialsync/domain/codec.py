"""Full-fidelity plain-data form of the core's objects, for stores and the broker.

Plain data means dicts, lists, str, int, float, bool and None: it packs with JSON
or msgpack alike, and unpacking it can never run code (no pickle anywhere).
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from collections.abc import Callable
from typing import Any

from socialsync.domain.chat.messages import Message
from socialsync.domain.clips import Clip, ClipReport, ClipStatus
from socialsync.domain.model import (
    Camera,
    ChatRules,
    ControlMode,
    Media,
    MediaKind,
    Member,
    Party,
    Playback,
    Role,
    RoomType,
    Settings,
    Status,
)
from socialsync.domain.moderation.sanctions import AuditEntry, Held, Report
from socialsync.domain.notices import NOTICES, Notice, SignedClip
from socialsync.domain.polls import Tally


def media_to_data(media: Media) -> dict[str, Any]:
    out: dict[str, Any] = {
        "url": media.url,
        "kind": media.kind.value,
        "title": media.title,
        "duration": media.duration_s,
    }
    if media.poster is not None:
        out["poster"] = media.poster
    return out


def media_from_data(d: dict[str, Any]) -> Media:
    return Media(
        url=d["url"],
        kind=MediaKind(d["kind"]),
        title=d.get("title"),
        duration_s=d.get("duration"),
        poster=d.get("poster"),
    )


def rules_to_data(r: ChatRules) -> dict[str, Any]:
    return {
        "slow_mode_s": r.slow_mode_s,
        "members_only": r.members_only,
        "emote_only": r.emote_only,
        "locked": r.locked,
        "links": r.links,
        "link_domains": list(r.link_domains),
        "blocked_terms": list(r.blocked_terms),
        "allowed_terms": list(r.allowed_terms),
    }


def rules_from_data(d: dict[str, Any]) -> ChatRules:
    return ChatRules(
        slow_mode_s=int(d.get("slow_mode_s", 0)),
        members_only=bool(d.get("members_only", False)),
        emote_only=bool(d.get("emote_only", False)),
        locked=bool(d.get("locked", False)),
        links=bool(d.get("links", True)),
        link_domains=tuple(d.get("link_domains", ())),
        blocked_terms=tuple(d.get("blocked_terms", ())),
        allowed_terms=tuple(d.get("allowed_terms", ())),
    )


def settings_to_data(s: Settings) -> dict[str, Any]:
    return {
        "type": s.type.value,
        "control": s.control.value,
        "wait_for_buffering": s.wait_for_buffering,
        "max_members": s.max_members,
        "chat": rules_to_data(s.chat),
        "cameras": s.cameras,
        "public": s.public,
    }


def settings_from_data(d: dict[str, Any]) -> Settings:
    return Settings(
        type=RoomType(d["type"]),
        control=ControlMode(d["control"]),
        wait_for_buffering=bool(d["wait_for_buffering"]),
        max_members=int(d["max_members"]),
        # Rows recorded before chat rules existed have none: the defaults.
        chat=rules_from_data(d.get("chat", {})),
        cameras=bool(d.get("cameras", True)),
        public=bool(d.get("public", False)),
    )


def playback_to_data(p: Playback) -> dict[str, Any]:
    return {
        "media": media_to_data(p.media),
        "status": p.status.value,
        "position": p.position_s,
        "rate": p.rate,
        "at": p.at_ms,
        "seq": p.seq,
        "by": p.by,
        "break_until": p.break_until_ms,
        "on_break": p.on_break,
    }


def playback_from_data(d: dict[str, Any]) -> Playback:
    return Playback(
        media=media_from_data(d["media"]),
        status=Status(d["status"]),
        position_s=float(d["position"]),
        rate=float(d["rate"]),
        at_ms=int(d["at"]),
        seq=int(d["seq"]),
        by=d.get("by"),
        break_until_ms=d.get("break_until"),
        on_break=bool(d.get("on_break", False)),
    )


def member_to_data(m: Member) -> dict[str, Any]:
    return {
        "user_id": m.user_id,
        "name": m.name,
        "role": m.role.value,
        "joined_at_ms": m.joined_at_ms,
        "staff": m.staff,
        "sessions": sorted(m.sessions),
        "disconnected_at_ms": m.disconnected_at_ms,
        "buffering": m.buffering,
        "in_sync": m.in_sync,
        "drift_ms": m.drift_ms,
        "excused": m.excused,
        "buffering_since_ms": m.buffering_since_ms,
        "wait_for_me": m.wait_for_me,
        "rtt_ms": m.rtt_ms,
        "in_ad": m.in_ad,
        "edge_delay_s": m.edge_delay_s,
        "on_stage": m.on_stage,
        "camera": None if m.camera is None else camera_to_data(m.camera),
        "badges": [[kind, n] for kind, n in m.badges],
    }


def camera_to_data(c: Camera) -> dict[str, Any]:
    return {
        "session": c.session,
        "audio": c.audio,
        "video": c.video,
        "audio_muted": c.audio_muted,
        "video_muted": c.video_muted,
    }


def camera_from_data(d: dict[str, Any]) -> Camera:
    return Camera(
        session=d["session"],
        audio=bool(d["audio"]),
        video=bool(d["video"]),
        audio_muted=bool(d["audio_muted"]),
        video_muted=bool(d["video_muted"]),
    )


def member_from_data(d: dict[str, Any]) -> Member:
    return Member(
        user_id=d["user_id"],
        name=d["name"],
        role=Role(d["role"]),
        joined_at_ms=int(d["joined_at_ms"]),
        staff=bool(d["staff"]),
        sessions=frozenset(d["sessions"]),
        disconnected_at_ms=d.get("disconnected_at_ms"),
        buffering=bool(d["buffering"]),
        in_sync=bool(d["in_sync"]),
        drift_ms=d.get("drift_ms"),
        excused=bool(d["excused"]),
        buffering_since_ms=d.get("buffering_since_ms"),
        wait_for_me=bool(d.get("wait_for_me", True)),
        rtt_ms=d.get("rtt_ms"),
        in_ad=bool(d.get("in_ad", False)),
        edge_delay_s=d.get("edge_delay_s"),
        on_stage=bool(d.get("on_stage", False)),
        camera=camera_from_data(d["camera"]) if d.get("camera") else None,
        badges=tuple((str(kind), int(n)) for kind, n in d.get("badges", ())),
    )


def party_to_data(p: Party, *, with_members: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": p.id,
        "tenant_id": p.tenant_id,
        "title": p.title,
        "created_at_ms": p.created_at_ms,
        "created_by": p.created_by,
        "settings": settings_to_data(p.settings),
        "playback": playback_to_data(p.playback),
        "version": p.version,
        "wait_epoch": p.wait_epoch,
        "empty_since_ms": p.empty_since_ms,
        "ended": p.ended,
    }
    if with_members:
        data["members"] = [member_to_data(m) for m in p.members.values()]
    return data


def party_from_data(d: dict[str, Any]) -> Party:
    members = [member_from_data(m) for m in d.get("members", ())]
    return Party(
        id=d["id"],
        tenant_id=d["tenant_id"],
        title=d["title"],
        created_at_ms=int(d["created_at_ms"]),
        created_by=d["created_by"],
        settings=settings_from_data(d["settings"]),
        playback=playback_from_data(d["playback"]),
        members={m.user_id: m for m in members},
        version=int(d["version"]),
        wait_epoch=int(d["wait_epoch"]),
        empty_since_ms=d.get("empty_since_ms"),
        ended=d.get("ended"),
    )


def message_to_data(m: Message) -> dict[str, Any]:
    return {
        "party_id": m.party_id,
        "id": m.id,
        "user_id": m.user_id,
        "user_name": m.user_name,
        "text": m.text,
        "ts_ms": m.ts_ms,
        "nonce": m.nonce,
        "media_time_s": m.media_time_s,
        "reply_to": m.reply_to,
        "hidden": m.hidden,
    }


def message_from_data(d: dict[str, Any]) -> Message:
    return Message(**d)


# ---------------------------------------------------------------------------- broker notices
# A notice as plain data: ``(kind, fields)``, each field in its own plain form. Only
# the notice classes of socialsync.domain.notices decode: nothing else can be made.


def _flat_to_data(value: Any) -> dict[str, Any]:
    """A flat record (Held, AuditEntry, Report, ClipReport, Clip): its fields as they are,
    enums as their values and tuples as lists."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(value):
        item = getattr(value, f.name)
        if isinstance(item, enum.Enum):
            item = item.value
        elif isinstance(item, tuple):
            item = list(item)
        out[f.name] = item
    return out


def held_from_data(d: dict[str, Any]) -> Held:
    return Held(**(d | {"reasons": tuple(d["reasons"])}))


def clip_from_data(d: dict[str, Any]) -> Clip:
    return Clip(**(d | {"status": ClipStatus(d["status"])}))


def signed_clip_to_data(s: SignedClip) -> dict[str, Any]:
    return {"clip": _flat_to_data(s.clip), "url": s.url, "url_expires_ms": s.url_expires_ms}


def signed_clip_from_data(d: dict[str, Any]) -> SignedClip:
    return SignedClip(clip_from_data(d["clip"]), d["url"], int(d["url_expires_ms"]))


_Converter = tuple[Callable[[Any], Any], Callable[[Any], Any]]
_CONVERTERS: dict[Any, _Converter] = {
    Playback: (playback_to_data, playback_from_data),
    Member: (member_to_data, member_from_data),
    Party: (party_to_data, party_from_data),
    ChatRules: (rules_to_data, rules_from_data),
    Camera: (camera_to_data, camera_from_data),
    Message: (message_to_data, message_from_data),
    Held: (_flat_to_data, held_from_data),
    AuditEntry: (_flat_to_data, lambda d: AuditEntry(**d)),
    Report: (_flat_to_data, lambda d: Report(**d)),
    ClipReport: (_flat_to_data, lambda d: ClipReport(**d)),
    SignedClip: (signed_clip_to_data, signed_clip_from_data),
    Tally: (Tally.to_data, Tally.from_data),
}
_NOTICE_TYPES: dict[str, type[Notice]] = {t.__name__: t for t in NOTICES}


def _field_types(kind: type[Notice]) -> dict[str, Any]:
    return typing.get_type_hints(kind)


def _encode(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    for candidate in typing.get_args(tp) or (tp,):
        if candidate in _CONVERTERS:
            return _CONVERTERS[candidate][0](value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _decode(tp: Any, data: Any) -> Any:
    if data is None:
        return None
    for candidate in typing.get_args(tp) or (tp,):
        if candidate in _CONVERTERS:
            return _CONVERTERS[candidate][1](data)
    if typing.get_origin(tp) is tuple:
        return tuple(data)
    if typing.get_origin(tp) is dict:
        return dict(data)
    return data


def notice_to_data(notice: Notice) -> tuple[str, dict[str, Any]]:
    types = _field_types(type(notice))
    return type(notice).__name__, {
        f.name: _encode(types[f.name], getattr(notice, f.name)) for f in dataclasses.fields(notice)
    }


def notice_from_data(kind: str, data: dict[str, Any]) -> Notice:
    """The notice back; ValueError if ``kind`` is no notice or its fields do not fit."""
    cls = _NOTICE_TYPES.get(kind)
    if cls is None:
        raise ValueError(f"unknown notice {kind!r}")
    types = _field_types(cls)
    try:
        return cls(**{name: _decode(types[name], value) for name, value in data.items()})
    except (KeyError, TypeError) as exc:
        raise ValueError(f"a malformed {kind}: {exc}") from exc
