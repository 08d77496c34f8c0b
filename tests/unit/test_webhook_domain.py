"""Webhooks, pure: Standard Webhooks signing and verification (rotation, tolerance,
tampering), the retry schedule and endpoint disabling, filters, private targets, and
which events a party's transitions make."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import replace

import pytest

from socialsync.domain import webhooks as w
from socialsync.domain.errors import SyncError
from socialsync.domain.model import Media, MediaKind, User
from socialsync.domain.party import commands as c
from socialsync.domain.party.machine import PartyMachine, Rules, create_party

SECRET = w.secret_from_bytes(bytes(range(24)))
OTHER = w.secret_from_bytes(b"\xff" * 24)
BODY = b'{"type":"party.created","timestamp":"2026-12-08T10:00:00.000Z","tenant_id":"t1","data":{}}'
NOW_S = 1_800_000_000
H = 3_600_000


def signed(secrets: tuple[str, ...] = (SECRET,), msg_id: str = "msg_1", ts: int = NOW_S) -> dict[str, str]:
    return w.headers_for(secrets, msg_id, ts, BODY)


# ---------------------------------------------------------------------------- signing


def test_the_signature_is_hmac_sha256_of_id_timestamp_and_body_under_the_decoded_secret() -> None:
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    digest = hmac.new(key, b"msg_1.%d." % NOW_S + BODY, hashlib.sha256).digest()
    assert signed()["webhook-signature"] == "v1," + base64.b64encode(digest).decode()
    assert signed()["webhook-id"] == "msg_1" and signed()["webhook-timestamp"] == str(NOW_S)


def test_the_standard_webhooks_example_verifies() -> None:
    # The example of the Standard Webhooks specification (svix's test vector).
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    msg_id, ts = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert w.sign(secret, msg_id, ts, body) == expected
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": expected}
    assert w.verify(secret, headers, body, ts + 10) == {"test": 2432232314}


def test_verify_returns_the_payload_and_ignores_header_case() -> None:
    headers = {k.title(): v for k, v in signed().items()}
    assert w.verify(SECRET, headers, BODY, NOW_S)["type"] == "party.created"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda h, b: (h, b.replace(b"t1", b"t2")), "no matching"),
        (lambda h, b: (h | {"webhook-id": "msg_2"}, b), "no matching"),
        (lambda h, b: (h | {"webhook-timestamp": str(NOW_S + 1)}, b), "no matching"),
        (lambda h, b: (h | {"webhook-signature": "v1," + "A" * 44}, b), "no matching"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "webhook-id"}, b), "missing"),
        (lambda h, b: (h | {"webhook-timestamp": "soon"}, b), "number"),
    ],
)
def test_tampering_with_the_body_or_any_header_fails(change, why: str) -> None:
    headers, body = change(signed(), BODY)
    with pytest.raises(w.WebhookVerificationError, match=why):
        w.verify(SECRET, headers, body, NOW_S)


def test_another_secret_does_not_verify() -> None:
    with pytest.raises(w.WebhookVerificationError):
        w.verify(OTHER, signed(), BODY, NOW_S)


def test_timestamps_beyond_the_tolerance_either_way_fail() -> None:
    assert w.verify(SECRET, signed(), BODY, NOW_S + 300)
    assert w.verify(SECRET, signed(), BODY, NOW_S - 300)
    for now in (NOW_S + 301, NOW_S - 301):
        with pytest.raises(w.WebhookVerificationError, match="tolerance"):
            w.verify(SECRET, signed(), BODY, now)
    assert w.verify(SECRET, signed(), BODY, NOW_S + 3_000, tolerance_s=3_600)


def test_during_a_rotation_both_signatures_are_sent_and_either_secret_verifies() -> None:
    new, old = OTHER, SECRET
    now_ms = 1_000 * H
    secrets = w.signing_secrets(new, old, now_ms + 24 * H, now_ms)
    assert secrets == (new, old)
    headers = signed(secrets)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert w.verify(new, headers, BODY, NOW_S) and w.verify(old, headers, BODY, NOW_S)
    # After the overlap only the new one signs.
    assert w.signing_secrets(new, old, now_ms + 24 * H, now_ms + 24 * H) == (new,)
    assert w.signing_secrets(new, None, None, now_ms) == (new,)


def test_a_secret_is_whsec_and_base64_of_its_bytes() -> None:
    assert SECRET.startswith("whsec_")
    assert w.secret_key(SECRET) == bytes(range(24))
    with pytest.raises(w.WebhookVerificationError):
        w.secret_key("whsec_not base64!")


def test_delivery_ids_are_stable_per_event_and_endpoint() -> None:
    a = w.delivery_id("evt_1", "ep_1")
    assert a == w.delivery_id("evt_1", "ep_1") and a.startswith("msg_") and len(a) == 28
    assert len({a, w.delivery_id("evt_1", "ep_2"), w.delivery_id("evt_2", "ep_1")}) == 3


# ---------------------------------------------------------------------------- schedule and disabling


def test_the_default_schedule_retries_seven_times_over_more_than_a_day() -> None:
    s = w.RetrySchedule()
    delays = [s.next_attempt_ms(n, 0) for n in range(1, 9)]
    assert delays == [5_000, 300_000, 1_800_000, 2 * H, 5 * H, 10 * H, 10 * H, None]
    assert sum(d for d in delays if d) > 24 * H


def test_a_2xx_delivers_and_clears_the_endpoints_failing_time() -> None:
    decision = w.RetrySchedule().decide(3, 204, 10, failing_since_ms=5)
    assert decision == w.Decision(w.DeliveryStatus.DELIVERED, None, None)


@pytest.mark.parametrize("status", [None, 301, 400, 404, 429, 500, 503])
def test_anything_else_is_retried_on_schedule_and_marks_the_endpoint_failing(status: int | None) -> None:
    decision = w.RetrySchedule().decide(1, status, 1_000, failing_since_ms=None)
    assert decision.status is w.DeliveryStatus.PENDING
    assert decision.next_attempt_ms == 6_000 and decision.failing_since_ms == 1_000
    assert decision.disable is None


def test_after_the_last_attempt_the_delivery_fails() -> None:
    decision = w.RetrySchedule().decide(8, 500, 1_000, failing_since_ms=500)
    assert decision.status is w.DeliveryStatus.FAILED and decision.next_attempt_ms is None
    assert decision.failing_since_ms == 500


def test_410_gone_fails_the_delivery_and_disables_the_endpoint_at_once() -> None:
    decision = w.RetrySchedule().decide(1, 410, 1_000, failing_since_ms=None)
    assert decision.status is w.DeliveryStatus.FAILED and decision.disable == "gone"


def test_five_days_of_failures_disable_the_endpoint() -> None:
    s = w.RetrySchedule()
    since = 10 * H
    assert s.decide(2, 500, since + 5 * 24 * H - 1, since).disable is None
    assert s.decide(2, 500, since + 5 * 24 * H, since).disable == "failing"


def test_a_schedule_can_be_configured_in_seconds() -> None:
    assert w.parse_schedule("0.5, 2,10").delays_ms == (500, 2_000, 10_000)
    for bad in ("", "a,b", "5,-1", "0"):
        with pytest.raises(ValueError):
            w.parse_schedule(bad)


# ---------------------------------------------------------------------------- filters and targets


def endpoint(events: tuple[str, ...] = (), created: int = 0, **kw) -> w.Endpoint:
    return w.Endpoint("ep_1", "t1", "https://x.example/h", "", events, created, created, **kw)


def event(kind: str, ts: int = 10, tenant: str = "t1") -> w.OutboxEvent:
    return w.OutboxEvent("evt_1", tenant, kind, ts, "{}")


def test_filters_take_types_and_families_and_an_empty_one_takes_all() -> None:
    assert w.check_filter(["party.*", "member.joined", "member.joined"]) == ("party.*", "member.joined")
    for bad in (["party.creatd"], ["nope.*"], ["webhook.test"], [3]):
        with pytest.raises(SyncError):
            w.check_filter(bad)
    assert w.receives(endpoint(), event("clip.removed"))
    assert w.receives(endpoint(("party.*",)), event("party.summary"))
    assert not w.receives(endpoint(("party.*",)), event("member.joined"))
    assert w.receives(endpoint(("member.joined",)), event("member.joined"))


def test_an_event_goes_to_enabled_endpoints_of_its_tenant_made_before_it() -> None:
    assert not w.receives(endpoint(created=11), event("party.created", ts=10))
    assert not w.receives(endpoint(enabled=False), event("party.created"))
    assert not w.receives(endpoint(), event("party.created", tenant="t2"))
    assert not w.receives(endpoint(), event("webhook.test"))  # only to the endpoint pinged


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
    ],
)
def test_private_loopback_link_local_and_reserved_addresses_are_refused_unless_allowed(address: str) -> None:
    assert not w.address_allowed(address, allow_private=False)
    if address not in ("0.0.0.0", "224.0.0.1"):
        assert w.address_allowed(address, allow_private=True)


def test_public_addresses_are_allowed() -> None:
    for address in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "[2001:4860:4860::8888]"):
        assert w.address_allowed(address, allow_private=False)


def test_urls_are_http_without_credentials_and_literal_private_hosts_are_refused() -> None:
    assert w.check_url("https://hooks.example.com/in?x=1", False)
    assert w.check_url("http://127.0.0.1:8000/in", True)
    for bad in (
        "ftp://x.example/",
        "https://user:pw@x.example/",
        "http://127.0.0.1/",
        "http://[::1]:80/",
        "https://x.example:99999/",
        "not a url",
        "https://" + "a" * 2100,
    ):
        with pytest.raises(SyncError):
            w.check_url(bad, False)


# ---------------------------------------------------------------------------- party events

T0 = 1_800_000_000_000
RULES = Rules()


def user(uid: str, name: str = "") -> User:
    return User(uid, name or uid.title(), "t1")


def types(drafts: list[w.EventDraft]) -> list[str]:
    return [d.type for d in drafts]


def test_creation_makes_party_created_and_the_creators_join() -> None:
    made = create_party("p1", user("ann"), "Film", Media("https://m/a.mp4"), _settings(), T0, RULES)
    drafts = w.party_events(None, made.party, made.events, T0)
    assert types(drafts) == ["party.created", "member.joined"]
    created = json.loads(w.outbox_event(drafts[0], "evt_1").body)
    assert created == {
        "type": "party.created",
        "timestamp": "2027-01-15T08:00:00.000Z",
        "tenant_id": "t1",
        "data": {
            "party_id": "p1",
            "title": "Film",
            "type": "watch_party",
            "created_by": "ann",
            "media": {"url": "https://m/a.mp4", "kind": "vod", "title": None, "duration_s": None},
        },
    }
    assert drafts[0].dedupe_key == "party.created:p1"
    assert drafts[1].data == {"party_id": "p1", "user": {"id": "ann", "name": "Ann"}, "role": "host"}


def test_live_media_starts_at_creation() -> None:
    media = Media("https://m/live.m3u8", MediaKind.LIVE)
    made = create_party("p1", user("ann"), "TV", media, _settings(), T0, RULES, creator_joins=False)
    assert types(w.party_events(None, made.party, made.events, T0)) == ["party.created", "party.started"]


def test_joins_leaves_the_first_play_and_the_end() -> None:
    machine = PartyMachine(RULES)
    party = create_party("p1", user("ann"), "Film", Media("https://m/a.mp4"), _settings(), T0, RULES).party
    steps = [
        (c.Join(user("ann"), "s1"), []),
        (c.Join(user("bob"), "s2"), ["member.joined"]),
        (c.Control("ann", c.Action.PLAY), ["party.started"]),
        (c.Control("ann", c.Action.PAUSE), []),
        (c.Control("ann", c.Action.PLAY), ["party.started"]),  # the outbox's dedupe key keeps one
        (c.Leave("bob", "s2"), ["member.left"]),
        (c.End("ann"), ["party.ended"]),
    ]
    for i, (command, expected) in enumerate(steps):
        transition = machine.handle(party, command, T0 + i * 1_000)
        assert types(w.party_events(party, transition.party, transition.events, T0)) == expected, command
        party = transition.party


def test_a_live_rooms_members_are_found_by_comparing_its_member_sets() -> None:
    machine = PartyMachine(RULES)
    settings = _settings(live_room=True)
    party = create_party("p1", user("ann"), "TV", Media("https://m/a.mp4"), settings, T0, RULES).party
    joined = machine.handle(party, c.Join(user("cid"), "s9"), T0)
    assert not joined.events or all(type(e).__name__ != "MemberJoined" for e in joined.events)
    assert types(w.party_events(party, joined.party, joined.events, T0)) == ["member.joined"]


def test_the_summary_counts_members_time_in_the_party_messages_and_reactions() -> None:
    party = create_party("p1", user("ann"), "Film", Media("https://m/a.mp4"), _settings(), T0, RULES).party
    ended = replace(party, ended="ended_by_host")
    activity = w.PartyActivity(
        (
            ("ann", "Ann", "member.joined", T0),
            ("bob", "Bob", "member.joined", T0 + 10_000),
            ("bob", "", "member.left", T0 + 20_000),
            ("bob", "Bob", "member.joined", T0 + 30_000),
        ),
        messages=12,
        reactions=40,
    )
    summary = w.party_summary(ended, activity, T0 + 60_000)
    assert summary.type == "party.summary" and summary.dedupe_key == "party.summary:p1"
    data = summary.data
    assert data["members"] == 2 and data["messages"] == 12 and data["reactions"] == 40
    assert data["watch_time_s"] == 100.0 and data["average_watch_time_s"] == 50.0
    assert data["viewers"] == [
        {"id": "ann", "name": "Ann", "watch_time_s": 60.0},
        {"id": "bob", "name": "Bob", "watch_time_s": 40.0},
    ]
    assert data["duration_s"] == 60.0 and data["reason"] == "ended_by_host"


def test_member_events_are_read_back_from_their_bodies() -> None:
    made = create_party("p1", user("ann"), "Film", Media("https://m/a.mp4"), _settings(), T0, RULES)
    joined = w.party_events(None, made.party, made.events, T0 + 5)[1]
    body = w.outbox_event(joined, "evt_1").body
    assert w.member_event_of(body) == ("ann", "Ann", "member.joined", T0 + 5)
    assert w.member_event_of("{}") is None


def test_moderation_payloads_leave_out_texts() -> None:
    from socialsync.domain.moderation.sanctions import AuditEntry, Held

    entry = AuditEntry(
        "t1", "p1", "mod", "Moe", "delete", T0, "u2", 7, "spam", {"text": "secret", "held": 3}, 9
    )
    data = w.moderation_action(entry).data
    assert data["details"] == {"held": 3} and "secret" not in json.dumps(data)
    held = Held("t1", "p1", "u2", "Bo", "the text", T0, "n1", ("link",), "filter", id=4)
    assert "the text" not in json.dumps(w.message_held(held).data)


def _settings(*, live_room: bool = False):
    from socialsync.domain.model import RoomType, Settings

    return Settings(type=RoomType.LIVE_ROOM) if live_room else Settings()
