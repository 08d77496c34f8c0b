"""Ack latency of playback.control and chat.send with N members of one party.

Starts its own server (`socialsync serve`, SQLite in a temp dir, embedded default),
joins N guests, then issues commands from members in turn and times each
request/answer round trip on the client. Prints a table and writes JSON.

    .venv/bin/python -m loadtests.ack_latency --members 5 --rounds 500
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

from socialsync.sdk.client import SocialSyncClient


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

    return {
        "n": len(ordered),
        "p50": pick(0.50),
        "p95": pick(0.95),
        "p99": pick(0.99),
        "max": round(ordered[-1], 3),
        "mean": round(statistics.fmean(ordered), 3),
    }


async def wait_ready(url: str, timeout_s: float = 20) -> None:
    import aiohttp

    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(f"{url}/readyz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server did not become ready")
            await asyncio.sleep(0.1)


async def measure(url: str, members: int, rounds: int) -> dict[str, dict[str, float]]:
    clients = [SocialSyncClient(url, guest=f"Bench {i}") for i in range(members)]
    try:
        return await _measure(clients, members, rounds)
    finally:
        for c in clients:
            await c.close()


async def _measure(clients: list[SocialSyncClient], members: int, rounds: int) -> dict[str, dict[str, float]]:
    for c in clients:
        await c.connect()
    party = await clients[0].create_party("Bench", {"url": "https://media.example/x.mp4", "duration": 7200.0})
    for c in clients:
        await c.join(party["id"])
    results: dict[str, list[float]] = {"playback.control": [], "chat.send": []}
    actions = [
        ("seek", {"position": 10.0}),
        ("play", {}),
        ("pause", {}),
        ("rate", {"rate": 1.25}),
        ("rate", {"rate": 1.0}),
    ]
    for i in range(rounds):
        client = clients[i % members]
        action, fields = actions[i % len(actions)]
        if action == "seek":
            fields = {"position": float(i % 3000)}
        t = time.perf_counter()
        await client.control(party["id"], action, **fields)
        results["playback.control"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        # Letters, not numbers: the duplicate filter rightly treats "message 10" and
        # "message 1000" as one text (digits read as leet, repeats collapsed).
        tag = "".join(chr(97 + (i // 26**k) % 26) for k in range(3))
        await client.send_chat(party["id"], f"benchmark line {tag}")
        results["chat.send"].append((time.perf_counter() - t) * 1000)
    # Every member must have received every message: the benchmark checks delivery too.
    for c in clients:
        await c.wait_until(lambda c=c: c.last_message_id.get(party["id"], 0) >= rounds, 10)
    return {name: percentiles(samples) for name, samples in results.items()}


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--out", type=Path, default=Path("loadtests/results/ack_latency.json"))
    args = parser.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {
            "SOCIALSYNC_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            "SOCIALSYNC_LOG_LEVEL": "warning",
            # The benchmark sends faster than people type.
            "SOCIALSYNC_CHAT_BURST": "1000000",
            "SOCIALSYNC_CHAT_PER_S": "1000000",
            "SOCIALSYNC_NEWCOMER_CHAT_BURST": "1000000",
            "SOCIALSYNC_NEWCOMER_CHAT_PER_S": "1000000",
            "SOCIALSYNC_EVENT_BURST": "1000000",
            "SOCIALSYNC_EVENT_PER_S": "1000000",
        }
        server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "socialsync", "serve", "--port", str(port), env=env
        )
        try:
            await wait_ready(url)
            started = time.perf_counter()
            stats = await measure(url, args.members, args.rounds)
            elapsed = time.perf_counter() - started
        finally:
            server.terminate()
            await asyncio.wait_for(server.wait(), 10)
    report = {"members": args.members, "rounds": args.rounds, "seconds": round(elapsed, 2), "ack_ms": stats}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"{'event':<18}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, s in stats.items():
        print(f"{name:<18}{s['n']:>6}{s['p50']:>9}{s['p95']:>9}{s['p99']:>9}{s['max']:>9}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    asyncio.run(main())
