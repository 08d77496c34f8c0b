"""Every broker notice survives its plain-data form (msgpack, as the Redis broker
sends it) equal to itself, and its wire event is the one docs/protocol.md names."""

from __future__ import annotations

import msgpack
import pytest

from socialsync.domain import notices as n
from socialsync.domain.chat.messages import Message
from socialsync.domain.clips import Clip, ClipReport, ClipStatus
from socialsync.domain.codec import notice_from_data, notice_to_data
from socialsync.domain.model import Camera, ChatRules, Media, Member, Party, Playback, Role, Settings, Status
from socialsync.domain.moderation.sanctions import AuditEntry, Held, Report
from socialsync.domain.polls import Poll, PollEnd, PollKind, PollStatus, Tally
from socialsync.protocol.outbound import notice_out

PLAYBACK = Playback(Media("https://example.com/a.mp4"), Status.PLAYING, 12.5, 1.0, 1_000, 3, "u1")
CAMERA = Camera("s1", True, True, False, True)
MEMBER = Member("u1", "Ann", Role.HOST, 5, sessions=frozenset({"s1"}), camera=CAMERA)
PARTY = Party("p1", "t1", "Film", 1, "u1", Settings(), PLAYBACK, {"u1": MEMBER}, version=4)
MESSAGE = Message("p1", 7, "u1", "Ann", "héllo 👋", 9, "n1", 3.5, 2, True)
CLIP = Clip(
    "c1", "t1", "p1", "u1", "Ann", "m", 1.5, 2.0, 3, "p1/c1.webm", "video/webm", 4, 5, 6, ClipStatus.HELD
)
SIGNED = n.SignedClip(CLIP, "https://x/clip", 99)
POLL = Poll("q1", "p1", "t1", PollKind.PREDICTION, "Who?", ("a", "b"), "u1", "Ann", 1, 2)
RESOLVED = Poll(
    "q1", "p1", "t1", PollKind.PREDICTION, "Who?", ("a", "b"), "u1", "Ann", 1, 2, PollStatus.ENDED, 2, 3,
    PollEnd.RESOLVED, 1, 3,
)  # fmt: skip
NOTICES: list[tuple[n.Notice, str]] = [
    (n.PlaybackChanged("p1", PLAYBACK), "playback.state"),
    (n.MemberJoined("p1", MEMBER), "member.joined"),
    (n.MemberLeft("p1", "u1"), "member.left"),
    (n.MemberUpdated("p1", MEMBER), "member.updated"),
    (n.PartyUpdated(PARTY), "party.updated"),
    (n.RulesChanged("p1", ChatRules(slow_mode_s=5, link_domains=("a.com",))), "party.rules"),
    (n.PartyEnded("p1", "ended"), "party.ended"),
    (n.Kicked("p1", "banned"), "party.kicked"),
    (n.CameraChanged("p1", "u1", CAMERA), "rtc.camera"),
    (n.CameraChanged("p1", "u1", None), "rtc.camera"),
    (n.CamerasReset("p1", "media_node_lost", ("u1", "u2")), "rtc.reset"),
    (n.ChatPosted(MESSAGE), "chat.message"),
    (n.ChatDeleted("p1", 7), "chat.deleted"),
    (n.ChatRestored(MESSAGE), "chat.restored"),
    (n.ReactionBurst("p1", {"👍": 3}, 250), "reaction.burst"),
    (n.MessageObserved(MESSAGE, "mask", ("slur",), "orig"), "mod.message"),
    (n.MessageHeld(Held("t1", "p1", "u1", "Ann", "x", 1, "n", ("link",), "filter", id=3)), "mod.held"),
    (n.HeldResolved("p1", 3, "approved", "m1"), "mod.resolved"),
    (n.MessageReported(Report("p1", 7, "u2", "Bob", "spam", 5), 2), "mod.report"),
    (
        n.Audited(AuditEntry("t1", "p1", "m1", "Mod", "ban", 1, "u1", None, "r", {"until": 2**40})),
        "mod.audit",
    ),
    (n.ClipAdded(SIGNED), "clip.added"),
    (n.ClipForModerators(SIGNED, 2), "mod.clip"),
    (n.ClipRemoved("p1", "c1", "reported"), "clip.removed"),
    (n.ClipEnded("p1", "c1", "stopped", SIGNED), "clip.ended"),
    (n.ClipEnded("p1", "c1", "no_video"), "clip.ended"),
    (n.ClipRecording("p1", "u2", "c1", True), "clip.recording"),
    (n.ClipReported(ClipReport("t1", "p1", "c1", "u2", "Bob", "rude", 5), 1), "mod.clip_report"),
    (n.PollChanged(Tally(POLL, (0, 0))), "poll.opened"),
    (n.PollChanged(Tally(RESOLVED, (3, 4))), "poll.ended"),
    (n.PollCounted("p1", "q1", (3, 4)), "poll.results"),
]


def test_every_notice_kind_is_covered() -> None:
    assert {type(notice) for notice, _ in NOTICES} == set(n.NOTICES)


@pytest.mark.parametrize(("notice", "event"), NOTICES)
def test_a_notice_crosses_the_broker_intact_and_has_its_wire_event(notice: n.Notice, event: str) -> None:
    kind, data = notice_to_data(notice)
    packed = msgpack.unpackb(msgpack.packb(data, use_bin_type=True), raw=False)
    assert notice_from_data(kind, packed) == notice
    assert notice_out(notice, "http://h")[0] == event


def test_an_unknown_or_malformed_notice_is_refused() -> None:
    with pytest.raises(ValueError):
        notice_from_data("Exec", {})
    with pytest.raises(ValueError):
        notice_from_data("MemberLeft", {"party_id": "p1", "nope": 1})
