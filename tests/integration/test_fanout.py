"""The Socket.IO edge's fan-out: WebSockets without deflate, and a socket that falls
too far behind is closed (its client resumes) rather than grown without bound."""

from __future__ import annotations

import aiohttp

from socialsync.adapters import sio_tuning
from socialsync.app import SERVICE
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
    monkeypatch.setattr(sio_tuning, "MAX_QUEUED", 0)
    service = server.app[SERVICE]
    for i in range(2):
        envelope = Envelope(party_id, "member.updated", {"party": party_id, "n": i}, to_user=slow.user["id"])
        await service.local.deliver(envelope)
    monkeypatch.setattr(sio_tuning, "MAX_QUEUED", 2_000)
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
