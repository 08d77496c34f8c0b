"""The platform SDK (socialsync.platform) against a real server over a real socket, as a
platform's backend uses it: the blocking client (run in a thread, beside the server's
event loop) and the asyncio client, with API keys made through the SDK itself. Each
effect is checked where it shows: minted tokens sign real Socket.IO clients in, a kick
and an end reach the members' sockets, a webhook ping reaches a real receiver."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import jwt
import pytest
from aiohttp import web
from support import VIDEO, Server, free_port, running_server

from socialsync.app import STORE
from socialsync.edge.auth import issue_token
from socialsync.platform import (
    AsyncSocialSync,
    BadRequest,
    Conflict,
    Forbidden,
    Media,
    NetworkError,
    NotFound,
    RateLimited,
    SocialSync,
    SocialSyncError,
    Unauthorized,
    mint_token,
    verify_webhook,
)
from socialsync.platform._request import Operation, Resource
from socialsync.sdk.client import SocialSyncClient
from socialsync.sdk.client import SocialSyncError as SocketRefused

FILM = Media(**VIDEO)
ALL_SCOPES = ["parties:write", "moderation:write", "analytics:read", "users:admin", "webhooks:admin"]
# Routes the SDK leaves to others: the document itself, and a clip's file (for players,
# by the signed URL a clip carries).
NOT_IN_THE_SDK = {("GET", "/api/v1/openapi.json"), ("GET", "/api/v1/clips/{clip}/media")}


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Server]:
    async with running_server(tmp_path, max_token_lifetime_s=7200) as server:
        yield server


async def secret_of(server: Server) -> str:
    tenant = await server.app[STORE].get_tenant("demo")
    assert tenant is not None
    return tenant.secret


async def new_key(server: Server, *scopes: str, **limits: int) -> str:
    """An API key of the demo tenant, made through the SDK with an admin's token."""
    admin = issue_token(
        await server.app[STORE].get_tenant("demo"), "ops", "Ops", ["admin"], 600, int(time.time())
    )
    async with AsyncSocialSync(server.url, token=admin) as client:
        made = await client.api_keys.create("Portal", list(scopes or ALL_SCOPES), **limits)
    assert made.api_key.startswith(f"ssk_{made.key.id}_") and made.key.prefix == f"ssk_{made.key.id}_"
    return made.api_key


async def socket(server: Server, token: str) -> SocialSyncClient:
    client = SocialSyncClient(server.url, token=token)
    await client.connect(sync_clock=False)
    return client


class Seen:
    """An httpx event hook: every answer's method, path, query and status, in order."""

    def __init__(self) -> None:
        self.answers: list[tuple[str, str, str, int]] = []

    def __call__(self, response: httpx.Response) -> None:
        r = response.request
        self.answers.append((r.method, r.url.path, r.url.query.decode(), response.status_code))

    async def async_hook(self, response: httpx.Response) -> None:
        self(response)


async def test_the_sync_client_runs_parties_from_creation_to_their_end(api: Server) -> None:
    key = await new_key(api, "parties:write")
    seen = Seen()
    http = httpx.Client(event_hooks={"response": [seen]})
    client = SocialSync(api.url, api_key=key, http_client=http)
    run = asyncio.to_thread
    sockets: list[SocialSyncClient] = []
    try:
        made = [await run(client.parties.create, f"Film {i}", FILM) for i in range(4)]
        room = await run(client.parties.create, "Live", FILM, type="live_room", max_members=500)
        ids = [p.id for p in made] + [room.id]
        assert made[0].title == "Film 0" and made[0].media == FILM and made[0].host is None
        assert made[0].created_by.startswith("key:") and made[0].invite_url
        assert (room.settings.type, room.settings.max_members) == ("live_room", 500)

        first = await run(client.parties.list, limit=2)
        assert [p.id for p in first.items] == ids[:2] and first.next_cursor is not None
        seen.answers.clear()
        every = await run(lambda: [p.id for p in client.parties.iter(limit=2)])
        assert every == ids  # oldest first, across three pages
        assert [(a[2].startswith("limit=2"), "cursor=" in a[2]) for a in seen.answers] == [
            (True, False),
            (True, True),
            (True, True),
        ]
        rooms = await run(lambda: list(client.parties.iter(type="live_room")))
        assert rooms == [room]

        state = await run(client.parties.get, ids[0])
        assert state.party == made[0] and state.playback.status == "paused"
        assert state.playback.media == FILM and state.sync.members["in_sync"] == 0
        updated = await run(client.parties.update, ids[0], title="Film club", control="hosts")
        assert (updated.title, updated.settings.control) == ("Film club", "hosts")
        assert updated.settings.wait_for_buffering == made[0].settings.wait_for_buffering  # unchanged

        # Viewers signed in with a token minted by the API and one minted locally.
        minted = await run(client.tokens.create, "viewer-1", "Ada")
        assert (minted.user, minted.roles) == ("viewer-1", ("viewer",))
        assert 3590 <= minted.expires_at - time.time() <= 3600
        local = mint_token("demo", await secret_of(api), "viewer-2", "Bob")
        sockets = [await socket(api, minted.token), await socket(api, local)]
        for viewer in sockets:
            await viewer.join(ids[0])
        members = await run(lambda: list(client.members.iter(ids[0], limit=1)))
        assert [(m.id, m.name, m.role) for m in members] == [
            ("viewer-1", "Ada", "host"),
            ("viewer-2", "Bob", "member"),
        ]
        assert members[0].connected and members[0].camera is None
        page = await run(client.members.list, ids[0])
        assert page.items == tuple(members) and page.next_cursor is None

        kicked = asyncio.create_task(sockets[1].wait_for("party.kicked"))
        await run(lambda: client.members.kick(ids[0], "viewer-2", reason="spam"))
        assert await kicked == {"party": ids[0], "reason": "kicked"}
        ended = asyncio.create_task(sockets[0].wait_for("party.ended"))
        await asyncio.sleep(0)
        assert await run(client.parties.end, ids[0]) is None
        assert (await ended)["party"] == ids[0]
        with pytest.raises(NotFound) as gone:
            await run(client.parties.get, ids[0])
        assert gone.value.status == 404 and gone.value.code == "not_found"
    finally:
        for viewer in sockets:
            await viewer.close()
        await run(client.close)
        await run(http.close)


async def test_the_async_client_mints_tokens_both_ways_and_revokes_one(api: Server) -> None:
    key = await new_key(api, "parties:write", "users:admin")
    secret = await secret_of(api)
    async with AsyncSocialSync(api.url, api_key=key) as client:
        party = await client.parties.create("Film club", FILM, control="hosts")
        host = await client.tokens.create("host-1", "Hana", ttl_s=600, host_of=party.id)
        assert host.host_of == party.id
        assert jwt.decode(host.token, options={"verify_signature": False})["host_of"] == party.id
        tokens = [
            host.token,
            (await client.tokens.create("mod-1", "Moe", role="moderator")).token,
            mint_token("demo", secret, "viewer-3", "Vic", ttl_s=600),
            mint_token("demo", secret, "mod-2", "Mia", ["moderator"]),
        ]
        sockets = [await socket(api, token) for token in tokens]
        try:
            assert [(s.user or {}).get("id") for s in sockets] == ["host-1", "mod-1", "viewer-3", "mod-2"]
            assert (sockets[3].user or {}).get("tenant") == "demo"
            for s in sockets[:3]:
                await s.join(party.id)
            listed = [(m.id, m.role) async for m in client.members.iter(party.id, limit=2)]
            assert listed == [("host-1", "host"), ("mod-1", "member"), ("viewer-3", "member")]
            assert [p.id async for p in client.parties.iter(limit=1)] == [party.id]

            # A token revoked by its jti: its socket is closed, and it signs in no more.
            jti = jwt.decode(tokens[2], options={"verify_signature": False})["jti"]
            revoked = await client.tokens.revoke(jti)
            assert revoked.jti == jti and revoked.user is None and revoked.at <= time.time() + 1
            await sockets[2].wait_until(lambda: not sockets[2].connected)
            with pytest.raises(SocketRefused) as refused:
                await socket(api, tokens[2])
            assert refused.value.code == "unauthorized"
            await (await socket(api, tokens[0])).close()  # the others still work
        finally:
            for s in sockets:
                await s.close()


async def test_refusals_are_exceptions_with_the_servers_codes(api: Server) -> None:
    narrow = await new_key(api, "parties:write")
    async with AsyncSocialSync(api.url, api_key=narrow) as client:
        with pytest.raises(NotFound) as caught:
            await client.parties.get("NoSuchParty00000")
        assert (caught.value.code, caught.value.status) == ("not_found", 404)
        with pytest.raises(Forbidden) as caught_:
            await client.api_keys.list()
        assert caught_.value.message == "this API key lacks the scope users:admin"
        assert caught_.value.status == 403
        with pytest.raises(BadRequest, match="limit"):
            await client.parties.list(limit=0)
    made_up = "ssk_00000000000000ff_" + "A" * 43
    with SocialSync(api.url, api_key=made_up) as blocking:
        with pytest.raises(Unauthorized) as refused:
            await asyncio.to_thread(blocking.parties.list)
    assert isinstance(refused.value, SocialSyncError) and refused.value.code == "unauthorized"
    # Nobody listening: httpx's failure comes out as the SDK's, with httpx's as its cause.
    with SocialSync(f"http://127.0.0.1:{free_port()}", api_key=narrow, max_retries=0) as nowhere:
        with pytest.raises(NetworkError) as unreachable:
            await asyncio.to_thread(nowhere.parties.list)
    assert isinstance(unreachable.value.__cause__, httpx.ConnectError)
    assert unreachable.value.code == "unavailable" and unreachable.value.status is None


async def test_a_rate_limited_request_is_retried_after_retry_after_both_clients(api: Server) -> None:
    # One request at a time, one more each second.
    keys = [await new_key(api, "parties:write", per_minute=60, burst=1) for _ in range(2)]
    seen = Seen()
    http = httpx.Client(event_hooks={"response": [seen]})
    with SocialSync(api.url, api_key=keys[0], http_client=http) as client:
        await asyncio.to_thread(client.parties.list)
        started = time.monotonic()
        # A POST too: a 429 is refused before the handler, so it is retried, and made once.
        party = await asyncio.to_thread(client.parties.create, "Once", FILM)
        waited = time.monotonic() - started
        statuses = [(a[0], a[3]) for a in seen.answers]
        assert statuses == [("GET", 200), ("POST", 429), ("POST", 201)]
        assert 0.9 <= waited < 5.0  # Retry-After: 1
        assert [p.id for p in (await asyncio.to_thread(client.parties.list)).items] == [party.id]
    await asyncio.to_thread(http.close)

    async_seen = Seen()
    async with (
        httpx.AsyncClient(event_hooks={"response": [async_seen.async_hook]}) as ahttp,
        AsyncSocialSync(api.url, api_key=keys[1], http_client=ahttp, max_retries=0) as aclient,
    ):
        await aclient.parties.list()
        with pytest.raises(RateLimited) as limited:
            await aclient.parties.list()
        assert limited.value.retry_after_s == 1.0 and limited.value.status == 429
        assert limited.value.code == "rate_limited"
    # A longer wait than the client allows is not waited: raised at once.
    async with AsyncSocialSync(api.url, api_key=keys[1], max_retry_wait_s=0.5) as impatient:
        started = time.monotonic()
        with pytest.raises(RateLimited):
            await impatient.parties.list()
        assert time.monotonic() - started < 0.5
    assert [a[3] for a in async_seen.answers] == [200, 429]


async def test_webhooks_tenant_privacy_and_clips_through_the_sdk(api: Server) -> None:
    got: list[tuple[dict[str, str], bytes]] = []

    async def take(request: web.Request) -> web.Response:
        got.append((dict(request.headers), await request.read()))
        return web.Response(status=204)

    receiver = web.Application()
    receiver.router.add_post("/hooks", take)
    runner = web.AppRunner(receiver, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with AsyncSocialSync(api.url, api_key=await new_key(api)) as client:
            made = await client.webhooks.create(f"http://127.0.0.1:{port}/hooks", events=["party.*"])
            endpoint = made.endpoint
            assert made.secret.startswith("whsec_") and endpoint.events == ("party.*",) and endpoint.enabled
            delivery = await client.webhooks.test(endpoint.id)
            await until(lambda: len(got) == 1)
            headers, body = got[0]
            event = verify_webhook(made.secret, headers, body)
            assert event["type"] == "webhook.test" and headers["webhook-id"] == delivery.id
            log = await client.deliveries.get(delivery.id)
            for _ in range(100):  # the receiver has it; the log may lag its answer
                if log.delivery.status == "delivered":
                    break
                await asyncio.sleep(0.05)
                log = await client.deliveries.get(delivery.id)
            assert log.delivery.status == "delivered" and log.attempts[0].status == 204
            again = await client.deliveries.redeliver(delivery.id)
            await until(lambda: len(got) == 2)
            assert again.id == delivery.id and got[1][0]["webhook-id"] == delivery.id
            assert [d.id async for d in client.deliveries.iter(endpoint=endpoint.id)] == [delivery.id]
            rotated = await client.webhooks.rotate(endpoint.id)
            assert rotated.secret != made.secret and rotated.endpoint.previous_secret_until
            changed = await client.webhooks.update(endpoint.id, description="Ops", events=[])
            assert (changed.description, changed.events) == ("Ops", ())
            assert await client.webhooks.get(endpoint.id) == changed
            assert [e.id async for e in client.webhooks.iter()] == [endpoint.id]
            await client.webhooks.delete(endpoint.id)
            with pytest.raises(NotFound):
                await client.webhooks.get(endpoint.id)

            settings = await client.tenant.update_settings(
                frame_ancestors=["https://tv.example"], cameras_per_user=4
            )
            assert settings.frame_ancestors == ("https://tv.example",)
            assert settings.limits.cameras_per_user == settings.effective_limits.cameras_per_user == 4
            reset = await client.tenant.update_settings(frame_ancestors=None)  # back to the server's
            assert reset.frame_ancestors is None and reset.limits.cameras_per_user == 4
            assert await client.tenant.settings() == reset
            access = await client.tenant.update_access(allowed_origins=["https://tv.example"])
            assert access.allowed_origins == ("https://tv.example",) and access.jwks_url is None
            assert (await client.tenant.update_access(allowed_origins=None)).allowed_origins is None

            retention = await client.privacy.update_retention(chat_days=90)
            assert retention.chat_days == 90 and await client.privacy.retention() == retention
            party = await client.parties.create("Film", FILM)
            assert (await client.privacy.consents(party.id)).items == ()
            assert (await client.clips.of_party(party.id)).items == ()
            assert [c async for c in client.clips.iter(party=party.id)] == []
            with pytest.raises(NotFound):
                await client.clips.keep("NoSuchClip000000")
            exported = await client.privacy.export_user("viewer-1")
            assert isinstance(exported, dict)
            erased = await client.privacy.erase_user("viewer-1")
            assert erased.pseudonym and isinstance(erased.counts, dict)
            keys = [k async for k in client.api_keys.iter(limit=1)]
            assert len(keys) == 1 and keys[0].scopes == tuple(sorted(ALL_SCOPES))
    finally:
        await runner.cleanup()


async def test_invites_chat_moderation_and_analytics_through_the_sdk(api: Server) -> None:
    secret = await secret_of(api)
    async with AsyncSocialSync(api.url, api_key=await new_key(api)) as client:
        live = Media("https://cdn.example/live/final.m3u8", kind="live")
        room = await client.parties.create("Cup final", live, type="live_room")
        invite = await client.invites.create(room.id, max_uses=2, expires_in_s=3600)
        assert (invite.party, invite.max_uses, invite.uses) == (room.id, 2, 0)
        assert invite.url.endswith(f"invite={invite.code}")
        assert 3590 <= invite.expires_at - time.time() <= 3600  # epoch seconds
        fans = [await socket(api, mint_token("demo", secret, f"fan-{i}", f"Fan {i}")) for i in range(2)]
        try:
            joined = await fans[0].request("party.join", {"invite": invite.code})
            assert joined["party"]["id"] == room.id
            await fans[1].join(room.id)
            assert [(i.code, i.uses) async for i in client.invites.iter(room.id)] == [(invite.code, 1)]
            await client.invites.revoke(room.id, invite.code)
            with pytest.raises(NotFound):
                await client.invites.revoke(room.id, invite.code)

            # The chat, exported in order across pages; a message deleted leaves every member's.
            sent = [await fans[1].send_chat(room.id, f"goal {i}") for i in range(3)]
            exported = [m async for m in client.chat.iter(room.id, limit=2)]
            assert [(m.id, m.text, m.user.id, m.hidden) for m in exported] == [
                (m["id"], m["text"], "fan-1", False) for m in sent
            ]
            deleted = asyncio.create_task(fans[0].wait_for("chat.deleted"))
            await asyncio.sleep(0)
            await client.chat.delete(room.id, sent[0]["id"], reason="spoiler")
            assert await deleted == {"party": room.id, "id": sent[0]["id"]}
            assert [m.id async for m in client.chat.iter(room.id)] == [m["id"] for m in sent[1:]]

            # A link is held for review in a live room; approved, it reaches the room.
            assert (await fans[1].send_chat(room.id, "watch https://elsewhere.example/tv")).get("held")
            queue = [h async for h in client.moderation.iter_held(room.id)]
            assert [(h.user.id, h.source, h.message) for h in queue] == [("fan-1", "filter", None)]
            delivered = asyncio.create_task(
                fans[0].wait_for("chat.message", lambda m: "elsewhere" in m["text"])
            )
            await asyncio.sleep(0)
            await client.moderation.approve(room.id, queue[0].id, reason="a fan site")
            await delivered
            with pytest.raises(Conflict):
                await client.moderation.reject(room.id, queue[0].id)  # decided already
            assert (await client.moderation.held(room.id)).items == ()

            # Terms, and a ban that removes its user at once, lifted again.
            terms = await client.moderation.set_terms(blocked_terms=["spoiler*"])
            assert terms.blocked_terms == ("spoiler*",) and await client.moderation.terms() == terms
            kicked = asyncio.create_task(fans[0].wait_for("party.kicked"))
            await asyncio.sleep(0)
            ban = await client.moderation.sanction("fan-0", "ban", party=room.id, seconds=600, reason="abuse")
            assert (ban.kind, ban.user, ban.party, ban.reason) == ("ban", "fan-0", room.id, "abuse")
            assert ban.until is not None and ban.by.startswith("key:")
            assert await kicked == {"party": room.id, "reason": "banned"}
            assert [s async for s in client.moderation.iter_sanctions(kind="ban", party=room.id)] == [ban]
            await client.moderation.lift(ban.id, reason="appeal")
            assert (await client.moderation.sanctions()).items == ()
            audit = [e async for e in client.moderation.iter_audit(party=room.id, limit=2)]
            assert [e.action for e in audit][:3] == ["unban", "ban", "review_approved"]
            assert {e.actor.id for e in audit} == {ban.by}
        finally:
            for fan in fans:
                await fan.close()

        # Analytics: typed answers over the range asked for.
        until = int(time.time() * 1000)
        summary = await client.analytics.summary(since=until - 3_600_000, until=until)
        assert (summary.range.since, summary.range.until) == (until - 3_600_000, until)
        assert summary.metrics.sessions >= 0
        concurrency = await client.analytics.concurrency(since=until - 600_000, until=until, step_s=60)
        assert len(concurrency.points) == 10 and concurrency.points[0].t == until - 600_000
        assert (await client.analytics.retention(party=room.id, unit="percent")).unit == "percent"
        assert (await client.analytics.moments(party=room.id, bucket_s=30, top=3)).range.party == room.id
        assert (await client.analytics.funnels()).invite[0].step == "created"
        assert isinstance((await client.analytics.viewers(limit=10)).viewers, tuple)
        assert (await client.analytics.top(by="media", limit=5)).by == "media"
        with pytest.raises(BadRequest):
            await client.analytics.concurrency(step_s=0)


async def until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "not in time"
        await asyncio.sleep(0.02)


async def test_the_sdk_covers_every_route_of_the_served_document(api: Server) -> None:
    """A family added to the server without its SDK resource fails here."""
    async with httpx.AsyncClient() as http:
        document = (await http.get(api.url + "/api/v1/openapi.json")).json()
    served = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }
    resources = [r for r in vars(SocialSync(api.url, api_key="ssk_x")).values() if isinstance(r, Resource)]
    ours = {
        (op.method, op.route)
        for resource in resources
        for op in vars(type(resource)).values()
        if isinstance(op, Operation)
    }
    assert ours - served == set(), "the SDK calls routes the server does not have"
    assert served - ours - NOT_IN_THE_SDK == set(), "routes of the API without an SDK method"
