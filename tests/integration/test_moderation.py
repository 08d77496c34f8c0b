"""Moderation over real sockets: powers, room rules, reports, review queue, audit log."""

from __future__ import annotations

import asyncio
import time

import pytest
from support import VIDEO

from socialsync.sdk.client import SocialSyncClient, SocialSyncError

MOD_EVENTS = [
    ("mod.rooms", lambda p, u: {}),
    ("mod.watch", lambda p, u: {"party": p}),
    ("mod.delete", lambda p, u: {"party": p, "id": 1}),
    ("mod.purge", lambda p, u: {"party": p, "user": u}),
    ("mod.timeout", lambda p, u: {"party": p, "user": u, "seconds": 60}),
    ("mod.ban", lambda p, u: {"party": p, "user": u}),
    ("mod.ban", lambda p, u: {"party": p, "user": u, "scope": "tenant"}),
    ("mod.unban", lambda p, u: {"party": p, "user": u}),
    ("mod.shadow_mute", lambda p, u: {"party": p, "user": u, "on": True}),
    ("mod.rules", lambda p, u: {"party": p, "locked": True}),
    ("mod.review", lambda p, u: {"party": p, "held": 1, "decision": "approve"}),
    ("mod.audit", lambda p, u: {}),
    ("mod.audit", lambda p, u: {"party": p}),
]


def texts(client, party_id):
    return [m["text"] for m in client.messages[party_id]]


@pytest.mark.parametrize(
    ("event", "payload"), MOD_EVENTS, ids=[f"{e}-{i}" for i, (e, _) in enumerate(MOD_EVENTS)]
)
async def test_a_viewer_can_never_moderate(party, event, payload):
    party_id, (host, viewer) = await party(2)
    await host.send_chat(party_id, "hello")
    with pytest.raises(SocialSyncError) as err:
        await viewer.request(event, payload(party_id, host.user["id"]))
    assert err.value.code == "forbidden", err.value.message


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [
        ("mod.timeout", {"user": "u", "seconds": 0}, "bad_request"),
        ("mod.timeout", {"user": "u", "seconds": 86_401}, "bad_request"),
        ("mod.ban", {"user": "u", "scope": "planet"}, "bad_request"),
        ("mod.rules", {"slow_mode_s": 121}, "bad_request"),
        ("mod.rules", {"blocked_terms": ["x" * 101]}, "too_large"),
        ("mod.rules", {"blocked_terms": "notalist"}, "bad_request"),
        ("mod.review", {"held": 1, "decision": "maybe"}, "bad_request"),
        ("mod.review", {"held": 999, "decision": "approve"}, "not_found"),
        ("mod.delete", {"id": 999}, "not_found"),
        ("mod.purge", {"user": "u", "minutes": 0}, "bad_request"),
        ("mod.audit", {"limit": 500}, "bad_request"),
        ("chat.report", {"id": 1, "reason": ""}, "bad_request"),
    ],
)
async def test_bad_moderation_input_gets_a_clear_error(party, moderator, event, payload, code):
    party_id, (host,) = await party(1)
    with pytest.raises(SocialSyncError) as err:
        await moderator.request(event, {"party": party_id, **payload})
    assert err.value.code == code, err.value.message


async def test_delete_removes_a_message_for_everyone_and_from_history(party, moderator):
    party_id, (a, b) = await party(2)
    await moderator.request("mod.watch", {"party": party_id})
    bad = await a.send_chat(party_id, "something awful")
    await a.send_chat(party_id, "something fine")
    await b.wait_until(lambda: len(b.messages[party_id]) == 2)
    await moderator.request("mod.delete", {"party": party_id, "id": bad["id"], "reason": "awful"})
    await b.wait_until(lambda: texts(b, party_id) == ["something fine"])
    assert [m["text"] for m in await b.history(party_id)] == ["something fine"]
    entries = (await moderator.request("mod.audit", {"party": party_id}))["entries"]
    assert entries[0]["action"] == "delete" and entries[0]["target_message"] == bad["id"]
    assert entries[0]["actor"] == {"id": "mod-1", "name": "Moe"} and entries[0]["reason"] == "awful"


async def test_purge_takes_a_users_recent_messages(party, moderator):
    party_id, (a, b) = await party(2)
    for i in range(3):
        await b.send_chat(party_id, f"spam {i}")
    await a.send_chat(party_id, "mine")
    answer = await moderator.request("mod.purge", {"party": party_id, "user": b.user["id"]})
    assert len(answer["deleted"]) == 3
    await a.wait_until(lambda: texts(a, party_id) == ["mine"])


async def test_a_timed_out_user_cannot_chat_or_react_until_it_ends(party, moderator):
    party_id, (a, b) = await party(2)
    answer = await moderator.request("mod.timeout", {"party": party_id, "user": b.user["id"], "seconds": 600})
    assert answer["until"] > time.time() * 1000
    for attempt in (b.send_chat(party_id, "let me talk"), b.react(party_id, "🔥")):
        with pytest.raises(SocialSyncError) as err:
            await attempt
        assert err.value.code == "forbidden" and 590 < err.value.answer["error"]["retry_after"] <= 600
    await a.send_chat(party_id, "others still can")


async def test_a_ban_removes_the_user_and_holds_across_reconnects(party, moderator, connect, server):
    party_id, (a, b) = await party(2)
    b_id = b.user["id"]
    kicked = asyncio.create_task(b.wait_for("party.kicked"))
    left = asyncio.create_task(a.wait_for("member.left"))
    await moderator.request("mod.ban", {"party": party_id, "user": b_id, "reason": "abuse"})
    assert (await kicked)["reason"] == "banned"
    assert (await left)["user"] == b_id
    with pytest.raises(SocialSyncError) as err:
        await b.send_chat(party_id, "still here?")
    assert err.value.code == "forbidden"
    # The same person on a new connection (a guest keeps its id with its token).
    again = SocialSyncClient(server.url, token=b._token)
    await again.connect()
    try:
        with pytest.raises(SocialSyncError) as err:
            await again.join(party_id)
        assert err.value.code == "forbidden"
        await moderator.request("mod.unban", {"party": party_id, "user": b_id})
        await again.join(party_id)
    finally:
        await again.close()


async def test_a_tenant_ban_covers_every_room(party, moderator, connect):
    party_id, (a, b) = await party(2)
    other = await b.create_party("Another room", VIDEO)
    await moderator.request("mod.ban", {"party": party_id, "user": b.user["id"], "scope": "tenant"})
    with pytest.raises(SocialSyncError) as err:
        await b.join(other["id"])
    assert err.value.code == "forbidden"


async def test_a_host_moderates_their_own_party_but_not_the_tenant(party):
    party_id, (host, b) = await party(2)
    message = await b.send_chat(party_id, "rude")
    await host.request("mod.delete", {"party": party_id, "id": message["id"]})
    await host.request("mod.timeout", {"party": party_id, "user": b.user["id"], "seconds": 30})
    with pytest.raises(SocialSyncError) as err:
        await host.request("mod.ban", {"party": party_id, "user": b.user["id"], "scope": "tenant"})
    assert err.value.code == "forbidden"


async def test_shadow_mute_shows_messages_to_their_author_only(party, moderator):
    party_id, (a, b) = await party(2)
    await moderator.request("mod.watch", {"party": party_id})
    watched: list[dict] = []
    moderator.on("mod.message", watched.append)
    await moderator.request("mod.shadow_mute", {"party": party_id, "user": b.user["id"], "on": True})
    sent = await b.send_chat(party_id, "can anyone hear me")
    await a.send_chat(party_id, "visible")
    await b.wait_until(lambda: "visible" in texts(b, party_id))
    assert texts(b, party_id) == ["can anyone hear me", "visible"]
    assert texts(a, party_id) == ["visible"]
    assert [m["text"] for m in await a.history(party_id)] == ["visible"]
    assert [m["text"] for m in await b.history(party_id)] == ["visible", "can anyone hear me"]
    await moderator.wait_until(lambda: any(m["id"] == sent["id"] for m in watched))
    assert next(m for m in watched if m["id"] == sent["id"])["hidden"] is True
    await moderator.request("mod.shadow_mute", {"party": party_id, "user": b.user["id"], "on": False})
    await b.send_chat(party_id, "back")
    await a.wait_until(lambda: "back" in texts(a, party_id))


async def test_room_rules(party, moderator, connect):
    party_id, (host, a, b) = await party(3)
    rules_seen = asyncio.create_task(b.wait_for("party.rules", lambda r: r["rules"]["slow_mode_s"] == 30))
    # Two moderators changing different rules at once: both changes stand.
    await asyncio.gather(
        moderator.request("mod.rules", {"party": party_id, "slow_mode_s": 30}),
        host.request("mod.rules", {"party": party_id, "blocked_terms": ["spoiler*"]}),
    )
    current = (await moderator.request("mod.rules", {"party": party_id}))["rules"]
    assert current["slow_mode_s"] == 30 and current["blocked_terms"] == ["spoiler*"]
    await moderator.request("mod.rules", {"party": party_id, "blocked_terms": []})
    assert (await rules_seen)["rules"]["slow_mode_s"] == 30
    await b.send_chat(party_id, "one")
    with pytest.raises(SocialSyncError) as err:
        await b.send_chat(party_id, "two")
    assert err.value.code == "rate_limited" and 25 < err.value.answer["error"]["retry_after"] <= 30

    await moderator.request("mod.rules", {"party": party_id, "slow_mode_s": 0, "emote_only": True})
    with pytest.raises(SocialSyncError) as err:
        await a.send_chat(party_id, "words")
    assert err.value.code == "forbidden"
    await a.react(party_id, "🎉")

    await moderator.request("mod.rules", {"party": party_id, "emote_only": False, "members_only": True})
    with pytest.raises(SocialSyncError) as err:
        await a.send_chat(party_id, "a guest")
    assert err.value.code == "forbidden"

    await moderator.request("mod.rules", {"party": party_id, "members_only": False, "locked": True})
    with pytest.raises(SocialSyncError) as err:
        await a.react(party_id, "🎉")
    assert err.value.code == "forbidden"
    # The host is not held back by its own room's modes (sanctions would still apply).
    await host.send_chat(party_id, "locked, but I am the host")
    answer = await moderator.request("mod.rules", {"party": party_id, "locked": False})
    assert answer["rules"] == {
        "slow_mode_s": 0,
        "members_only": False,
        "emote_only": False,
        "locked": False,
        "links": True,
        "link_domains": [],
        "blocked_terms": [],
        "allowed_terms": [],
    }
    await a.send_chat(party_id, "open again")
    joined = await connect("Late")
    assert (await joined.join(party_id))["rules"]["locked"] is False


async def test_reports_hold_a_message_and_review_brings_it_back(party, moderator):
    party_id, members = await party(5)
    author, reporters = members[0], members[1:4]
    await moderator.request("mod.watch", {"party": party_id})
    message = await author.send_chat(party_id, "borderline joke")
    await reporters[0].request("chat.report", {"party": party_id, "id": message["id"], "reason": "rude"})
    await reporters[0].request("chat.report", {"party": party_id, "id": message["id"], "reason": "again"})
    await reporters[1].request("chat.report", {"party": party_id, "id": message["id"], "reason": "rude"})
    assert "borderline joke" in texts(members[4], party_id)  # two distinct reporters: not yet
    held_event = asyncio.create_task(moderator.wait_for("mod.held"))
    await reporters[2].request("chat.report", {"party": party_id, "id": message["id"], "reason": "rude"})
    held = await held_event
    assert held["source"] == "reports" and held["message"] == message["id"]
    await members[4].wait_until(lambda: "borderline joke" not in texts(members[4], party_id))

    await moderator.request("mod.review", {"party": party_id, "held": held["id"], "decision": "approve"})
    await members[4].wait_until(lambda: "borderline joke" in texts(members[4], party_id))
    with pytest.raises(SocialSyncError) as err:
        await moderator.request("mod.review", {"party": party_id, "held": held["id"], "decision": "reject"})
    assert err.value.code == "conflict"
    entries = (await moderator.request("mod.audit", {"party": party_id}))["entries"]
    assert [e["action"] for e in entries[:2]] == ["review_approved", "held_by_reports"]
    takedown = entries[1]
    assert takedown["actor"]["id"] == "reports" and takedown["target_user"] == author.user["id"]
    assert takedown["details"]["message"] == message["id"] and takedown["details"]["held"] == held["id"]
    assert sorted(r["reporter"]["id"] for r in takedown["details"]["reports"]) == sorted(
        r.user["id"] for r in reporters
    )


async def test_moderators_see_rooms_and_every_message(party, moderator):
    party_id, (a,) = await party(1)
    rooms = (await moderator.request("mod.rooms", {}))["rooms"]
    assert party_id in [r["id"] for r in rooms]
    snapshot = await moderator.request("mod.watch", {"party": party_id})
    assert snapshot["party"]["id"] == party_id and snapshot["rules"]["locked"] is False
    watched: list[dict] = []
    moderator.on("mod.message", watched.append)
    await a.send_chat(party_id, "hello moderators")
    await a.send_chat(party_id, "what the fuck")
    await moderator.wait_until(lambda: len(watched) == 2)
    assert [(m["text"], m["verdict"]) for m in watched] == [
        ("hello moderators", "allow"),
        ("what the ****", "mask"),
    ]


async def test_the_filter_masks_evasions_and_rejects_slurs(party):
    party_id, (a, b) = await party(2)
    masked = await a.send_chat(party_id, "what the f u c k")
    assert masked["text"] == "what the *******"
    with pytest.raises(SocialSyncError) as err:
        await a.send_chat(party_id, "you are a f\u200baggot")
    assert err.value.code == "moderated"
    await b.wait_until(lambda: texts(b, party_id) == ["what the *******"])


async def test_a_held_message_waits_for_review_and_keeps_its_time(party, moderator):
    party_id, (host, viewer, other) = await party(3, {"type": "live_room"})
    await moderator.request("mod.watch", {"party": party_id})
    held_events: list[dict] = []
    moderator.on("mod.held", held_events.append)
    answer = await viewer.request(
        "chat.send", {"party": party_id, "text": "watch it at stream.example.com", "nonce": "h1"}
    )
    assert answer == {"ok": True, "held": True}
    await moderator.wait_until(lambda: len(held_events) == 1)
    held = held_events[0]
    assert held["source"] == "filter" and held["reasons"][0].startswith("link:")
    await other.send_chat(party_id, "meanwhile")
    assert texts(other, party_id) == ["meanwhile"]

    await moderator.request("mod.review", {"party": party_id, "held": held["id"], "decision": "approve"})
    await other.wait_until(lambda: "watch it at stream.example.com" in texts(other, party_id))
    delivered = next(m for m in other.messages[party_id] if m["text"].startswith("watch it"))
    assert delivered["ts"] == held["ts"], "approved messages keep their original time"

    second = await viewer.request(
        "chat.send", {"party": party_id, "text": "and at other.example.com", "nonce": "h2"}
    )
    assert second["held"] is True
    await moderator.wait_until(lambda: len(held_events) == 2)
    await moderator.request(
        "mod.review", {"party": party_id, "held": held_events[1]["id"], "decision": "reject"}
    )
    await other.send_chat(party_id, "after")
    await other.wait_until(lambda: "after" in texts(other, party_id))
    assert "and at other.example.com" not in texts(other, party_id)


async def test_room_terms_and_links_off(party, moderator):
    party_id, (a, b) = await party(2)
    await moderator.request("mod.rules", {"party": party_id, "blocked_terms": ["spoiler*"], "links": False})
    masked = await a.send_chat(party_id, "spoilers ahead")
    assert masked["text"] == "******** ahead"
    with pytest.raises(SocialSyncError) as err:
        await a.send_chat(party_id, "see example.com")
    assert err.value.code == "moderated"


async def test_tenant_terms_apply_to_every_room(party, moderator):
    party_id, (a,) = await party(1)
    with pytest.raises(SocialSyncError) as err:
        await a.request("mod.tenant_terms", {"blocked_terms": ["x"]})
    assert err.value.code == "forbidden"
    answer = await moderator.request("mod.tenant_terms", {"blocked_terms": ["Rivalcorp*"]})
    assert answer["blocked_terms"] == ["rivalcorp*"] and answer["allowed_terms"] == []
    masked = await a.send_chat(party_id, "switch to RivalCorpTV")
    assert masked["text"] == "switch to ***********"
    await moderator.request("mod.tenant_terms", {"allowed_terms": ["rivalcorptv"]})
    entries = (await moderator.request("mod.audit", {}))["entries"]
    assert entries[0]["action"] == "tenant_terms" and entries[0]["details"]["allowed_terms"] == [
        "rivalcorptv"
    ]


async def test_a_live_room_lets_links_to_its_allowed_domains_through(party, moderator):
    party_id, (host, viewer) = await party(2, {"type": "live_room"})
    with pytest.raises(SocialSyncError) as err:
        await moderator.request("mod.rules", {"party": party_id, "link_domains": ["not a domain"]})
    assert err.value.code == "bad_request"
    await moderator.request("mod.rules", {"party": party_id, "link_domains": ["Broadcaster.example"]})
    sent = await viewer.send_chat(party_id, "schedule at www.broadcaster.example/tonight")
    assert sent["text"] == "schedule at www.broadcaster.example/tonight"
    held = await viewer.request(
        "chat.send", {"party": party_id, "text": "free stuff at scam.example.com", "nonce": "s"}
    )
    assert held == {"ok": True, "held": True}
