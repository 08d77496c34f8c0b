"""The wire's TypeScript types are generated from the server's schemas, and kept so:

- web_client/src/protocol/types.generated.ts is what web_client/scripts/gen-types.mjs makes
  now from socialsync/protocol (json_schema.py: inbound.py's models, shapes.py's
  outbound shapes), so a schema change that was not regenerated fails here;
- the builders of outbound.py produce exactly the shapes of shapes.py (every required key, no
  key the shape lacks, values of the shape's types), so the shapes cannot drift from
  what is really sent.
"""

from __future__ import annotations

import difflib
import shutil
import subprocess
import sys
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import pytest
from pydantic import TypeAdapter
from services import unavailable
from typing_extensions import TypeAliasType, is_typeddict

from socialsync.domain import notices
from socialsync.domain.chat.messages import Message
from socialsync.domain.clips import Clip, ClipStatus
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
from socialsync.domain.notices import SignedClip
from socialsync.protocol import outbound, shapes
from socialsync.protocol.json_schema import wire_schema

WEB = Path(__file__).resolve().parents[2] / "web_client"
GENERATED = WEB / "src" / "protocol" / "types.generated.ts"


def test_the_committed_typescript_types_are_generated_from_the_server_schemas(tmp_path):
    node = shutil.which("node")
    if node is None or not (WEB / "node_modules" / "json-schema-to-typescript").exists():
        # Skipped outside CI (with this reason in the summary); under CI=true it fails.
        unavailable("node or the web client's node_modules is missing (scripts/build_web.sh installs them)")
    out = tmp_path / "types.generated.ts"
    subprocess.run(
        [node, str(WEB / "scripts" / "gen-types.mjs"), "--out", str(out), "--python", sys.executable],
        check=True,
        capture_output=True,
        text=True,
    )
    fresh, committed = out.read_text(), GENERATED.read_text()
    if fresh != committed:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True), fresh.splitlines(keepends=True), "committed", "generated"
            )
        )
        pytest.fail(
            "web_client/src/protocol/types.generated.ts is stale: run `cd web_client && npm run gen-types`\n"
            + diff[:4000]
        )


def test_the_schema_names_every_inbound_model_and_outbound_shape():
    defs = wire_schema()["$defs"]
    for name in ("PartyCreate", "ChatSend", "PlaybackControl", "RtcPublish", "ClipStart", "ModBan"):
        assert defs[name]["type"] == "object"
    for name in (
        "Member",
        "PartyInfo",
        "PlaybackState",
        "ChatMessage",
        "JoinAnswer",
        "ClipInfo",
        "ServerEvents",
    ):
        assert defs[name]["type"] == "object", name
    assert defs["ErrorCode"]["enum"][0] == "bad_request"
    assert defs["Member"]["properties"]["camera"]["anyOf"][1] == {"type": "null"}
    assert "invite_url" not in defs["PartyInfo"]["required"]


# ---------------------------------------------------------------------------- builders vs shapes


def _unalias(tp: Any) -> Any:
    while isinstance(tp, TypeAliasType):
        tp = tp.__value__
    return tp


def assert_shape(tp: Any, value: Any, path: str = "$") -> None:
    """`value` has exactly the keys of TypedDict `tp` (recursively), with values of its types."""
    tp = _unalias(tp)
    origin = get_origin(tp)
    if is_typeddict(tp):
        assert isinstance(value, dict), path
        required, optional = set(tp.__required_keys__), set(tp.__optional_keys__)
        assert required <= value.keys(), f"{path}: missing {sorted(required - value.keys())}"
        assert value.keys() <= required | optional, (
            f"{path}: not in the shape {sorted(value.keys() - required - optional)}"
        )
        hints = get_type_hints(tp)
        for key, item in value.items():
            assert_shape(hints[key], item, f"{path}.{key}")
    elif origin in (Union, UnionType):
        members = [_unalias(a) for a in get_args(tp)]
        if value is None:
            assert type(None) in members, f"{path}: null where {tp} is wanted"
            return
        shaped = [m for m in members if is_typeddict(m)]
        if isinstance(value, dict) and shaped:
            assert_shape(shaped[0], value, path)
        else:
            TypeAdapter(tp).validate_python(value, strict=True)
    elif origin is list:
        assert isinstance(value, list), path
        for i, item in enumerate(value):
            assert_shape(get_args(tp)[0], item, f"{path}[{i}]")
    elif origin is Literal:
        assert value in get_args(tp), f"{path}: {value!r} not in {get_args(tp)}"
    else:
        TypeAdapter(tp).validate_python(value, strict=True)


NOW = 1_700_000_000_000
FILM = Media(url="https://cdn.example/film.mp4", kind=MediaKind.VOD, title="Film", duration_s=5400.0)
LIVE = Media(url="https://cdn.example/live.m3u8", kind=MediaKind.LIVE)
HOST = Member(user_id="u1", name="Ada", role=Role.HOST, joined_at_ms=NOW, sessions=frozenset({"s1"}))
GUEST = Member(
    user_id="u2",
    name="Bob",
    role=Role.MEMBER,
    joined_at_ms=NOW,
    camera=Camera(session="s2", audio=True, video=False, video_muted=True),
    on_stage=True,
)


def party(media: Media = FILM, **members: Member) -> Party:
    return Party(
        id="p1",
        tenant_id="t1",
        title="Movie night",
        created_at_ms=NOW,
        created_by="u1",
        settings=Settings(type=RoomType.WATCH_PARTY, control=ControlMode.HOSTS, cameras=False),
        playback=Playback(
            media=media, status=Status.PLAYING, position_s=12.5, at_ms=NOW + 200, seq=3, by="u1"
        ),
        members=members,
    )


@pytest.mark.parametrize("media", [FILM, LIVE], ids=["vod-with-title-and-duration", "live-bare"])
def test_media_and_playback_builders_match_their_shapes(media):
    assert_shape(shapes.Media, outbound.media_out(media))
    assert_shape(shapes.PlaybackState, outbound.playback_out("p1", party(media).playback))
    state = outbound.playback_out("p1", Playback(media=media))
    assert state["by"] is None
    assert_shape(shapes.PlaybackState, state)


@pytest.mark.parametrize("member", [HOST, GUEST], ids=["no-camera", "camera"])
def test_the_member_builder_matches_its_shape(member):
    assert_shape(shapes.Member, outbound.member_out(member))


@pytest.mark.parametrize("invite", [None, "https://sync.example/"], ids=["no-invite", "invite"])
def test_the_party_builder_matches_its_shape(invite):
    assert_shape(shapes.PartyInfo, outbound.party_out(party(u1=HOST, u2=GUEST), invite))
    assert_shape(shapes.PartyInfo, outbound.party_out(party(), invite))  # nobody in it: no host


@pytest.mark.parametrize(
    "extra", [{}, {"media_time_s": 61.5, "reply_to": 3}], ids=["plain", "timeline-comment-reply"]
)
def test_the_message_builder_matches_its_shape(extra):
    message = Message(
        party_id="p1", id=4, user_id="u1", user_name="Ada", text="hi", ts_ms=NOW, nonce="n1", **extra
    )
    assert_shape(shapes.ChatMessage, outbound.message_out(message))


def test_the_rules_builder_matches_its_shape():
    rules = ChatRules(slow_mode_s=5, links=False, link_domains=("example.com",), blocked_terms=("spoiler",))
    assert_shape(shapes.ChatRules, outbound.rules_out(rules))


CLIP = SignedClip(
    clip=Clip(
        id="c1",
        tenant_id="t1",
        party_id="p1",
        user_id="u2",
        user_name="Bob",
        media_url=FILM.url,
        media_time_s=61.5,
        duration_s=12.0,
        created_at_ms=NOW,
        file_name="p1/c1.webm",
        mime_type="video/webm",
        size_bytes=123_456,
        width=640,
        height=480,
        status=ClipStatus.HELD,
    ),
    url="https://sync.example/api/v1/clips/c1/media?exp=1&sig=x",
    url_expires_ms=NOW + 3_600_000,
)


def test_the_clip_builder_matches_its_shape():
    assert_shape(shapes.ClipInfo, outbound.clip_out(CLIP))


MESSAGE = Message(party_id="p1", id=4, user_id="u1", user_name="Ada", text="hi", ts_ms=NOW, nonce="n1")
MEMBER_EVENTS = [
    notices.PlaybackChanged(party_id="p1", playback=party().playback),
    notices.MemberJoined(party_id="p1", member=GUEST),
    notices.MemberLeft(party_id="p1", user_id="u2"),
    notices.MemberUpdated(party_id="p1", member=HOST),
    notices.PartyUpdated(party=party(u1=HOST)),
    notices.RulesChanged(party_id="p1", rules=ChatRules()),
    notices.PartyEnded(party_id="p1", reason="ended_by_host"),
    notices.Kicked(party_id="p1", reason="banned"),
    notices.CameraChanged(party_id="p1", user_id="u2", camera=GUEST.camera),
    notices.CameraChanged(party_id="p1", user_id="u2", camera=None),
    notices.CamerasReset(party_id="p1", reason="media_node_lost", users=("u1", "u2")),
    notices.ChatPosted(message=MESSAGE),
    notices.ChatDeleted(party_id="p1", message_id=4),
    notices.ChatRestored(message=MESSAGE),
    notices.ReactionBurst(party_id="p1", counts={"🔥": 8}, window_ms=250),
    notices.ClipAdded(clip=CLIP),
    notices.ClipRemoved(party_id="p1", clip_id="c1", reason="reported"),
    notices.ClipEnded(party_id="p1", clip_id="c1", reason="stopped", clip=CLIP),
    notices.ClipEnded(party_id="p1", clip_id="c2", reason="no_video"),
    notices.ClipRecording(party_id="p1", user_id="u2", clip_id="c3", on=True),
]


@pytest.mark.parametrize("notice", MEMBER_EVENTS, ids=lambda n: type(n).__name__)
def test_every_member_event_matches_its_shape_in_server_events(notice):
    name, payload = outbound.notice_out(notice, "https://sync.example")
    events = get_type_hints(shapes.ServerEvents)
    assert name in events, f"{name} is sent to members but has no shape in ServerEvents"
    assert_shape(events[name], payload, name)


def test_the_checker_catches_a_key_the_shape_lacks_and_one_it_misses():
    out = outbound.media_out(FILM)
    with pytest.raises(AssertionError, match="not in the shape"):
        assert_shape(shapes.Media, {**out, "extra": 1})
    with pytest.raises(AssertionError, match="missing"):
        assert_shape(shapes.Media, {"url": out["url"]})
