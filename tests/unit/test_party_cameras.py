"""Cameras in the party state machine: consent, the host's switch, the limit, the
stage of live rooms, and a camera going off with the session that carried it."""

from __future__ import annotations

from test_party import T0, Room, build, session

from socialsync.domain.errors import Code
from socialsync.domain.model import Camera, RoomType, Settings
from socialsync.domain.party import commands as c
from socialsync.domain.party import events as e
from socialsync.domain.party.machine import Rules

NOW = T0 + 1_000


def publish(
    room: Room, uid: str, *, consent: bool = True, audio: bool = True, video: bool = True, n: int = 1
):
    return room.do(c.Publish(uid, session(uid, n), audio, video, consent), NOW)


def camera_events(transition) -> list[tuple[str, Camera | None]]:
    return [(ev.user_id, ev.camera) for ev in transition.events if isinstance(ev, e.CameraChanged)]


def test_a_member_turns_its_camera_on_with_consent():
    room = build("gus")
    transition = publish(room, "gus")
    camera = Camera(session("gus"), audio=True, video=True)
    assert room.member("gus").camera == camera
    assert camera_events(transition) == [("gus", camera)]
    assert e.MemberUpdated in [type(ev) for ev in transition.events]


def test_no_camera_without_consent_or_without_anything_to_send():
    room = build("gus")
    assert (
        "consent"
        in room.refuse(c.Publish("gus", session("gus"), True, True, False), NOW, Code.FORBIDDEN).message
    )
    room.refuse(c.Publish("gus", session("gus"), False, False, True), NOW, Code.BAD_REQUEST)
    room.refuse(c.Publish("gus", "someone-elses-session", True, True, True), NOW, Code.FORBIDDEN)
    room.refuse(c.Publish("stranger", "x", True, True, True), NOW, Code.FORBIDDEN)


def test_the_limit_counts_the_others_cameras():
    guests = [f"g{i}" for i in range(4)]
    room = build(*guests, rules=Rules(max_cameras=3))
    for uid in ["hana", *guests[:2]]:
        publish(room, uid)
    error = room.refuse(c.Publish("g2", session("g2"), True, True, True), NOW, Code.FORBIDDEN)
    assert "at most 3 cameras" in error.message
    # What a client translates (protocol 1.4): the reason and the number the words quote.
    assert error.to_wire()["error"] | {"message": ""} == {
        "code": "forbidden",
        "message": "",
        "reason": "cameras_full",
        "params": {"max": 3},
    }
    publish(room, "g0", audio=False)  # one already on may change what it sends
    assert room.member("g0").camera.audio is False
    room.do(c.Unpublish("g1"), NOW)
    publish(room, "g2")
    assert sum(m.camera is not None for m in room.party.members.values()) == 3


def test_the_host_turns_cameras_off_for_everyone():
    room = build("gus", "ida")
    publish(room, "gus")
    publish(room, "ida")
    transition = room.do(c.UpdateSettings("hana", cameras=False), NOW)
    assert sorted(camera_events(transition)) == [("gus", None), ("ida", None)]
    assert all(m.camera is None for m in room.party.members.values())
    room.refuse(c.Publish("gus", session("gus"), True, True, True), NOW, Code.FORBIDDEN)
    room.refuse(c.UpdateSettings("gus", cameras=True), NOW, Code.FORBIDDEN)
    room.do(c.UpdateSettings("hana", cameras=True), NOW)
    publish(room, "gus")


def test_mute_changes_the_camera_and_needs_one():
    room = build("gus")
    room.refuse(c.Mute("gus", audio=True), NOW, Code.BAD_REQUEST)
    publish(room, "gus")
    transition = room.do(c.Mute("gus", audio=True), NOW)
    assert camera_events(transition) == [("gus", Camera(session("gus"), True, True, audio_muted=True))]
    assert room.do(c.Mute("gus", audio=True), NOW).events == ()
    room.do(c.Mute("gus", video=True, audio=False), NOW)
    assert (room.member("gus").camera.audio_muted, room.member("gus").camera.video_muted) == (False, True)


def test_in_a_live_room_only_hosts_and_members_on_stage_publish():
    room = build("gus", "ida", settings=Settings(type=RoomType.LIVE_ROOM, max_members=1_000, cameras=True))
    publish(room, "hana")
    room.refuse(c.Publish("gus", session("gus"), True, True, True), NOW, Code.FORBIDDEN)
    room.refuse(c.SetStage("ida", "gus", True), NOW, Code.FORBIDDEN)
    room.do(c.SetStage("hana", "gus", True), NOW)
    publish(room, "gus")
    transition = room.do(c.SetStage("hana", "gus", False), NOW)
    assert camera_events(transition) == [("gus", None)]
    assert room.member("gus").camera is None and not room.member("gus").on_stage


def test_the_camera_goes_off_with_the_session_that_carried_it():
    room = build("gus")
    room.join("gus", NOW, n=2)
    publish(room, "gus", n=2)
    transition = room.do(c.Leave("gus", session("gus", 2)), NOW)
    assert camera_events(transition) == [("gus", None)]
    assert room.member("gus").connected and room.member("gus").camera is None
    publish(room, "gus", n=1)
    transition = room.do(c.Disconnect("gus", session("gus", 1)), NOW)
    assert camera_events(transition) == [("gus", None)]
    publish_again = build("ida")
    publish(publish_again, "ida")
    assert camera_events(publish_again.do(c.Evict(frozenset({session("ida")})), NOW)) == [("ida", None)]
