"""Flood test (issue 13): others' latency while one client floods, against idle.

One embedded server with the shipped limits; honest clients (a process of their own)
each time `time.sync` round trips; then one client (another process) floods events as
fast as it can send (never waiting for answers), and a second one opens connections and
guests as fast as it can.
Prints the honest clients' median and p95 round trip idle and under the flood,
and what the limits refused. Usage: .venv/bin/python -m loadtests.flood [--honest 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import sys
import tempfile
import time

from aiohttp import web

from socialsync.app import SERVICE, create_app
from socialsync.config import Config
from socialsync.sdk.client import SocialSyncClient, SocialSyncError


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _round_trips(client: SocialSyncClient, seconds: float) -> list[float]:
    out: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        started = time.perf_counter()
        await client.request("time.sync", {"t0": time.time() * 1000})
        out.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.02)
    return out


async def _flood_events(url: str, stop: asyncio.Event) -> int:
    sent = 0
    while not stop.is_set():
        flooder = SocialSyncClient(url, guest="Flooder", reconnection=False)
        try:
            await flooder.connect(sync_clock=False)
            while flooder.sio.connected and not stop.is_set():
                await flooder.sio.emit("time.sync", {"t0": 1.0})
                sent += 1
                if sent % 50 == 0:
                    await asyncio.sleep(0)
        except SocialSyncError:
            await asyncio.sleep(0.1)  # refused (rate_limited): the limits hold
        finally:
            await flooder.close()
    return sent


async def main(honest_n: int, seconds: float) -> None:
    port = _port()
    with tempfile.TemporaryDirectory() as tmp:
        config = Config.load({"database_url": f"sqlite:///{tmp}/flood.db", "port": port}, env={})
        app = await create_app(config)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        url = f"http://127.0.0.1:{port}"
        try:
            # The honest clients and the flooder are processes of their own (clients on
            # other machines): the server's event loop never delays the clients' clocks.
            honest = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "loadtests.flood",
                "--measure",
                url,
                "--honest",
                str(honest_n),
                "--seconds",
                str(seconds),
                stdout=asyncio.subprocess.PIPE,
            )
            assert honest.stdout is not None
            assert (await honest.stdout.readline()).strip() == b"idle-done"
            flood = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "loadtests.flood", "--flood", url, "--seconds", str(seconds + 1)
            )
            await asyncio.sleep(0.5)
            assert honest.stdin is None
            os.kill(honest.pid, signal.SIGUSR1)  # the flood is on: measure again
            idle, busy = json.loads(await honest.stdout.readline())
            await honest.wait()
            await flood.wait()
            metrics = app[SERVICE].gateway.observer.render().decode()  # type: ignore[attr-defined]
            limited = [line for line in metrics.splitlines() if line.startswith("socialsync_limited_total")]

            def q(xs: list[float], p: int) -> float:
                return statistics.quantiles(xs, n=100)[p - 1]

            print(f"honest clients: {honest_n}, {seconds:.0f} s each phase")
            print(f"idle:    median {statistics.median(idle):.2f} ms, p95 {q(idle, 95):.2f} ms ({len(idle)})")
            print(f"flooded: median {statistics.median(busy):.2f} ms, p95 {q(busy, 95):.2f} ms ({len(busy)})")
            print(f"limits: {limited}")
            print(f"ratio of medians: {statistics.median(busy) / statistics.median(idle):.2f}")
            print(f"ratio of p95s: {q(busy, 95) / q(idle, 95):.2f}")
        finally:
            with contextlib.suppress(Exception):
                await runner.cleanup()


async def _measure(url: str, honest_n: int, seconds: float) -> None:
    """The honest clients: round trips idle, then (on SIGUSR1) under the flood; both
    lists as one JSON line on stdout."""
    go = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, go.set)
    honest = [SocialSyncClient(url, guest=f"H{i}") for i in range(honest_n)]
    for c in honest:
        await c.connect(sync_clock=False)
    idle = [x for r in await asyncio.gather(*(_round_trips(c, seconds) for c in honest)) for x in r]
    print("idle-done", flush=True)
    await go.wait()
    busy = [x for r in await asyncio.gather(*(_round_trips(c, seconds) for c in honest)) for x in r]
    for c in honest:
        await c.close()
    print(json.dumps([idle, busy]), flush=True)


async def _flood_for(url: str, seconds: float) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(seconds, stop.set)
    sent = await _flood_events(url, stop)
    print(f"flooder sent {sent} events")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--honest", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--flood", help="internal: be the flooder of this server URL")
    parser.add_argument("--measure", help="internal: be the honest clients of this server URL")
    args = parser.parse_args()
    if args.flood:
        asyncio.run(_flood_for(args.flood, args.seconds))
    elif args.measure:
        asyncio.run(_measure(args.measure, args.honest, args.seconds))
    else:
        asyncio.run(main(args.honest, args.seconds))
