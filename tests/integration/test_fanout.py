"""The Socket.IO edge's fan-out: WebSockets without deflate, and a socket that falls
too far behind is closed (its client resumes) rather than grown without bound."""

from __future__ import annotations

import aiohttp

from socialsync.app import SERVICE
from socialsync.domain.model import Member, Role
from socialsync.domain.notices import MemberUpdated
from socialsync.edge.sio import tuning as sio_tuning
from socialsync.ports import Envelope


async def test_websockets_are_served_without_permessage_deflate(server):
    url = server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url, compress=15) as ws:
            assert ws.compress == 0
            assert (await ws.receive_str()).startswith("0{")  # the Engine.IO open packet


async def test_a_socket_too_far_behind_is_closed_and_its_client_resumes(party, server, monkeypatch):
    party_id, (host, slow) = await party(2)
    for i in range(3):
        await host.send_chat(party_id, f"before {'abc'[i]}")
    await slow.wait_until(lambda: len(slow.messages[party_id]) == 3)
    reconnected, host_reconnected = [], []
    slow.on("reconnected", reconnected.append)
    host.on("reconnected", host_reconnected.append)
    # Bound 0: a second packet queued before the socket's writer ran is one too many.
    # (-1: no transport counts as idle, so packets are queued, not written directly.)
    monkeypatch.setattr(sio_tuning, "MAX_QUEUED", 0)
    monkeypatch.setattr(sio_tuning, "DIRECT_MAX_BUFFERED", -1)
    service = server.app[SERVICE]
    for i in range(2):
        member = Member(f"u{i}", f"n{i}", Role.MEMBER, i)
        to_user = f"{slow.user['tenant']}:{slow.user['id']}"  # tenant and user: domain/identity.py
        envelope = Envelope(party_id, MemberUpdated(party_id, member), to_user=to_user)
        await service.local.deliver(envelope)
    monkeypatch.undo()  # the stock bound and direct writes again
    await slow.wait_until(lambda: bool(reconnected), 10)
    sent = await host.send_chat(party_id, "after the reconnect")
    await slow.wait_until(lambda: slow.last_message_id.get(party_id) == sent["id"])
    assert [m["text"] for m in slow.messages[party_id]] == [
        "before a",
        "before b",
        "before c",
        "after the reconnect",
    ]
    assert not host_reconnected, "the others keep their sockets"


async def test_broadcasts_go_straight_to_idle_websockets_and_keep_their_order(party, server):
    party_id, members = await party(4)
    manager = server.app[SERVICE].local.sio.manager
    before_direct, before_queued = manager.written_direct, manager.queued
    # Sent back to back: some reach a socket whose writer is still busy with the last
    # one (queued), most an idle one (direct); each member must see them in order.
    sent = [await members[i % 4].send_chat(party_id, f"line {i}") for i in range(40)]
    for member in members:
        await member.wait_until(lambda m=member: m.last_message_id.get(party_id) == sent[-1]["id"])
        assert [m["text"] for m in member.messages[party_id]] == [f"line {i}" for i in range(40)]
    assert manager.written_direct - before_direct >= 40, "most deliveries skip the writer task"
    assert manager.written_direct - before_direct + manager.queued - before_queued >= 4 * 40
