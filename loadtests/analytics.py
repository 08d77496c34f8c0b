"""The analytics path's cost: CPU per event on the request path and off it, and the bytes
stored per viewer-hour (docs/analytics.md quotes its numbers).

    .venv/bin/python -m loadtests.analytics [--parties 4] [--members 5] [--hours 1]
                                            [--postgres-url postgresql://...]

Simulates ``--parties`` watch parties of ``--members`` members for ``--hours`` of server
time through the real parts, in this process: the party state machine decides every
command (a status report from every member every 2 s, a seek every 10 min, a chat
message a minute and two reactions a minute per member), each transition is handed to
``AnalyticsCapture`` exactly as ``PartyService._run`` does (the request path's share),
the pipeline's worker turns the queue into events (tracker, pseudonyms, batches of
500), and the committer writes them to a fresh SQLite file (and PostgreSQL with
``--postgres-url``) through ``SqlAnalyticsStore``. CPU is ``time.process_time``; bytes
are the SQLite file's growth (WAL checkpointed) and each table's share (dbstat, when
the SQLite library has it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from socialsync.adapters.memory.analytics import MemoryAnalyticsBuffer
from socialsync.adapters.sql.analytics import SqlAnalyticsStore
from socialsync.adapters.sql.store import SqlStore, upgrade_database
from socialsync.domain.analytics.pseudonyms import Pseudonyms
from socialsync.domain.model import Media, Party, Settings, User
from socialsync.domain.party import commands as c
from socialsync.domain.party.machine import PartyMachine, Transition, create_party
from socialsync.domain.party.playback import position_at
from socialsync.services.analytics import AnalyticsCapture, AnalyticsPipeline, AnalyticsSettings

T0 = 1_800_000_000_000
FILM = Media("https://media.example/film.mp4", duration_s=7_200.0)
REPORT_EVERY_MS = 2_000
SEEK_EVERY_MS = 600_000
CHAT_EVERY_MS = 60_000
REACT_EVERY_MS = 30_000


class Observed:
    def __init__(self) -> None:
        self.dropped: Counter[str] = Counter()
        self.committed = 0

    def analytics_dropped(self, stage: str) -> None:
        self.dropped[stage] += 1

    def analytics_committed(self, events: int) -> None:
        self.committed += events


class Clock:
    def __init__(self) -> None:
        self.ms = T0

    def now_ms(self) -> int:
        return self.ms


def simulate(capture: AnalyticsCapture, parties: int, members: int, hours: float) -> dict[str, float]:
    """Drive the parties; time the machine (what the request path did already) and the
    capture (what analytics adds to it), each in CPU seconds."""
    machine = PartyMachine()
    state: list[Party] = []
    cpu = {"machine_s": 0.0, "capture_s": 0.0, "commands": 0, "observed": 0}

    def run(i: int, command: c.Command, now: int, ref: str | None = None) -> Transition:
        before = state[i]
        t = time.process_time()
        transition = machine.handle(before, command, now)
        cpu["machine_s"] += time.process_time() - t
        state[i] = transition.party
        t = time.process_time()
        capture.party_changed(before, command, transition, now, ref)
        cpu["capture_s"] += time.process_time() - t
        cpu["commands"] += 1
        return transition

    users = [[User(f"u{p}-{m}", f"U{m}", "bench") for m in range(members)] for p in range(parties)]
    for p in range(parties):
        host = users[p][0]
        state.append(
            create_party(f"party-{p}", host, "Bench", FILM, Settings(), T0, creator_joins=False).party
        )
        for m, user in enumerate(users[p]):
            run(p, c.Join(user, f"s{p}-{m}"), T0, ref="invite-1" if m else None)
        run(p, c.Control(host.id, c.Action.PLAY), T0)
    end = T0 + int(hours * 3_600_000)
    for now in range(T0 + REPORT_EVERY_MS, end, REPORT_EVERY_MS):
        for p in range(parties):
            if (now - T0) % SEEK_EVERY_MS == 0:
                where = max(0.0, position_at(state[p].playback, now) - 30)  # back 30 s: a rewatch
                run(p, c.Control(users[p][0].id, c.Action.SEEK, position_s=where), now)
            for m, user in enumerate(users[p]):
                position = position_at(state[p].playback, now)
                run(p, c.ReportStatus(user.id, position, True, False, now), now)
                party = state[p]
                t = time.process_time()
                if (now - T0 + m * 2_000) % CHAT_EVERY_MS == 0:
                    capture.posted(party, user, position, now)
                if (now - T0 + m * 2_000) % REACT_EVERY_MS == 0:
                    capture.posted(party, user, None, now, "👍")
                cpu["capture_s"] += time.process_time() - t
    for p in range(parties):
        for m, user in enumerate(users[p]):
            run(p, c.Leave(user.id, f"s{p}-{m}"), end)
    cpu["observed"] = len(capture.queue)
    return cpu


async def pipeline_cost(url: str, capture: AnalyticsCapture, clock: Clock) -> dict[str, Any]:
    await upgrade_database(url)
    sql = await SqlStore.open(url)
    observed = Observed()
    buffer = MemoryAnalyticsBuffer(max_batches=1_000_000)
    store = SqlAnalyticsStore(sql)
    pipeline = AnalyticsPipeline(
        capture, buffer, store, clock, Pseudonyms([b"k" * 32]), observed, AnalyticsSettings(), "bench"
    )
    try:
        observations = len(capture.queue)
        t, wall = time.process_time(), time.perf_counter()
        async with pipeline._lock:
            await pipeline._drain()
            await pipeline._push(force=True)
        drain_cpu, drain_wall = time.process_time() - t, time.perf_counter() - wall
        events = sum(len(b.events) for b in buffer._queue)
        t, wall = time.process_time(), time.perf_counter()
        while await pipeline._commit_once():
            pass
        commit_cpu, commit_wall = time.process_time() - t, time.perf_counter() - wall
        return {
            "observations": observations,
            "events": events,
            "worker_cpu_us_per_observation": round(drain_cpu / observations * 1e6, 2),
            "worker_cpu_us_per_event": round(drain_cpu / events * 1e6, 2),
            "worker_wall_s": round(drain_wall, 3),
            "commit_cpu_us_per_event": round(commit_cpu / events * 1e6, 2),
            "commit_wall_us_per_event": round(commit_wall / events * 1e6, 2),
            "committed": observed.committed,
        }
    finally:
        await sql.close()


def sqlite_bytes(path: Path) -> tuple[int, dict[str, int]]:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = path.stat().st_size
        tables: dict[str, int] = {}
        try:
            for name, used in conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
                if name.startswith(("analytics_", "ix_analytics_", "sqlite_autoindex_analytics_")):
                    tables[name] = int(used)
        except sqlite3.OperationalError:
            pass  # no dbstat in this SQLite library
        return size, tables
    finally:
        conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parties", type=int, default=4)
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--out", type=Path, default=Path("loadtests/results/analytics.json"))
    args = parser.parse_args()
    viewer_hours = args.parties * args.members * args.hours
    report: dict[str, Any] = {"parties": args.parties, "members": args.members, "hours": args.hours}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        await upgrade_database(f"sqlite:///{path}")
        empty, _ = sqlite_bytes(path)
        clock = Clock()
        capture = AnalyticsCapture(Observed(), 10**8)
        hot = simulate(capture, args.parties, args.members, args.hours)
        clock.ms = T0 + int(args.hours * 3_600_000)
        queued = list(capture.queue)
        report["request_path"] = {
            "commands": hot["commands"],
            "observations": hot["observed"],
            "machine_cpu_us_per_command": round(hot["machine_s"] / hot["commands"] * 1e6, 2),
            "capture_cpu_us_per_observation": round(hot["capture_s"] / hot["observed"] * 1e6, 2),
        }
        report["sqlite"] = await pipeline_cost(f"sqlite:///{path}", capture, clock)
        size, tables = sqlite_bytes(path)
        report["bytes_per_viewer_hour"] = round((size - empty) / viewer_hours)
        report["bytes_per_viewer_hour_by_table"] = {
            k: round(v / viewer_hours) for k, v in sorted(tables.items())
        }
        if args.postgres_url:
            capture.queue.extend(queued)
            report["postgresql"] = await pipeline_cost(args.postgres_url, capture, clock)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    asyncio.run(main())
