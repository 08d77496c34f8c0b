"""Webhook delivery latency under a steady event rate, to a local receiver.

    .venv/bin/python -m loadtests.webhooks [--rate 100] [--duration 30] [--source sockets|rest] [--nodes 1|2]

Starts the server (``loadtests/servers.py``: one node on SQLite, or two nodes on Redis
and a scratch PostgreSQL database), a receiver on 127.0.0.1 that answers 204 at once,
and an endpoint for it (every event). Then, open loop, it makes the server write
``--rate`` events a second through the real path (the outbox's queue and writer,
fan-out, claim, signed POST):

* ``sockets`` (default): ``--clients`` guests connected over Socket.IO (the load tests'
  lean client) join and leave their party (``--party-size`` guests each) in turn: each
  join is a ``member.joined``, each leave a ``member.left``;
* ``rest``: parties created and ended over REST (``party.created``, then ``party.ended``
  and ``party.summary``), which also writes each party's row twice.

Latency is measured outside the code under test: the receiver's clock when the POST
arrives minus the event's ``timestamp`` (stamped when the change happened, before it
was written to the outbox; same machine, same clock). Every delivery is verified, and
every expected event must arrive exactly once (by ``webhook-id``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import aiohttp
import sqlalchemy as sa
from aiohttp import web

from loadtests.metrics import percentiles
from loadtests.servers import ServerSet, free_port, machine_cpu_s, proc_cpu_s
from loadtests.sioclient import LeanClient, make_session
from socialsync.adapters.sql.secrets import secret_box
from socialsync.adapters.sql.store import SqlStore
from socialsync.domain.webhooks import verify
from socialsync.edge.auth import issue_token

VIDEO = {"url": "https://media.example/film.mp4", "kind": "vod", "duration": 600.0}
EVENTS_PER_CYCLE = 3  # rest: created, ended, summary


class Receiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.secret = ""
        self.latency_ms: list[float] = []
        self.ids: dict[str, int] = {}
        self.types: dict[str, int] = {}
        self.bad = 0
        self.arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hooks", self.take)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def take(self, request: web.Request) -> web.Response:
        arrived_ms = time.time() * 1000
        body = await request.read()
        try:
            event = verify(self.secret, request.headers, body, arrived_ms / 1000)
        except Exception:
            self.bad += 1
            return web.Response(status=400)
        msg_id = request.headers["webhook-id"]
        self.ids[msg_id] = self.ids.get(msg_id, 0) + 1
        self.types[event["type"]] = self.types.get(event["type"], 0) + 1
        stamped = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00")).timestamp() * 1000
        self.latency_ms.append(arrived_ms - stamped)
        self.arrived.set()
        return web.Response(status=204)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def database_url(servers: ServerSet, postgres_url: str) -> str:
    if servers.nodes == 1:
        assert servers._tmp is not None
        return f"sqlite:///{servers._tmp.name}/load.db"
    return sa.make_url(postgres_url).set(database=servers._pg_db).render_as_string(hide_password=False)


async def admin_token(url: str) -> str:
    store = await SqlStore.open(url, box=secret_box(None, url))
    try:
        tenant = await store.get_tenant("demo")
    finally:
        await store.close()
    assert tenant is not None
    return issue_token(tenant, "loadtest-admin", "Load", ["admin"], 3_600, int(time.time()))


Call = Callable[..., Awaitable[Any]]


def loadavg() -> list[str]:
    """The machine's 1, 5 and 15 min load averages (other work skews the latencies)."""
    with open("/proc/loadavg") as f:
        return f.read().split()[:3]


async def open_loop(rate: float, duration_s: float, act: Callable[[int], Awaitable[None]]) -> None:
    """``act(n)`` ``rate`` times a second for ``duration_s``, whether the last ones are done or not."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    tasks: list[asyncio.Task[None]] = []
    n = 0
    while loop.time() - started < duration_s:
        tasks.append(asyncio.create_task(act(n)))
        n += 1
        await asyncio.sleep(max(0.0, started + n / rate - loop.time()))
    await asyncio.gather(*tasks)


async def rest_load(args: argparse.Namespace, call: Call) -> tuple[int, int]:
    """Parties created and ended: (events expected, failures)."""
    done = errors = 0

    async def cycle(i: int) -> None:
        nonlocal done, errors
        try:
            party = (await call(i, "POST", "/api/v1/parties", {"title": f"Load {i}", "media": VIDEO}))[
                "party"
            ]
            await call(i + 1, "POST", f"/api/v1/parties/{party['id']}/end")
            done += 1
        except Exception as exc:
            errors += 1
            if errors <= 3:
                print("cycle failed:", exc, file=sys.stderr)

    await open_loop(args.rate / EVENTS_PER_CYCLE, args.duration, cycle)
    return done * EVENTS_PER_CYCLE, errors


async def socket_load(args: argparse.Namespace, urls: list[str], call: Call) -> tuple[int, int]:
    """Guests joining and leaving one party in turn: (events expected, failures)."""
    parties = [
        (await call(0, "POST", "/api/v1/parties", {"title": f"Load {i}", "media": VIDEO}))["party"]["id"]
        for i in range(-(-args.clients // args.party_size))
    ]
    http = make_session()
    clients = [LeanClient(lambda name, payload: None) for _ in range(args.clients)]
    await asyncio.gather(
        *(c.connect(http, urls[i % len(urls)], {"guest": f"Viewer {i}"}, 10.0) for i, c in enumerate(clients))
    )
    idle: asyncio.Queue[tuple[LeanClient, str, bool]] = asyncio.Queue()
    for i, client in enumerate(clients):
        idle.put_nowait((client, parties[i // args.party_size], False))
    done, errors = len(parties), 0  # party.created

    async def step(_: int) -> None:
        nonlocal done, errors
        client, party, joined = await idle.get()  # none idle: this step waits (the rate drops: reported)
        try:
            answer = await client.call("party.leave" if joined else "party.join", {"party": party})
            if not isinstance(answer, dict) or not answer.get("ok"):
                raise RuntimeError(f"refused: {answer}")
            joined = not joined
            done += 1
        except Exception as exc:
            errors += 1
            if errors <= 3:
                print("step failed:", exc, file=sys.stderr)
        idle.put_nowait((client, party, joined))

    try:
        await open_loop(args.rate, args.duration, step)
    finally:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        await http.close()
    return done, errors


async def run(args: argparse.Namespace) -> dict[str, Any]:
    receiver = Receiver()
    await receiver.start()
    servers = ServerSet(nodes=args.nodes, postgres_url=args.postgres_url, redis_url=args.redis_url)
    async with servers, aiohttp.ClientSession() as http:
        token = await admin_token(await database_url(servers, args.postgres_url))
        headers = {"Authorization": f"Bearer {token}"}
        urls = servers.urls

        async def call(i: int, method: str, path: str, body: Any = None) -> Any:
            async with http.request(method, urls[i % len(urls)] + path, json=body, headers=headers) as answer:
                if answer.status >= 300:
                    raise RuntimeError(f"{method} {path}: {answer.status} {await answer.text()}")
                return await answer.json()

        made = await call(
            0, "POST", "/api/v1/webhooks/endpoints", {"url": f"http://127.0.0.1:{receiver.port}/hooks"}
        )
        receiver.secret = made["secret"]
        load_before = loadavg()
        loop = asyncio.get_running_loop()
        pids = [n.pid for n in servers.started]
        cpu_before = [proc_cpu_s(p) or 0.0 for p in pids]
        busy0, total0 = machine_cpu_s()
        started = loop.time()
        if args.source == "rest":
            expected, errors = await rest_load(args, call)
        else:
            expected, errors = await socket_load(args, urls, call)
        traffic_s = loop.time() - started
        deadline = loop.time() + args.drain
        while len(receiver.ids) < expected and loop.time() < deadline:
            receiver.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(receiver.arrived.wait(), deadline - loop.time())
        busy1, total1 = machine_cpu_s()
        cpu = [round((proc_cpu_s(p) or 0.0) - b, 2) for p, b in zip(pids, cpu_before, strict=True)]
    await receiver.stop()
    return {
        "nodes": args.nodes,
        "rate_target": args.rate,
        "events_sent": expected,
        "events_per_s": round(expected / traffic_s, 1),
        "received_unique": len(receiver.ids),
        "duplicates": sum(c - 1 for c in receiver.ids.values()),
        "not_verified": receiver.bad,
        "source": args.source,
        "errors": errors,
        "by_type": receiver.types,
        "latency_ms": percentiles(receiver.latency_ms),
        "server_cpu_s": cpu,
        "machine_busy_pct": round(100 * (busy1 - busy0) / max(total1 - total0, 1e-9), 1),
        "duration_s": round(traffic_s, 1),
        "loadavg_before": load_before,
        "loadavg_after": loadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=100.0, help="events a second")
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--drain", type=float, default=15.0, help="how long to wait for the last deliveries")
    parser.add_argument("--nodes", type=int, choices=(1, 2), default=1)
    parser.add_argument("--source", choices=("sockets", "rest"), default="sockets")
    parser.add_argument("--clients", type=int, default=40, help="guests joining and leaving (sockets)")
    parser.add_argument("--party-size", type=int, default=4, help="guests per party (sockets)")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379")
    parser.add_argument("--out", help="write the result as JSON here")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)
    lost = result["events_sent"] - result["received_unique"]
    if lost or result["duplicates"] or result["not_verified"]:
        raise SystemExit(
            f"FAILED: {lost} lost, {result['duplicates']} duplicates, {result['not_verified']} unverified"
        )


if __name__ == "__main__":
    main()
