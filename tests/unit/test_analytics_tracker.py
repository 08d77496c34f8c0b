"""Watch sections (domain.analytics.tracker): what each kind of report and playback
change does to a member's section, with times and positions chosen by the test."""

from __future__ import annotations

from dataclasses import replace

from socialsync.domain.analytics.events import Event, Kind, media_id_of
from socialsync.domain.analytics.observations import Joined, Left, Marked, Moved, Posted, Reported, Stopped
from socialsync.domain.analytics.pseudonyms import Pseudonyms
from socialsync.domain.analytics.tracker import CAP_MS, PIECE_MS, STALE_MS, Tracker
from socialsync.domain.model import Media, MediaKind, Member, Party, Playback, Role, Settings, Status

FILM = Media("https://cdn.example/film.mp4?token=1", MediaKind.VOD, "Film", 600.0)
LIVE = Media("https://cdn.example/live.m3u8", MediaKind.LIVE)
S = 1000


def name(tenant: str, user: str) -> str:
    return f"p({tenant}/{user})"


def report(user: str, position: float, at_s: float, watching: bool = True, media: Media = FILM) -> Reported:
    return Reported("t1", "party", user, 0, media, position, watching, 1.0, round(at_s * S))


def watched(events: list[Event]) -> list[tuple[float | None, float | None, float, float]]:
    return [(e.pos_s, e.to_s, e.ts_ms / S, (e.end_ms or 0) / S) for e in events if e.kind is Kind.WATCHED]


def party(
    status: Status, position: float, at_s: float, users: tuple[str, ...] = ("ann",), media: Media = FILM
) -> Party:
    members = {u: Member(u, u, Role.MEMBER, 0, sessions=frozenset({f"s-{u}"})) for u in users}
    playback = Playback(media, status, position, 1.0, round(at_s * S), seq=int(at_s))
    return Party("party", "t1", "Film night", 0, "ann", Settings(), playback, members)


def test_continuous_reports_make_one_section_closed_at_the_leave() -> None:
    t = Tracker(name)
    out = t.handle(report("ann", 10, 100))
    out += t.handle(report("ann", 12, 102))
    out += t.handle(report("ann", 14.05, 104))  # a little jitter is no seek
    assert watched(out) == []
    out = t.handle(Left("t1", "party", "ann", 0, FILM, 105 * S))
    assert watched(out) == [(10, 15.05, 100, 105)]
    assert [e.kind for e in out] == [Kind.WATCHED, Kind.LEFT]
    assert all(e.viewer == "p(t1/ann)" and e.media_id == media_id_of(FILM.url) for e in out)


def test_a_seek_in_the_reports_ends_the_section_and_starts_another() -> None:
    t = Tracker(name)
    t.handle(report("ann", 10, 100))
    out = t.handle(report("ann", 300, 102))  # 290 s further than its playing: a seek
    assert watched(out) == [(10, 12, 100, 102)]
    out = t.handle(Stopped("party", "ann", 104 * S))
    assert watched(out) == [(300, 302, 102, 104)]


def test_a_pause_report_ends_the_section_where_the_player_stopped() -> None:
    t = Tracker(name)
    t.handle(report("ann", 10, 100))
    out = t.handle(report("ann", 11.5, 104, watching=False))  # paused at 11.5, reported later
    assert watched(out) == [(10, 11.5, 100, 101.5)]
    assert t.open_sections == 0


def test_an_end_the_reports_did_not_see_is_capped_past_the_last_report() -> None:
    t = Tracker(name)
    t.handle(report("ann", 10, 100))
    out = t.handle(Left("t1", "party", "ann", 0, FILM, 160 * S))  # silent for a minute
    assert watched(out) == [(10, 10 + CAP_MS / S, 100, 100 + CAP_MS / S)]


def test_the_partys_seek_cuts_every_section_and_the_next_report_confirms_the_new_one() -> None:
    t = Tracker(name)
    t.handle(report("ann", 10, 100))
    t.handle(report("bob", 10, 100))
    before = party(Status.PLAYING, 0, 90, ("ann", "bob")).playback
    after = party(Status.PLAYING, 50, 101, ("ann", "bob"))
    out = t.handle(Moved(after, before, 101 * S))
    assert sorted(watched(out)) == [(10, 11, 100, 101)] * 2
    out = t.handle(report("ann", 52, 103))  # ann follows the seek: her section started at 101
    out += t.handle(report("bob", 12, 103, watching=False))  # bob's player did not: dropped
    out += t.handle(Left("t1", "party", "ann", 0, FILM, 104 * S))
    out += t.handle(Left("t1", "party", "bob", 0, FILM, 104 * S))
    assert watched(out) == [(50, 53, 101, 104)]


def test_a_rate_change_keeps_the_sections() -> None:
    t = Tracker(name)
    t.handle(report("ann", 10, 100))
    before = party(Status.PLAYING, 0, 90).playback
    faster = party(Status.PLAYING, 11, 101)
    faster = replace(faster, playback=replace(faster.playback, rate=2.0))
    assert watched(t.handle(Moved(faster, before, 101 * S))) == []
    t.handle(report("ann", 15, 103))  # 11 + 2 x 2 s
    assert watched(t.handle(Stopped("party", "ann", 103 * S))) == [(10, 15, 100, 103)]


def test_a_pause_of_the_party_closes_and_a_play_opens_for_everyone_present() -> None:
    t = Tracker(name)
    t.handle(report("ann", 10, 100))
    out = t.handle(Moved(party(Status.PAUSED, 12, 102), party(Status.PLAYING, 10, 100).playback, 102 * S))
    assert watched(out) == [(10, 12, 100, 102)]
    t.handle(Moved(party(Status.PLAYING, 12, 110), party(Status.PAUSED, 12, 102).playback, 110 * S))
    t.handle(report("ann", 14, 112))
    assert watched(t.handle(Stopped("party", "ann", 112 * S))) == [(12, 14, 110, 112)]


def test_long_sections_are_written_in_pieces_and_stale_ones_closed_by_the_sweep() -> None:
    t = Tracker(name)
    out: list[Event] = []
    for second in range(0, 131, 10):
        out += t.handle(report("ann", second, 1000 + second))
    assert watched(out) == [(0, 60, 1000, 1060), (60, 120, 1060, 1120)]
    assert PIECE_MS == 60 * S
    assert watched(t.sweep(1130 * S + STALE_MS)) == []  # not stale yet
    assert watched(t.sweep(1131 * S + STALE_MS)) == [(120, 133, 1120, 1133)]


def test_live_media_is_watch_time_without_positions() -> None:
    t = Tracker(name)
    t.handle(report("ann", 1.8e9, 100, media=LIVE))
    t.handle(report("ann", 1.8e9 + 2, 102, media=LIVE))
    assert watched(t.handle(Stopped("party", "ann", 102 * S))) == [(None, None, 100, 102)]


def test_new_media_ends_the_section_and_is_described_once() -> None:
    t = Tracker(name)
    t.handle(report("ann", 10, 100))
    other = Media("https://cdn.example/other.mp4", MediaKind.VOD, None, 90.0)
    out = t.handle(report("ann", 0, 102, media=other))
    assert watched(out) == [(10, 12, 100, 102)]
    assert [m.url for m in t.take_media()] == [
        "https://cdn.example/film.mp4",
        "https://cdn.example/other.mp4",
    ]
    assert t.take_media() == []


def test_joins_posts_and_marks_are_events_with_pseudonyms_only() -> None:
    keys = Pseudonyms([b"k" * 32])
    t = Tracker(keys.of)
    out = t.handle(Joined("t1", "party", "ann", 5, FILM, 100 * S, ref="inv1"))
    out += t.handle(Posted("t1", "party", "ann", 5, FILM, 42.0, 101 * S))
    out += t.handle(Posted("t1", "party", "ann", 5, FILM, 43.0, 102 * S, emoji="👍"))
    out += t.handle(Marked("t1", "invite_opened", 103 * S, "party", None, "inv1"))
    assert [(e.kind, e.session_ms, e.pos_s, e.ref, e.value) for e in out] == [
        (Kind.JOINED, 5, None, "inv1", None),
        (Kind.MESSAGE, 5, 42.0, None, None),
        (Kind.REACTION, 5, 43.0, None, "👍"),
        (Kind.INVITE_OPENED, None, None, "inv1", None),
    ]
    assert {e.viewer for e in out[:3]} == {keys.of("t1", "ann")} and out[3].viewer is None
    assert "ann" not in repr(out)


def test_pseudonyms_are_keyed_per_tenant_and_rotate() -> None:
    old, new = Pseudonyms([b"a" * 32]), Pseudonyms([b"b" * 32, b"a" * 32])
    assert old.of("t1", "ann") != old.of("t2", "ann")  # two tenants' users sharing an id
    assert new.of("t1", "ann") != old.of("t1", "ann")
    assert new.every("t1", "ann") == [new.of("t1", "ann"), old.of("t1", "ann")]
    assert len(old.of("t1", "ann")) == 22
