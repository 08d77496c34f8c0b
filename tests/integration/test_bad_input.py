"""Hostile and malformed input: each gets its exact error, and the room carries on."""

from __future__ import annotations

import asyncio
import time

import jwt
import pytest
from support import VIDEO, running_server

from socialsync.app import STORE
from socialsync.domain.tenant import Tenant
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient, SocialSyncError

LONG = "x" * 501

# (event, payload builder given the party id, expected code)
TABLE = [
    ("party.join", lambda p: {"party": 123}, "bad_request"),
    ("party.join", lambda p: {}, "bad_request"),
    ("party.join", lambda p: "just a string", "bad_request"),
    ("party.join", lambda p: None, "bad_request"),
    ("party.join", lambda p: {"party": "no-such-party"}, "not_found"),
    ("party.join", lambda p: {"party": "../../etc"}, "bad_request"),
    ("party.join", lambda p: {"party": p, "since": 2**70}, "bad_request"),
    ("party.join", lambda p: {"party": p, "since": -1}, "bad_request"),
    ("party.create", lambda p: {"title": "", "media": VIDEO}, "bad_request"),
    ("party.create", lambda p: {"title": "t" * 201, "media": VIDEO}, "too_large"),
    ("party.create", lambda p: {"title": "x", "media": {"url": "javascript:alert(1)"}}, "bad_request"),
    ("party.create", lambda p: {"title": "x", "media": {"url": "https://a/" + "b" * 3000}}, "too_large"),
    (
        "party.create",
        lambda p: {"title": "x", "media": {"url": "https://a/b", "kind": "radio"}},
        "bad_request",
    ),
    (
        "party.create",
        lambda p: {"title": "x", "media": VIDEO, "settings": {"max_members": 5000}},
        "bad_request",
    ),
    ("playback.control", lambda p: {"party": p, "action": "seek", "position": float("nan")}, "bad_request"),
    ("playback.control", lambda p: {"party": p, "action": "seek", "position": float("inf")}, "bad_request"),
    ("playback.control", lambda p: {"party": p, "action": "seek", "position": -1}, "bad_request"),
    ("playback.control", lambda p: {"party": p, "action": "seek", "position": 1e300}, "bad_request"),
    ("playback.control", lambda p: {"party": p, "action": "seek", "position": "10"}, "bad_request"),
    ("playback.control", lambda p: {"party": p, "action": "seek", "position": 601}, "bad_request"),
    ("playback.control", lambda p: {"party": p, "action": "seek"}, "bad_request"),
    ("playback.control", lambda p: {"party": p, "action": "rate", "rate": 10}, "bad_request"),
    ("playback.control", lambda p: {"party": p, "action": "rate", "rate": 0.1}, "bad_request"),
    ("playback.control", lambda p: {"party": p, "action": "explode"}, "bad_request"),
    ("playback.control", lambda p: {"party": p, "action": "load"}, "bad_request"),
    (
        "playback.status",
        lambda p: {"party": p, "position": 1.0, "playing": "yes", "buffering": False},
        "bad_request",
    ),
    (
        "playback.status",
        lambda p: {"party": p, "position": 1.0, "playing": True, "buffering": False, "wait_for_me": 0},
        "bad_request",
    ),
    (
        "playback.status",
        lambda p: {"party": p, "position": 1.0, "playing": True, "buffering": False, "rtt": -5},
        "bad_request",
    ),
    (
        "playback.status",
        lambda p: {"party": p, "position": 1.0, "playing": True, "buffering": False, "rtt": 12.5},
        "bad_request",
    ),
    ("chat.send", lambda p: {"party": p}, "bad_request"),
    ("chat.send", lambda p: {"party": p, "text": "   ", "nonce": "a"}, "bad_request"),
    ("chat.send", lambda p: {"party": p, "text": LONG, "nonce": "a"}, "too_large"),
    ("chat.send", lambda p: {"party": p, "text": "hi", "nonce": "n" * 65}, "too_large"),
    ("chat.send", lambda p: {"party": p, "text": ["hi"], "nonce": "a"}, "bad_request"),
    ("chat.history", lambda p: {"party": p, "limit": 1000}, "bad_request"),
    ("reaction.send", lambda p: {"party": p, "emoji": "💩"}, "bad_request"),
    ("reaction.send", lambda p: {"party": p, "emoji": 1}, "bad_request"),
    ("member.role", lambda p: {"party": p, "user": "nobody", "role": "host"}, "forbidden"),
    ("member.role", lambda p: {"party": p, "user": "nobody", "role": "emperor"}, "bad_request"),
    ("no.such.event", lambda p: {"party": p}, "bad_request"),
]


async def assert_room_still_works(party_id: str, host: SocialSyncClient, other: SocialSyncClient) -> None:
    message = await other.send_chat(party_id, "still here")
    await host.wait_until(lambda: any(m["id"] == message["id"] for m in host.messages[party_id]))
    assert other.connected and host.connected


@pytest.mark.parametrize(
    ("event", "payload", "code"), TABLE, ids=[f"{e}-{i}" for i, (e, _, _) in enumerate(TABLE)]
)
async def test_bad_input_gets_its_code_and_the_room_carries_on(party, event, payload, code):
    party_id, (host, other, attacker) = await party(3)
    with pytest.raises(SocialSyncError) as err:
        await attacker.request(event, payload(party_id))
    assert err.value.code == code, err.value.message
    assert err.value.message
    assert attacker.connected
    await assert_room_still_works(party_id, host, other)


@pytest.mark.parametrize("reserved", ["connect", "disconnect"])
async def test_reserved_event_names_sent_by_a_client_change_nothing(party, reserved):
    party_id, (host, other, attacker) = await party(3)
    user = attacker.user
    with pytest.raises(SocialSyncError) as err:
        await attacker.request(reserved, {"token": "x"})
    assert err.value.code == "bad_request"
    # Still the same session, still in the party, still rate limited as before.
    message = await attacker.send_chat(party_id, "me again")
    assert message["user"]["id"] == user["id"]
    await assert_room_still_works(party_id, host, other)


async def test_commands_for_a_party_not_joined_are_forbidden(party, connect):
    party_id, (host, other) = await party(2)
    outsider = await connect("Outsider")
    for event, payload in [
        ("playback.control", {"party": party_id, "action": "play"}),
        ("chat.send", {"party": party_id, "text": "hi", "nonce": "x"}),
        ("chat.history", {"party": party_id}),
        ("reaction.send", {"party": party_id, "emoji": "🔥"}),
        ("party.leave", {"party": party_id}),
    ]:
        with pytest.raises(SocialSyncError) as err:
            await outsider.request(event, payload)
        assert err.value.code in ("forbidden", "not_found"), event
    await assert_room_still_works(party_id, host, other)


async def test_a_ten_megabyte_payload_closes_only_the_senders_connection(party):
    party_id, (host, other, attacker) = await party(3)
    attacker._reconnection = False
    with pytest.raises(SocialSyncError):
        await attacker.request("chat.send", {"party": party_id, "text": "x" * 10_000_000, "nonce": "big"}, 3)
    await attacker.wait_until(lambda: not attacker.connected)
    await assert_room_still_works(party_id, host, other)


async def test_flooding_chat_is_rate_limited_with_a_retry_hint(tmp_path):
    # The defaults: 5 messages then one a second, and 3 at most in a user's first minute in a room.
    async with running_server(
        tmp_path, chat_burst=5, chat_per_s=1, newcomer_chat_burst=3, newcomer_chat_per_s=1 / 3
    ) as server:
        a = SocialSyncClient(server.url, guest="Flooder")
        b = SocialSyncClient(server.url, guest="Calm")
        try:
            await a.connect()
            await b.connect()
            created = await a.create_party("Flood", VIDEO)
            await a.join(created["id"])
            await b.join(created["id"])
            results = await asyncio.gather(
                *(
                    a.request("chat.send", {"party": created["id"], "text": f"spam {i}", "nonce": str(i)})
                    for i in range(20)
                ),
                return_exceptions=True,
            )
            refused = [r for r in results if isinstance(r, SocialSyncError)]
            assert len(refused) == 17  # a newcomer to the room: 3 went through
            assert {r.code for r in refused} == {"rate_limited"}
            assert all(0 < r.answer["error"]["retry_after"] <= 60 for r in refused)
            # Somebody else's limit is their own.
            await assert_room_still_works(created["id"], a, b)
        finally:
            await a.close()
            await b.close()


async def test_flooding_events_is_rate_limited_per_socket(party):
    party_id, (host, other, attacker) = await party(3)
    results = await asyncio.gather(
        *(attacker.request("time.sync", {"t0": 1.0}) for _ in range(300)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, SocialSyncError)]
    # Refused rate_limited; 50 refusals in a row (flood_refusals) and the socket is
    # closed, so the rest find it gone (issue 13).
    assert sum(r.code == "rate_limited" for r in refused) >= 50
    assert {r.code for r in refused} <= {"rate_limited", "unavailable"}
    await assert_room_still_works(party_id, host, other)


# ------------------------------------------------------------------------ tokens


async def _acme(server) -> Tenant:
    tenant = Tenant("acme", "Acme TV", "acme-secret-" + "k" * 20, False, int(time.time() * 1000))
    await server.app[STORE].add_tenant(tenant)
    return tenant


def _token(tenant: Tenant, **overrides) -> str:
    now = int(time.time())
    claims = {"sub": "u1", "name": "Una", "roles": ["viewer"], "exp": now + 60, **overrides}
    return jwt.encode(claims, tenant.secret, algorithm="HS256", headers={"kid": tenant.id})


async def _refused(server, **auth) -> SocialSyncError:
    client = SocialSyncClient(server.url, **auth, reconnection=False) if auth else None
    with pytest.raises(SocialSyncError) as err:
        await client.connect()
    await client.close()
    return err.value


async def test_a_valid_token_connects_with_its_roles(server):
    tenant = await _acme(server)
    token = issue_token(tenant, "mod-1", "Mo", ["moderator"], 60, int(time.time()))
    client = SocialSyncClient(server.url, token=token)
    await client.connect()
    try:
        assert client.user == {
            "id": "mod-1",
            "name": "Mo",
            "roles": ["moderator"],
            "guest": False,
            "tenant": "acme",
        }
    finally:
        await client.close()


@pytest.mark.parametrize(
    "make_token",
    [
        lambda t: _token(t, exp=int(time.time()) - 10),  # expired
        lambda t: jwt.encode(
            {"sub": "u1", "exp": int(time.time()) + 60},
            "forged-" + "k" * 32,
            algorithm="HS256",
            headers={"kid": t.id},
        ),  # wrong signature
        lambda t: jwt.encode(
            {"sub": "u1", "exp": int(time.time()) + 60},
            t.secret,
            algorithm="HS256",
            headers={"kid": "unknown-tenant"},
        ),
        lambda t: jwt.encode({"sub": "u1"}, t.secret, algorithm="HS256", headers={"kid": t.id}),  # no exp
        lambda t: _token(t, roles=["emperor"]),
        lambda t: _token(t, sub=""),
        lambda t: "not.a.token",
        lambda t: "x" * 10_000,
        lambda t: jwt.encode(
            {"sub": "u1", "exp": int(time.time()) + 60}, None, algorithm="none", headers={"kid": t.id}
        ),  # alg none
    ],
    ids=[
        "expired",
        "forged",
        "unknown-tenant",
        "no-exp",
        "bad-role",
        "empty-sub",
        "malformed",
        "huge",
        "alg-none",
    ],
)
async def test_bad_tokens_are_refused_as_unauthorized(server, make_token):
    tenant = await _acme(server)
    error = await _refused(server, token=make_token(tenant))
    assert error.code == "unauthorized"
    assert error.message


async def test_guests_only_where_the_tenant_allows_them(server):
    await _acme(server)
    error = await _refused(server, guest="Gil", tenant="acme")
    assert error.code == "unauthorized"
    error = await _refused(server, guest="")
    assert error.code == "unauthorized"


async def test_another_tenants_party_is_not_found(server, connect):
    tenant = await _acme(server)
    acme_user = SocialSyncClient(server.url, token=_token(tenant))
    await acme_user.connect()
    try:
        created = await acme_user.create_party("Acme only", VIDEO)
        guest = await connect("Demo guest")
        with pytest.raises(SocialSyncError) as err:
            await guest.join(created["id"])
        assert err.value.code == "not_found"
    finally:
        await acme_user.close()


async def test_a_full_party_refuses_the_next_member(party, connect):
    party_id, members = await party(2, {"max_members": 2})
    third = await connect("Third")
    with pytest.raises(SocialSyncError) as err:
        await third.join(party_id)
    assert err.value.code == "forbidden"


async def test_live_rooms_have_no_playback_control(party):
    party_id, (host, viewer) = await party(2, {"type": "live_room"})
    with pytest.raises(SocialSyncError) as err:
        await viewer.control(party_id, "pause")
    assert err.value.code == "forbidden"
