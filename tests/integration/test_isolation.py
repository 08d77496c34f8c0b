"""Two tenants whose users share an id never touch each other (issue 13, findings 1 and 2).

Tenants choose their users' ids (the token's ``sub``), so "42" of the demo tenant and
"42" of Acme are two people. One test per family of user-scoped key: the user's
Socket.IO room (addressed notices), the rate limits, the sanctions.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from support import VIDEO, running_server

from socialsync.app import STORE
from socialsync.domain.tenant import Tenant
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient, SocialSyncError

SUB = "42"


@pytest.fixture
async def server(tmp_path, backend):
    """The shipped chat limits (the suite's default raises them for speed)."""
    async with running_server(tmp_path, **backend, chat_burst=5, newcomer_chat_burst=3) as s:
        yield s


@pytest.fixture
async def twins(server):
    """(demo 42, acme 42, a demo moderator): connected clients; every event each gets is recorded."""
    store = server.app[STORE]
    await store.add_tenant(Tenant("acme", "Acme TV", "a" * 40, True, int(time.time() * 1000)))
    now = int(time.time())
    demo = await store.get_tenant("demo")
    acme = await store.get_tenant("acme")
    clients = [
        SocialSyncClient(server.url, token=issue_token(demo, SUB, "Dana", ["viewer"], 600, now)),
        SocialSyncClient(server.url, token=issue_token(acme, SUB, "Abe", ["viewer"], 600, now)),
        SocialSyncClient(server.url, token=issue_token(demo, "mod-1", "Moe", ["moderator"], 600, now)),
    ]
    for client in clients:
        await client.connect()
        client.seen: list[tuple[str, Any]] = []  # type: ignore[misc]
        original = client._on_event

        async def record(event: str, *args: Any, _c=client, _o=original) -> None:
            _c.seen.append((event, args[0] if args else None))
            await _o(event, *args)

        client.sio.on("*", record)
    yield clients
    for client in clients:
        await client.close()


async def barrier(client: SocialSyncClient) -> None:
    """A round trip on the client's socket: whatever the server sent it before is in."""
    await client.request("time.sync", {"t0": time.time() * 1000})


async def test_a_users_private_events_never_reach_another_tenants_user_with_the_same_id(twins):
    dana, abe, mod = twins
    created = await dana.create_party("Ours", VIDEO)
    party_id = created["id"]
    await dana.join(party_id)
    # Shadow-muted: Dana's messages go to Dana's room only.
    await mod.request("mod.shadow_mute", {"party": party_id, "user": SUB, "on": True})
    await dana.send_chat(party_id, "secret words")
    await dana.wait_until(lambda: any(m["text"] == "secret words" for m in dana.messages[party_id]))
    # Kicked (a ban): to Dana's room, naming the party.
    kicked = asyncio.create_task(dana.wait_for("party.kicked"))
    await mod.request("mod.ban", {"party": party_id, "user": SUB, "reason": "test"})
    await kicked
    await barrier(abe)
    leaked = [(e, d) for e, d in abe.seen if party_id in repr(d) or "secret words" in repr(d)]
    assert leaked == []
    assert not any(e in ("chat.message", "party.kicked") for e, _ in abe.seen)


async def test_rate_limits_are_per_tenant(twins):
    dana, abe, _ = twins
    ours = await dana.create_party("Ours", VIDEO)
    theirs = await abe.create_party("Theirs", VIDEO)
    await dana.join(ours["id"])
    await abe.join(theirs["id"])
    # Abe spends every chat token (newcomer and regular) and every reaction token.
    for kind in ("chat", "reaction"):
        with pytest.raises(SocialSyncError) as err:
            for i in range(50):
                if kind == "chat":
                    await abe.send_chat(theirs["id"], f"flood {i}")
                else:
                    await abe.react(theirs["id"], "👍")
        assert err.value.code == "rate_limited"
    # Dana, "42" of another tenant, is untouched.
    await dana.send_chat(ours["id"], "hello")
    await dana.react(ours["id"], "👍")


async def test_sanctions_are_per_tenant(twins):
    dana, abe, mod = twins
    ours = await dana.create_party("Ours", VIDEO)
    await dana.join(ours["id"])
    await mod.request("mod.ban", {"party": ours["id"], "user": SUB, "scope": "tenant"})
    await mod.request("mod.timeout", {"party": ours["id"], "user": SUB, "seconds": 600})
    theirs = await abe.create_party("Theirs", VIDEO)
    await abe.join(theirs["id"])
    await abe.send_chat(theirs["id"], "not banned here")
    await abe.react(theirs["id"], "👍")
