"""The baseline: a bare python-socketio + aiohttp relay speaking just enough of the protocol.

    .venv/bin/python -m loadtests.relay_server --port 8099

What the load generator needs and nothing more: guests connect (a ``session``
event with a user id), ``party.create`` hands out an id, ``party.join`` enters
a Socket.IO room, ``chat.send`` stamps the server time and the room's next id
and broadcasts ``chat.message``, ``reaction.send`` is counted into 250 ms
``reaction.burst`` windows, ``playback.control`` bumps a seq and broadcasts
``playback.state``. No authentication, validation, moderation, persistence or
history (a rejoin with ``since`` gets nothing back), and rooms are never
cleaned up. Same python-socketio server and aiohttp defaults as SocialSync, so
the difference between the two is what SocialSync does per event.

``LOADTEST_RELAY_LOSE_EVERY=N`` makes every Nth chat message skip one recipient,
``LOADTEST_RELAY_DUP_EVERY=N`` sends every Nth twice: self-tests of the generator's
loss and duplicate checks (``--server-env LOADTEST_RELAY_LOSE_EVERY=50``).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import secrets
import time
from collections import Counter
from typing import Any

import socketio
from aiohttp import web

WINDOW_MS = 250


def now_ms() -> int:
    return int(time.time() * 1000)


class Relay:
    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio
        self.next_id: dict[str, itertools.count[int]] = {}
        self.seq: dict[str, int] = {}
        self.windows: dict[str, Counter[str]] = {}
        self.users: dict[str, str] = {}
        self.lose_every = int(os.environ.get("LOADTEST_RELAY_LOSE_EVERY", "0") or 0)
        self.dup_every = int(os.environ.get("LOADTEST_RELAY_DUP_EVERY", "0") or 0)
        self.sent = 0
        self.tasks: set[asyncio.Task[None]] = set()
        handlers = {
            "time.sync": self.time_sync,
            "party.create": self.create,
            "party.join": self.join,
            "party.leave": self.leave,
            "chat.send": self.chat,
            "reaction.send": self.reaction,
            "playback.control": self.control,
            "playback.status": self.status,
        }
        sio.on("connect", self.connect)
        sio.on("disconnect", self.disconnect)
        for name, handler in handlers.items():
            sio.on(name, handler)

    async def connect(self, sid: str, environ: Any, auth: Any = None) -> None:
        user = f"guest-{secrets.token_hex(8)}"
        self.users[sid] = user
        name = auth.get("guest", "Guest") if isinstance(auth, dict) else "Guest"
        await self.sio.emit("session", {"user": {"id": user, "name": name}, "server_time": now_ms()}, to=sid)

    async def disconnect(self, sid: str, *_: Any) -> None:
        self.users.pop(sid, None)

    async def time_sync(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        t1 = now_ms()
        return {"ok": True, "t0": data.get("t0"), "t1": t1, "t2": now_ms()}

    async def create(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        party = secrets.token_urlsafe(12)
        self.next_id[party] = itertools.count(1)
        self.seq[party] = 0
        return {"ok": True, "party": {"id": party, "title": data.get("title", "")}}

    async def join(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        party = data.get("party")
        if party not in self.next_id:
            return {"ok": False, "error": {"code": "not_found", "message": "no such party"}}
        await self.sio.enter_room(sid, party)
        return {
            "ok": True,
            "party": {"id": party},
            "messages": [],
            "has_more": False,
            "server_time": now_ms(),
        }

    async def leave(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        await self.sio.leave_room(sid, data.get("party"))
        return {"ok": True}

    async def chat(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        party = data.get("party")
        counter = self.next_id.get(party)
        if counter is None:
            return {"ok": False, "error": {"code": "not_found", "message": "no such party"}}
        user = self.users.get(sid, "?")
        message = {
            "party": party,
            "id": next(counter),
            "user": {"id": user, "name": user},
            "text": data.get("text", ""),
            "ts": now_ms(),
            "nonce": data.get("nonce", ""),
        }
        self.sent += 1
        skip = None
        if self.lose_every and self.sent % self.lose_every == 0:
            skip = next(iter(self.sio.manager.get_participants("/", party)), (None,))[0]
        await self.sio.emit("chat.message", message, room=party, skip_sid=skip)
        if self.dup_every and self.sent % self.dup_every == 0:
            await self.sio.emit("chat.message", message, room=party)
        return {"ok": True, "message": message}

    async def reaction(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        party = data.get("party")
        window = self.windows.get(party)
        if window is None:
            window = self.windows[party] = Counter()
            task = asyncio.get_running_loop().create_task(self._flush(party))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        window[data.get("emoji", "?")] += 1
        return {"ok": True}

    async def _flush(self, party: str) -> None:
        await asyncio.sleep(WINDOW_MS / 1000)
        counts = self.windows.pop(party, Counter())
        await self.sio.emit(
            "reaction.burst", {"party": party, "counts": dict(counts), "window_ms": WINDOW_MS}, room=party
        )

    async def control(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        party = data.get("party")
        if party not in self.seq:
            return {"ok": False, "error": {"code": "not_found", "message": "no such party"}}
        self.seq[party] += 1
        state = {
            "party": party,
            "seq": self.seq[party],
            "status": data.get("action"),
            "position": data.get("position", 0.0),
            "rate": data.get("rate", 1.0),
            "at": now_ms(),
            "by": self.users.get(sid),
        }
        await self.sio.emit("playback.state", state, room=party)
        return {"ok": True, "playback": state}

    async def status(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "seq": self.seq.get(data.get("party"), 0)}


RELAY = web.AppKey("relay", Relay)


async def readyz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def build_app() -> web.Application:
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
    app = web.Application()
    sio.attach(app)
    app[RELAY] = Relay(sio)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/healthz", readyz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args()
    web.run_app(build_app(), host=args.host, port=args.port, print=None, access_log=None, shutdown_timeout=2)


if __name__ == "__main__":
    main()
