"""Abuse limits (issue 13): what one hostile user may hold of the server is bounded.

Finding 3: a guest exhausted the server's file descriptors with camera offers it
never completed and parties created without end. Finding 4: a NUL character passed
validation and made the database refuse writes.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from aiortc import RTCPeerConnection
from aiortc.mediastreams import VideoStreamTrack
from support import VIDEO, cluster_backend, running_server

from socialsync.app import SERVICE, STORE
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient, SocialSyncError

LIMITS = dict(
    parties_per_hour=3,
    rtc_cameras_per_user=1,
    rtc_max_connections=2,
    rtc_ice_deadline_s=1.0,
    guests_per_address_per_hour=4,
    connections_per_address=6,
    connect_deadline_s=1.0,
)


@pytest.fixture
async def server(tmp_path, backend):
    async with running_server(tmp_path, **backend, **LIMITS) as s:
        yield s


async def offer(client: SocialSyncClient, party: str) -> dict:
    """A camera offer this peer never completes (it never applies the answer)."""
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        return await client.request(
            "rtc.publish",
            {"party": party, "sdp": pc.localDescription.sdp, "audio": False, "video": True, "consent": True},
        )
    finally:
        await pc.close()


async def until(condition, timeout_s: float = 10.0) -> None:
    async with asyncio.timeout(timeout_s):
        # Server state has no event to wait on: look again every 50 ms, within a bound.
        while not await condition():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def test_parties_per_user_per_hour(connect):
    a = await connect("A")
    for i in range(3):
        await a.create_party(f"Party {i}", VIDEO)
    with pytest.raises(SocialSyncError) as err:
        await a.create_party("One too many", VIDEO)
    assert err.value.code == "rate_limited"
    assert err.value.answer["error"]["retry_after"] > 3000
    b = await connect("B")
    await b.create_party("Somebody else's", VIDEO)


@pytest.mark.redis
@pytest.mark.postgres
async def test_parties_per_user_per_hour_are_counted_for_the_whole_cluster(tmp_path):
    """Two nodes do not allow twice the quota: one user's creations on either node
    (Socket.IO on one, REST on the other) count against one window, in Redis."""
    async with (
        cluster_backend() as shared,
        running_server(tmp_path / "a", node_id="node-a", parties_per_hour=3, **shared) as a,
        running_server(tmp_path / "b", node_id="node-b", parties_per_hour=3, **shared) as b,
    ):
        tenant = await a.app[STORE].get_tenant("demo")
        token = issue_token(tenant, "u-quota", "Una", ["viewer"], 600, int(time.time()))
        on_a = SocialSyncClient(a.url, token=token)
        await on_a.connect(sync_clock=False)
        try:
            async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:

                async def create_on_b() -> tuple[int, dict]:
                    body = {"title": "On b", "media": VIDEO}
                    async with http.post(f"{b.url}/api/v1/parties", json=body) as r:
                        return r.status, await r.json()

                await on_a.create_party("On a", VIDEO)
                assert (await create_on_b())[0] == 201
                await on_a.create_party("On a again", VIDEO)
                status, answer = await create_on_b()
                assert (status, answer["error"]["code"]) == (429, "rate_limited"), answer
                with pytest.raises(SocialSyncError) as err:
                    await on_a.create_party("One too many", VIDEO)
                assert err.value.code == "rate_limited"
                other = issue_token(tenant, "u-other", "Otto", ["viewer"], 600, int(time.time()))
                async with http.post(
                    f"{b.url}/api/v1/parties",
                    json={"title": "Someone else", "media": VIDEO},
                    headers={"Authorization": f"Bearer {other}"},
                ) as r:
                    assert r.status == 201
        finally:
            await on_a.close()


async def test_a_tenant_ban_also_stops_party_creation(server, connect, moderator):
    a = await connect("A")
    created = await a.create_party("Before", VIDEO)
    await a.join(created["id"])
    await moderator.request("mod.ban", {"party": created["id"], "user": a.user["id"], "scope": "tenant"})
    with pytest.raises(SocialSyncError) as err:
        await a.create_party("After", VIDEO)
    assert err.value.code == "forbidden"


async def test_cameras_per_user_per_node_and_the_ice_deadline(server, connect):
    node = server.app[SERVICE]
    a = await connect("A")
    first = await a.create_party("One", VIDEO)
    second = await a.create_party("Two", VIDEO)
    for p in (first, second):
        await a.join(p["id"])
    await offer(a, first["id"])
    # One camera per user at once (configured): not a second one in another party.
    with pytest.raises(SocialSyncError) as err:
        await offer(a, second["id"])
    assert err.value.code == "rate_limited"
    # Two peer connections per node (configured): B's is the second, C's is refused.
    b = await connect("B")
    c = await connect("C")
    for member in (b, c):
        await member.join(first["id"])
    await offer(b, first["id"])
    with pytest.raises(SocialSyncError) as err:
        await offer(c, first["id"])
    assert err.value.code == "unavailable"

    # Nobody completes ICE: after the deadline the relay holds nothing and the
    # party shows no camera on.
    async def released() -> bool:
        party = await node.parties.live(first["id"])
        return node.relay.stats()["publications"] == 0 and all(
            m.camera is None for m in party.members.values()
        )

    await until(released)
    await offer(c, first["id"])  # room again
    await offer(a, second["id"])


async def test_nul_and_control_characters_are_refused_where_text_enters(server, connect, moderator):
    a = await connect("A")
    with pytest.raises(SocialSyncError) as err:
        await a.create_party("Movie\x00night", VIDEO)
    assert err.value.code == "bad_request" and "U+0000" in err.value.message
    created = await a.create_party("Movie night", VIDEO)
    await a.join(created["id"])
    for text in ("hi\x00", "bell\x07", "c1\x85"):
        with pytest.raises(SocialSyncError) as err:
            await a.send_chat(created["id"], text)
        assert err.value.code == "bad_request"
    await a.send_chat(created["id"], "two\nlines are fine")
    with pytest.raises(SocialSyncError) as err:
        await moderator.request(
            "mod.timeout", {"party": created["id"], "user": a.user["id"], "seconds": 5, "reason": "x\x00"}
        )
    assert err.value.code == "bad_request"
    with pytest.raises(SocialSyncError) as err:
        await a.request("chat.send", {"party": created["id"], "text": "ok", "nonce": "n\x00"})
    assert err.value.code == "bad_request"


@pytest.mark.parametrize(
    "name",
    ["Eve\x00", "\u202eevE", "Adm\u2066in\u2069", "\u200b\u200b", "\u3164", "\u2800 \u00ad"],
    ids=["nul", "rlo", "isolate", "zero-width-only", "hangul-filler", "braille-blank"],
)
async def test_impersonating_and_invisible_names_are_refused(server, name):
    client = SocialSyncClient(server.url, guest=name, reconnection=False)
    try:
        with pytest.raises(SocialSyncError) as err:
            await client.connect()
        assert err.value.code == "unauthorized"
    finally:
        await client.close()
    tenant = await server.app[STORE].get_tenant("demo")
    client = SocialSyncClient(
        server.url,
        token=issue_token(tenant, "u1", name, ["viewer"], 60, int(time.time())),
        reconnection=False,
    )
    try:
        with pytest.raises(SocialSyncError) as err:
            await client.connect()
        assert err.value.code == "unauthorized"
    finally:
        await client.close()


async def test_names_in_right_to_left_scripts_are_welcome(server, connect):
    for name in ("مريم", "דוד\u200f", "José 🎬"):
        client = await connect(name)
        assert client.user["name"] == name.strip()


async def test_a_non_string_event_name_is_a_bad_request(server, connect):
    a = await connect("A")
    answer = await a.sio.call(42, {"x": 1}, timeout=5)  # type: ignore[arg-type]
    assert answer["error"]["code"] == "bad_request"


async def test_a_value_the_database_refuses_is_set_aside_and_others_are_written(server):
    from socialsync.domain.errors import SyncError
    from socialsync.domain.model import Media, MediaKind, Settings, User
    from socialsync.domain.party.machine import Rules, create_party

    store, recorder = server.app[STORE], server.app[SERVICE].parties.recorder
    user = User("u1", "Una", "demo")
    media = Media(url="https://media.example/a.mp4", kind=MediaKind.VOD, title=None, duration_s=60.0)
    bad = [create_party(f"bad{i}", user, "nul\x00", media, Settings(), 0, Rules()).party for i in range(5)]
    good = create_party("good", user, "fine", media, Settings(), 0, Rules()).party
    if server.config.database_url.startswith("postgresql"):
        with pytest.raises(SyncError) as err:
            await store.record_party(bad[0])
        assert err.value.code.value == "bad_request"  # not "internal"
    for p in [*bad, good]:
        recorder.record(p)

    async def written() -> bool:
        return await store.load_party("good") is not None

    await until(written)
    if server.config.database_url.startswith("postgresql"):
        assert recorder.set_aside == 5


async def test_new_guest_identities_per_address(server, connect):
    for i in range(4):
        await connect(f"G{i}")
    client = SocialSyncClient(server.url, guest="One too many", reconnection=False)
    try:
        with pytest.raises(SocialSyncError) as err:
            await client.connect()
        assert err.value.code == "rate_limited"
    finally:
        await client.close()
    # A signed-in user from the same address is welcome.
    tenant = await server.app[STORE].get_tenant("demo")
    await connect(token=issue_token(tenant, "u1", "Una", ["viewer"], 60, int(time.time())), guest=None)


async def test_open_sockets_per_address(server, connect):
    tenant = await server.app[STORE].get_tenant("demo")
    token = issue_token(tenant, "u1", "Una", ["viewer"], 60, int(time.time()))
    clients = [await connect(token=token, guest=None) for _ in range(6)]
    extra = SocialSyncClient(server.url, token=token, reconnection=False)
    try:
        with pytest.raises(SocialSyncError) as err:
            await extra.connect()
        assert err.value.code == "rate_limited"
    finally:
        await extra.close()
    await clients[0].close()
    gateway = server.app[SERVICE].gateway
    await until(lambda: _true(gateway.addresses.open_count("127.0.0.1") == 5))
    await connect(token=token, guest=None)


async def _true(value: bool) -> bool:
    return value


async def test_unknown_kids_are_cached_as_unknown(server):
    import jwt

    store = server.app[STORE]
    reads = []
    original = store.get_tenant

    async def counting(tenant_id):
        reads.append(tenant_id)
        return await original(tenant_id)

    store.get_tenant = counting
    token = jwt.encode({"sub": "x", "exp": int(time.time()) + 60}, "k" * 32, headers={"kid": "nope"})
    for _ in range(10):
        client = SocialSyncClient(server.url, token=token, reconnection=False)
        try:
            with pytest.raises(SocialSyncError) as err:
                await client.connect()
            assert err.value.code == "unauthorized"
        finally:
            await client.close()
    assert reads.count("nope") == 1


async def test_a_socket_that_keeps_flooding_after_refusal_is_disconnected(server, connect):
    flooder = await connect("Flooder", reconnection=False)
    honest = await connect("Honest")
    for _ in range(400):
        await flooder.sio.emit("time.sync", {"t0": 1.0})
    await until(lambda: _true(not flooder.sio.connected))
    await honest.request("time.sync", {"t0": 1.0})


async def test_sockets_that_never_authenticate_are_closed(server):
    import aiohttp

    sio = server.app[SERVICE].gateway.sio
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/socket.io/?EIO=4&transport=polling") as response:
            assert response.status == 200
        await until(lambda: _true(len(sio.eio.sockets) == 1))
        await until(lambda: _true(len(sio.eio.sockets) == 0))


async def test_handshakes_per_address_are_rate_limited(server):
    import aiohttp

    statuses = []
    async with aiohttp.ClientSession() as http:
        for _ in range(60):
            async with http.get(f"{server.url}/socket.io/?EIO=4&transport=polling") as response:
                statuses.append(response.status)
    assert statuses[0] == 200 and 429 in statuses


async def test_a_nested_json_bomb_is_a_bad_request(server):
    import aiohttp

    tenant = await server.app[STORE].get_tenant("demo")
    token = issue_token(tenant, "u1", "Una", ["viewer"], 60, int(time.time()))
    body = "[" * 30_000 + "]" * 30_000
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{server.url}/api/v1/parties",
            data=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        ) as response:
            assert response.status == 400
            assert (await response.json())["error"]["code"] == "bad_request"
        nested: object = 1
        for _ in range(40):
            nested = [nested]
        deep = {"title": "t", "media": {"url": "https://a.example/v.mp4"}, "x": nested}
        async with http.post(
            f"{server.url}/api/v1/parties", json=deep, headers={"Authorization": f"Bearer {token}"}
        ) as response:
            assert response.status == 400


async def test_pages_media_and_api_carry_security_headers(server):
    import aiohttp

    async with aiohttp.ClientSession(server.url) as http:
        for path in ("/", "/moderation/", "/healthz", "/api/v1/parties", "/metrics"):
            async with http.get(path) as r:
                csp = r.headers.get("Content-Security-Policy", "")
                assert "frame-ancestors 'self'" in csp and "script-src 'self';" in csp, path
                assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
                assert r.headers.get("X-Content-Type-Options") == "nosniff", path
                assert r.headers.get("Referrer-Policy") == "no-referrer", path
        async with http.get("/metrics") as r:
            assert r.status == 404
