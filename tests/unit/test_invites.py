"""Invites' rules, without I/O: an invite's bounds and refusals, its link, and what a join
does with a deep link's moment (``t``) and a host token (``host_of``)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from socialsync.domain.errors import Code, SyncError
from socialsync.domain.invites import (
    DEFAULT_EXPIRY_S,
    KEEP_EXPIRED_MS,
    Invite,
    Refusal,
    invite_url,
    new_invite,
    refused,
    seconds_text,
)
from socialsync.domain.model import Media, MediaKind, Party, Role, Settings, Status, User
from socialsync.domain.party import commands as c
from socialsync.domain.party import events as e
from socialsync.domain.party.machine import PartyMachine, create_party

T0 = 1_000_000
FILM = Media(url="https://cdn.example/film.mp4", title="Film", duration_s=600.0)
CHANNEL = Media(url="https://cdn.example/live.m3u8", kind=MediaKind.LIVE)
MACHINE = PartyMachine()


def _user(uid: str, host_of: str | None = None) -> User:
    return User(uid, uid.title(), "acme", host_of=host_of)


def _party(media: Media = FILM) -> Party:
    # Created by a backend: no members until someone joins.
    return create_party(
        "p1", _user("backend"), "Movie night", media, Settings(), T0, creator_joins=False
    ).party


def test_an_invite_refuses_once_expired_or_used_up_but_not_those_it_let_in():
    invite = new_invite("c1", _party(), "host-1", T0, expires_in_s=60, max_uses=2)
    assert (invite.tenant_id, invite.party_id, invite.expires_at_ms, invite.uses) == (
        "acme",
        "p1",
        T0 + 60_000,
        0,
    )
    assert invite.refusal(T0 + 59_999, counted=False) is None
    assert invite.refusal(T0 + 60_000, counted=True) is Refusal.EXPIRED
    used = replace(invite, uses=2)
    assert used.refusal(T0, counted=False) is Refusal.USED_UP
    assert used.refusal(T0, counted=True) is None
    assert replace(invite, max_uses=None, uses=10**6).refusal(T0, counted=False) is None
    assert invite.forgotten_at_ms() == T0 + 60_000 + KEEP_EXPIRED_MS
    error = refused(Refusal.USED_UP)
    assert (error.code, error.details) == (Code.FORBIDDEN, {"invite": "used_up"})
    assert error.to_wire()["invite"] == "used_up"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"expires_in_s": 59}, "expires_in_s"),
        ({"expires_in_s": 31 * 24 * 3600}, "expires_in_s"),
        ({"max_uses": 0}, "max_uses"),
        ({"start_at_s": 601.0}, "t"),
    ],
)
def test_an_invite_out_of_its_bounds_is_a_bad_request(kwargs, field):
    with pytest.raises(SyncError) as refusal:
        new_invite("c1", _party(), "host-1", T0, **kwargs)
    assert refusal.value.code is Code.BAD_REQUEST and refusal.value.message.startswith(field)


def test_a_live_channel_takes_no_moment_and_the_link_carries_one():
    with pytest.raises(SyncError) as refusal:
        new_invite("c1", _party(CHANNEL), "h", T0, start_at_s=5.0)
    assert refusal.value.message.startswith("t: only for on-demand media")
    invite = new_invite("Ab_9-", _party(), "h", T0)
    assert invite.expires_at_ms == T0 + DEFAULT_EXPIRY_S * 1000 and invite.max_uses is None
    assert invite_url("https://watch.example/", invite) == "https://watch.example/?invite=Ab_9-"
    timed = replace(invite, start_at_s=1234.5)
    assert invite_url("https://watch.example", timed) == "https://watch.example/?invite=Ab_9-&t=1234.5"
    assert [seconds_text(s) for s in (1234.0, 0.25, 1e7)] == ["1234", "0.25", "10000000"]


def test_a_deep_link_starts_a_party_that_has_not_started_and_only_that():
    party = _party()
    first = MACHINE.handle(party, c.Join(_user("ann"), "s1", start_at_s=90.0), T0 + 10)
    playback = first.party.playback
    assert (playback.position_s, playback.status, playback.seq, playback.by) == (
        90.0,
        Status.PAUSED,
        1,
        "ann",
    )
    assert any(isinstance(ev, e.PlaybackChanged) for ev in first.events)
    # Started (its state changed once): a later joiner's moment changes nothing.
    second = MACHINE.handle(first.party, c.Join(_user("bob"), "s2", start_at_s=300.0), T0 + 20)
    assert second.party.playback == playback
    # Beyond the media's duration: ignored; a live channel: ignored.
    beyond = MACHINE.handle(party, c.Join(_user("ann"), "s1", start_at_s=601.0), T0)
    assert beyond.party.playback.seq == 0 and beyond.party.playback.position_s == 0.0
    live = _party(CHANNEL)
    joined = MACHINE.handle(live, c.Join(_user("ann"), "s1", start_at_s=5.0), T0)
    assert joined.party.playback == live.playback


def test_a_refused_join_leaves_the_moment_unused():
    party = replace(_party(), settings=replace(Settings(), max_members=1))
    party = MACHINE.handle(party, c.Join(_user("ann"), "s1"), T0).party
    with pytest.raises(SyncError):
        MACHINE.handle(party, c.Join(_user("bob"), "s2", start_at_s=90.0), T0)
    assert party.playback.seq == 0


def test_a_host_token_hosts_an_empty_party_and_cohosts_beside_a_host():
    party = _party()
    hosted = MACHINE.handle(party, c.Join(_user("hal", host_of="p1"), "s1"), T0).party
    assert hosted.members["hal"].role is Role.HOST
    first = MACHINE.handle(party, c.Join(_user("ann"), "s1"), T0).party
    second = MACHINE.handle(first, c.Join(_user("hal", host_of="p1"), "s2"), T0).party
    assert (second.members["ann"].role, second.members["hal"].role) == (Role.HOST, Role.COHOST)
    # A host token of another party makes a plain member here.
    other = MACHINE.handle(first, c.Join(_user("oz", host_of="p2"), "s3"), T0).party
    assert other.members["oz"].role is Role.MEMBER


def test_invites_are_plain_values():
    invite = Invite("c", "acme", "p1", "h", T0, T0 + 1, None)
    assert replace(invite, uses=1) != invite and invite.start_at_s is None
