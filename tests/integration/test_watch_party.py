"""Members over real sockets: playback stays in one state; chat and reactions cross."""

from __future__ import annotations

import asyncio

import pytest

from socialsync.sdk.client import SocialSyncError


async def settle(clients, party_id: str, seq: int, timeout_s: float = 3.0) -> None:
    """Wait until every client has seen playback state ``seq``."""
    await asyncio.gather(
        *(c.wait_until(lambda c=c: c.playback[party_id]["seq"] >= seq, timeout_s) for c in clients)
    )


def texts(client, party_id: str) -> list[str]:
    return [m["text"] for m in client.messages[party_id]]


@pytest.mark.parametrize("n", [2, 5])
async def test_members_hold_one_state_after_every_control(party, n):
    party_id, members = await party(n)
    steps = [
        ("play", {}),
        ("seek", {"position": 120.5}),
        ("rate", {"rate": 1.5}),
        ("pause", {}),
        ("play", {"position": 30.0}),
        ("pause", {"position": 42.0}),
    ]
    for i, (action, fields) in enumerate(steps):
        actor = members[i % n]
        state = await actor.control(party_id, action, **fields)
        await settle(members, party_id, state["seq"])
        states = [m.playback[party_id] for m in members]
        assert all(s == states[0] for s in states), f"after {action}: {states}"
    final = members[0].playback[party_id]
    assert final["status"] == "paused" and final["position"] == 42.0 and final["rate"] == 1.5


async def test_play_is_scheduled_for_every_member_at_the_same_instant(party, server):
    party_id, (a, b) = await party(2)
    before = a.server_now_ms()
    state = await a.control(party_id, "play")
    assert state["at"] - before >= server.config.lead_ms - 20
    await settle([a, b], party_id, state["seq"])
    at = state["at"] + 1000
    assert a.expected_position(party_id, at) == pytest.approx(1.0)
    assert b.expected_position(party_id, at) == pytest.approx(1.0)


async def test_concurrent_controls_converge_on_one_state(party):
    party_id, members = await party(5)
    seq = members[0].playback[party_id]["seq"]
    results = await asyncio.gather(
        *(m.control(party_id, "seek", position=10.0 * (i + 1), seq=seq) for i, m in enumerate(members)),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, dict)]
    losers = [r for r in results if isinstance(r, SocialSyncError)]
    assert len(winners) == 1 and len(losers) == 4
    assert all(e.code == "conflict" for e in losers)
    # Every loser was told the state that won.
    assert all(e.answer["playback"]["seq"] == winners[0]["seq"] for e in losers)
    await settle(members, party_id, winners[0]["seq"])
    assert len({m.playback[party_id]["position"] for m in members}) == 1


async def test_concurrent_controls_without_seq_all_apply_in_one_order(party):
    party_id, members = await party(5)
    await asyncio.gather(*(m.control(party_id, "seek", position=float(i)) for i, m in enumerate(members)))
    last_seq = max(m.playback[party_id]["seq"] for m in members)
    assert last_seq == 5
    await settle(members, party_id, last_seq)
    assert len({repr(m.playback[party_id]) for m in members}) == 1


async def test_chat_reaches_every_member_in_order(party):
    party_id, members = await party(5)
    sent = [await members[i % 5].send_chat(party_id, f"line {i}") for i in range(10)]
    assert [m["id"] for m in sent] == list(range(1, 11))
    for member in members:
        await member.wait_until(lambda member=member: len(member.messages[party_id]) >= 10)
        assert texts(member, party_id) == [f"line {i}" for i in range(10)]


async def test_timeline_comment_and_reply_carry_their_fields(party):
    party_id, (a, b) = await party(2)
    first = await a.send_chat(party_id, "look at this", media_time=61.25)
    reply = await b.send_chat(party_id, "wow", reply_to=first["id"])
    assert first["media_time"] == 61.25
    assert reply["reply_to"] == first["id"]
    with pytest.raises(SocialSyncError) as err:
        await b.send_chat(party_id, "to nothing", reply_to=999)
    assert err.value.code == "bad_request"


async def test_retried_send_with_the_same_nonce_is_delivered_once(party):
    party_id, (a, b) = await party(2)
    first = await a.send_chat(party_id, "only once", nonce="n-1")
    again = await a.send_chat(party_id, "only once", nonce="n-1")
    assert again == first
    await a.send_chat(party_id, "next", nonce="n-2")
    await b.wait_until(lambda: "next" in texts(b, party_id))
    assert texts(b, party_id) == ["only once", "next"]
    history = await b.history(party_id)
    assert [m["text"] for m in history] == ["next", "only once"]


async def test_rejoin_with_since_receives_every_missed_message_once(party, connect):
    party_id, (a, b) = await party(2)
    await a.send_chat(party_id, "before")
    await b.wait_until(lambda: "before" in texts(b, party_id))
    last = b.last_message_id[party_id]
    await b.close()
    for i in range(7):
        await a.send_chat(party_id, f"missed {i}")
    # A new connection of the same person resumes from the last id it saw.
    again = await connect("Member 1")
    answer = await again.join(party_id, since=last)
    assert [m["text"] for m in answer["messages"]] == [f"missed {i}" for i in range(7)]
    await a.send_chat(party_id, "after")
    await again.wait_until(lambda: "after" in texts(again, party_id))
    assert texts(again, party_id) == [f"missed {i}" for i in range(7)] + ["after"]


async def test_messages_sent_during_a_join_are_not_lost_or_doubled(party, connect):
    party_id, (a,) = await party(1)
    late = await connect("Late")

    async def chatter():
        for i in range(30):
            await a.send_chat(party_id, f"m{i}")

    sender = asyncio.create_task(chatter())
    await asyncio.sleep(0.01)
    await late.join(party_id, since=0)
    await sender
    await late.wait_until(lambda: late.last_message_id.get(party_id, 0) >= 30)
    ids = [m["id"] for m in late.messages[party_id]]
    assert ids == list(range(1, 31))


async def test_reactions_arrive_as_bursts_with_exact_counts(party):
    party_id, (a, b, c) = await party(3)
    bursts: list[dict] = []
    c.on("reaction.burst", bursts.append)
    for _ in range(7):
        await a.react(party_id, "🔥")
    for _ in range(5):
        await b.react(party_id, "😂")
    await b.react(party_id, "🔥")
    await asyncio.sleep(0.8)
    total: dict[str, int] = {}
    for burst in bursts:
        for emoji, n in burst["counts"].items():
            total[emoji] = total.get(emoji, 0) + n
    assert total == {"🔥": 8, "😂": 5}
    assert 1 <= len(bursts) <= 3


async def test_member_events_and_host_hand_over(party):
    party_id, (host, b, c) = await party(3)
    left = asyncio.create_task(b.wait_for("member.left"))
    promoted = asyncio.create_task(b.wait_for("member.updated", lambda m: m["member"]["role"] == "host"))
    await host.leave(party_id)
    assert (await left)["user"] == host.user["id"]
    assert (await promoted)["member"]["id"] == b.user["id"]  # the longest present


async def test_a_dropped_member_keeps_its_role_through_a_quick_reconnect(party, server):
    party_id, (host, b) = await party(2)
    events: list[str] = []
    b.on("member.left", lambda e: events.append("left"))
    await host.sio.eio.disconnect(abort=True)  # the network drops; no goodbye
    await host.wait_for("reconnected", timeout_s=5)
    await asyncio.sleep(server.config.leave_grace_ms / 1000 + 0.3)
    assert events == []
    answer = await b.request("party.join", {"party": party_id})
    roles = {m["id"]: m["role"] for m in answer["members"]}
    assert roles[host.user["id"]] == "host"


async def test_a_member_gone_for_good_leaves_after_the_grace_period(party):
    party_id, (host, b) = await party(2)
    left = asyncio.create_task(host.wait_for("member.left", timeout_s=5))
    b._reconnection = False
    await b.sio.eio.disconnect(abort=True)
    assert (await left)["user"] == b.user["id"]


async def test_buffering_member_makes_the_party_wait_then_all_resume(party):
    party_id, (a, b) = await party(2)
    play = await a.control(party_id, "play")
    await settle([a, b], party_id, play["seq"])
    waiting = asyncio.create_task(a.wait_for("playback.state", lambda s: s["status"] == "waiting"))
    # Playing in step first (a joiner's loading holds nobody), then a stall that lasts.
    await b.report_status(party_id, b.expected_position(party_id), playing=True, buffering=False)
    await b.report_status(party_id, b.expected_position(party_id), playing=True, buffering=True)
    state = await waiting
    assert state["by"] is None
    resumed = asyncio.create_task(a.wait_for("playback.state", lambda s: s["status"] == "playing"))
    await b.report_status(party_id, state["position"], playing=False, buffering=False)
    again = await resumed
    assert again["position"] == state["position"]
    assert again["at"] > a.server_now_ms() - 50  # a scheduled start, not a jump


async def test_buffering_timeout_goes_on_without_the_laggard(party, server):
    party_id, (a, b) = await party(2)
    await a.control(party_id, "play")
    await b.report_status(party_id, 0.0, playing=True, buffering=False)
    await b.report_status(party_id, 0.0, playing=True, buffering=True)
    await a.wait_until(lambda: a.playback[party_id]["status"] == "waiting")
    waiting = a.playback[party_id]
    timeout_s = server.config.buffer_timeout_ms / 1000 + 2
    await a.wait_until(lambda: a.playback[party_id]["status"] == "playing", timeout_s)
    assert a.playback[party_id]["seq"] == waiting["seq"] + 1


async def test_hosts_only_control_and_promotion(party):
    party_id, (host, b) = await party(2, {"control": "hosts"})
    with pytest.raises(SocialSyncError) as err:
        await b.control(party_id, "play")
    assert err.value.code == "forbidden"
    await host.request("member.role", {"party": party_id, "user": b.user["id"], "role": "cohost"})
    assert (await b.control(party_id, "play"))["status"] == "playing"
    with pytest.raises(SocialSyncError) as err:
        await b.request("member.role", {"party": party_id, "user": host.user["id"], "role": "member"})
    assert err.value.code == "forbidden"


async def test_host_ends_the_party(party, connect):
    party_id, (host, b) = await party(2)
    ended = asyncio.create_task(b.wait_for("party.ended"))
    await host.request("party.end", {"party": party_id})
    assert (await ended)["reason"] == "ended_by_host"
    newcomer = await connect("Late")
    with pytest.raises(SocialSyncError) as err:
        await newcomer.join(party_id)
    assert err.value.code == "not_found"


async def test_settings_update_is_announced(party):
    party_id, (host, b) = await party(2)
    updated = asyncio.create_task(b.wait_for("party.updated"))
    await host.request(
        "party.update", {"party": party_id, "title": "Renamed", "settings": {"control": "hosts"}}
    )
    party_payload = (await updated)["info"]
    assert party_payload["title"] == "Renamed" and party_payload["settings"]["control"] == "hosts"


async def test_a_long_absence_resumes_in_pages_without_a_gap(party, connect, server):
    from socialsync.app import STORE
    from socialsync.domain.chat.messages import MessageDraft

    party_id, (a, b) = await party(2)
    last = b.last_message_id.get(party_id, 0)
    await b.close()
    store = server.app[STORE]
    for i in range(1_150):  # more than one join answer carries
        await store.append(MessageDraft(party_id, "bot", "Bot", f"m{i}", 0, f"n{i}"))
    again = await connect("Member 1")
    answer = await again.join(party_id, since=last)
    assert answer["has_more"] is True and len(answer["messages"]) == 1_000
    assert [m["id"] for m in again.messages[party_id]] == list(range(1, 1_151))


async def test_a_dropped_member_is_shown_as_disconnected_then_back(party):
    party_id, (a, b) = await party(2)
    b_id = b.user["id"]
    states: list[bool] = []
    a.on(
        "member.updated",
        lambda e: states.append(e["member"]["connected"]) if e["member"]["id"] == b_id else None,
    )
    await b.sio.eio.disconnect(abort=True)
    await b.wait_for("reconnected", timeout_s=5)
    await a.wait_until(lambda: states[-2:] == [False, True])
