"""On releases the socket fast paths were not checked against, the server runs
python-socketio's stock path, and members still get every broadcast."""

from __future__ import annotations

import asyncio

import pytest
import socketio
from support import running_server

from socialsync.app import SIO
from socialsync.edge.sio import tuning
from socialsync.sdk.client import SocialSyncClient


async def test_an_unchecked_release_falls_back_to_the_stock_path(
    tmp_path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(tuning, "CHECKED_VERSIONS", {**tuning.CHECKED_VERSIONS, "aiohttp": "2.0"})
    async with running_server(tmp_path) as server:
        manager = server.app[SIO].manager
        assert type(manager) is socketio.AsyncManager
        assert any("stock path" in r.getMessage() for r in caplog.records)
        ada, bob = SocialSyncClient(server.url, guest="Ada"), SocialSyncClient(server.url, guest="Bob")
        try:
            await ada.connect()
            await bob.connect()
            party = await ada.create_party("Fallback", {"url": "https://cdn.example/v.mp4", "duration": 60})
            await ada.join(party["id"])
            await bob.join(party["id"])
            got: asyncio.Future[dict[str, object]] = asyncio.get_running_loop().create_future()
            bob.on("chat.message", lambda m: got.done() or got.set_result(m))
            await ada.send_chat(party["id"], "still here")
            message = await asyncio.wait_for(got, 10)
            assert message["text"] == "still here"
        finally:
            await ada.close()
            await bob.close()
