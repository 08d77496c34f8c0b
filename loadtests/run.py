"""SocialSync load generator: starts the servers it measures, drives simulated viewers, reports.

    .venv/bin/python -m loadtests.run SCENARIO [options]

Scenarios:
  parties   many small watch parties: host controls, playback.status every 2 s, chat
  live      one big live room: chat, then a reaction storm; sync-command latency before and during it
  churn     watch parties whose members keep leaving/disconnecting and rejoining (with since=)
  idle      N idle connections: server RSS per connection and idle CPU
  fanout    chat at a target rate into parties of M members (--rate), or a ramp to the maximum (--ramp)

Every run starts its own server(s) on free 127.0.0.1 ports (SQLite in a temp dir for
one node; for two, a scratch PostgreSQL database ss_load_* made and dropped on
--postgres-url, and Redis db --redis-db of --redis-url, which is FLUSHDB'd first: shared
services of the machine), runs --workers generator processes (one event loop each, many
clients each), shows a status line on stderr, prints a summary table, and writes into
--out-dir (default loadtests/results/):

  SCENARIO-SERVER-Nn[-BROKER][-TAG]-YYYYmmdd-HHMMSS.json   the summary and every series
  SCENARIO-SERVER-Nn[-BROKER][-TAG]-YYYYmmdd-HHMMSS.png    the plots (not with --no-plot)
  SCENARIO-SERVER-Nn[-BROKER][-TAG]-YYYYmmdd-HHMMSS-profile.txt   with --profile

e.g. fanout-socialsync-1n-20250101-120000.json, fanout-socialsync-2n-stock-20250101-120000.png
(BROKER only with --nodes 2). Exit status 1 if any chat message was lost or duplicated,
a reaction count did not add up, or requests failed; 2 if the run itself could not be done.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import report
from .metrics import Merged
from .servers import ServerSet, machine_cpu_s, proc_cpu_s, proc_rss_kb
from .sioclient import LeanClient, make_session

DEFAULT_OUT = Path(__file__).resolve().parent / "results"


# ---------------------------------------------------------------------------- command line
def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("servers")
    g.add_argument(
        "--server",
        choices=["socialsync", "relay"],
        default="socialsync",
        help="what to measure: SocialSync, or the bare relay baseline (loadtests/relay_server.py)",
    )
    g.add_argument(
        "--nodes",
        type=int,
        choices=[1, 2],
        default=1,
        help="server nodes; 2 = Redis fan-out + shared PostgreSQL (default 1, SQLite)",
    )
    g.add_argument(
        "--broker",
        choices=["ours", "stock"],
        default="ours",
        help="with --nodes 2: our per-party broker, or python-socketio's AsyncRedisManager "
        "(SOCIALSYNC_BROKER=stock)",
    )
    g.add_argument(
        "--placement",
        choices=["members", "parties"],
        default="members",
        help="with --nodes 2: alternate each party's members between the nodes (default; every message "
        "crosses nodes), or put each whole party on one node (a per-party broker need not cross)",
    )
    g.add_argument("--redis-url", default="redis://127.0.0.1:6379", help="Redis server for --nodes 2")
    g.add_argument(
        "--redis-db", type=int, default=9, help="Redis db number, FLUSHDB'd before the run (default 9)"
    )
    g.add_argument(
        "--postgres-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL where a scratch database ss_load_* is created and dropped (--nodes 2)",
    )
    g.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the servers (repeatable)",
    )
    g = common.add_argument_group("generator")
    g.add_argument("--workers", type=int, default=2, help="generator processes (default 2)")
    g.add_argument(
        "--client",
        choices=["lean", "socketio"],
        default="lean",
        help="lean: our minimal Engine.IO/Socket.IO client (default); socketio: python-socketio's "
        "AsyncClient (heavier; to cross-check)",
    )
    g.add_argument("--duration", type=float, help="seconds of traffic (default per scenario)")
    g.add_argument(
        "--drain",
        type=float,
        default=10.0,
        help="seconds to wait, after the traffic stops, for deliveries still on their way (default 10)",
    )
    g.add_argument(
        "--timeout", type=float, default=15.0, help="seconds before an unanswered request counts as an error"
    )
    g.add_argument(
        "--connect-concurrency",
        type=int,
        default=50,
        help="connections being opened at once, per worker (default 50)",
    )
    g.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="first wait up to this long for the machine to be nearly idle (under 25%% of one core busy), "
        "since other processes skew the numbers",
    )
    g = common.add_argument_group("output")
    g.add_argument(
        "--out-dir", type=Path, default=DEFAULT_OUT, help="where JSON and PNG go (default loadtests/results)"
    )
    g.add_argument("--tag", default="", help="added to the result file names")
    g.add_argument("--no-plot", action="store_true", help="skip the PNG")
    g.add_argument(
        "--profile",
        type=float,
        default=0,
        metavar="SECONDS",
        help="py-spy record (--gil) the first server node for this many seconds (needs py-spy); collapsed "
        "stacks go to <result>-profile.txt, the hottest functions into the table and JSON",
    )
    g.add_argument(
        "--profile-phase",
        choices=["setup", "run"],
        default="run",
        help="profile while the viewers connect and join (setup) or during the traffic (default run)",
    )

    parser = argparse.ArgumentParser(
        prog="python -m loadtests.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="scenario", required=True, metavar="SCENARIO")

    p = sub.add_parser("parties", parents=[common], help="many small watch parties")
    p.add_argument("--parties", type=int, default=500, help="number of parties (default 500)")
    p.add_argument("--members", type=int, default=6, help="members per party (default 6; at most 50)")
    p.add_argument(
        "--control-every", type=float, default=5.0, help="s between host playback.controls (default 5)"
    )
    p.add_argument(
        "--status-every", type=float, default=2.0, help="s between each member's playback.status (default 2)"
    )
    p.add_argument(
        "--chat-every",
        type=float,
        default=15.0,
        help="mean s between one member's chat messages (default 15)",
    )

    p = sub.add_parser("live", parents=[common], help="one big live room with a reaction storm")
    p.add_argument("--viewers", type=int, default=3000, help="viewers in the room (default 3000)")
    p.add_argument("--chat-rate", type=float, default=2.0, help="chat messages/s into the room (default 2)")
    p.add_argument(
        "--reactors-pct", type=int, default=20, help="percent of viewers who react in the storm (default 20)"
    )
    p.add_argument(
        "--reaction-rate", type=float, default=1.0, help="reactions/s per reacting viewer (default 1)"
    )
    p.add_argument(
        "--storm-at",
        type=float,
        default=0.4,
        help="fraction of --duration after which the storm starts (default 0.4)",
    )
    p.add_argument(
        "--probe-members",
        type=int,
        default=4,
        help="members of the side watch party whose host times playback.control (default 4; "
        "live rooms refuse playback control)",
    )
    p.add_argument("--probe-every", type=float, default=0.5, help="s between probe controls (default 0.5)")
    p.add_argument(
        "--sync-probes", type=int, default=20, help="room viewers timing time.sync once a second (default 20)"
    )

    p = sub.add_parser("churn", parents=[common], help="join/leave and reconnect churn")
    p.add_argument("--parties", type=int, default=50, help="parties (default 50)")
    p.add_argument("--members", type=int, default=10, help="members per party (default 10)")
    p.add_argument(
        "--stayers",
        type=int,
        default=4,
        help="members per party that never leave (default 4); the rest churn",
    )
    p.add_argument(
        "--churn-every", type=float, default=3.0, help="mean s between one churner's departures (default 3)"
    )
    p.add_argument("--away", type=float, default=1.0, help="longest time away, s (default 1)")
    p.add_argument(
        "--churn-mode",
        choices=["leave", "reconnect", "mixed"],
        default="mixed",
        help="party.leave + party.join, close + new connection + join, or alternating (default)",
    )
    p.add_argument(
        "--chat-rate", type=float, default=20.0, help="chat messages/s over all parties (default 20)"
    )

    p = sub.add_parser("idle", parents=[common], help="idle connections: RSS per connection")
    p.add_argument("--connections", type=int, default=10000, help="connections (default 10000)")
    p.add_argument(
        "--members",
        type=int,
        default=0,
        help="also join them into watch parties of this size (default 0: connected only)",
    )

    p = sub.add_parser("fanout", parents=[common], help="chat fan-out at a target rate, or a ramp")
    p.add_argument("--parties", type=int, default=20, help="parties (default 20)")
    p.add_argument("--members", type=int, default=50, help="members per party (default 50)")
    p.add_argument(
        "--rate", type=float, default=100.0, help="chat messages/s sent over all parties (default 100)"
    )
    p.add_argument("--ramp", action="store_true", help="step the rate up until delivery falls behind")
    p.add_argument("--start-rate", type=float, default=20.0, help="ramp: first rate (default 20)")
    p.add_argument("--factor", type=float, default=1.5, help="ramp: rate multiplier per step (default 1.5)")
    p.add_argument("--max-rate", type=float, default=5000.0, help="ramp: highest rate tried (default 5000)")
    p.add_argument("--step-duration", type=float, default=5.0, help="ramp: s per step (default 5)")
    p.add_argument(
        "--max-latency-ms",
        type=float,
        default=1000.0,
        help="ramp: a step whose worst fan-out latency passes this is over the limit (default 1000)",
    )
    return parser


DEFAULT_DURATION = {"parties": 30.0, "live": 30.0, "churn": 30.0, "idle": 30.0, "fanout": 20.0}


def scenario_params(args: argparse.Namespace) -> dict[str, Any]:
    keys = {
        "parties": ["parties", "members", "control_every", "status_every", "chat_every"],
        "live": [
            "viewers",
            "chat_rate",
            "reactors_pct",
            "reaction_rate",
            "storm_at",
            "probe_members",
            "probe_every",
            "sync_probes",
        ],
        "churn": ["parties", "members", "stayers", "churn_every", "away", "churn_mode", "chat_rate"],
        "idle": ["connections", "members"],
        "fanout": [
            "parties",
            "members",
            "rate",
            "ramp",
            "start_rate",
            "factor",
            "max_rate",
            "step_duration",
            "max_latency_ms",
        ],
    }[args.scenario]
    params = {k: getattr(args, k) for k in keys}
    if args.scenario == "fanout":
        if args.ramp:
            steps, rate, t = [], args.start_rate, 0.0
            while rate <= args.max_rate:
                steps.append([t, round(rate, 2)])
                t += args.step_duration
                rate *= args.factor
            params["steps"] = steps
            args.duration = t
        else:
            params["steps"] = [[0.0, args.rate]]
    return params


# ---------------------------------------------------------------------------- workers
class WorkerProc:
    def __init__(self, index: int, proc: asyncio.subprocess.Process) -> None:
        self.index = index
        self.proc = proc
        self.progress: dict[str, Any] = {}
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                await self.messages.put({"t": "eof"})
                return
            try:
                msg = json.loads(line)
            except ValueError:
                sys.stderr.write(f"\nworker {self.index}: {line.decode(errors='replace')}")
                continue
            if msg.get("t") == "p":
                self.progress = msg
            else:
                await self.messages.put(msg)

    def send(self, msg: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())

    async def expect(self, kind: str) -> dict[str, Any]:
        msg = await self.messages.get()
        if msg.get("t") != kind:
            err = b""
            if self.proc.stderr is not None:
                try:
                    err = await asyncio.wait_for(self.proc.stderr.read(), 5)
                except TimeoutError:
                    pass
            raise RuntimeError(
                f"worker {self.index}: expected {kind!r}, got {msg}\n{err.decode(errors='replace')[-3000:]}"
            )
        return msg


class Sampler:
    """CPU and RSS of every process involved, once a second."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self.rows: list[dict[str, Any]] = []
        self._last: dict[str, float] = {}
        self._last_t = 0.0
        self._last_machine = (0.0, 0.0)
        self.phase = "setup"

    def _cpu(self) -> dict[str, float]:
        return {name: sum(proc_cpu_s(pid) or 0.0 for pid in pids) for name, pids in self.groups.items()}

    def start(self, t0: float) -> None:
        self.t0 = t0
        self._last = self._cpu()
        self._last_t = time.time()
        self._last_machine = machine_cpu_s()

    def sample(self) -> dict[str, Any]:
        now = time.time()
        cpu = self._cpu()
        machine = machine_cpu_s()
        dt = now - self._last_t
        row: dict[str, Any] = {"t": round(now - self.t0, 2), "phase": self.phase}
        for name, total in cpu.items():
            row[f"cpu_{name}"] = round(100 * (total - self._last.get(name, total)) / dt, 1) if dt > 0 else 0.0
        busy = machine[0] - self._last_machine[0]
        whole = machine[1] - self._last_machine[1]
        row["cpu_machine"] = round(100 * os.cpu_count() * busy / whole, 1) if whole > 0 else 0.0  # type: ignore[operator]
        row["rss_kb_server"] = sum(proc_rss_kb(p) or 0 for p in self.groups["server"])
        row["rss_kb_generator"] = sum(proc_rss_kb(p) or 0 for p in self.groups["generator"])
        self._last, self._last_t, self._last_machine = cpu, now, machine
        self.rows.append(row)
        return row

    def cpu_seconds(self) -> dict[str, float]:
        return self._cpu()


async def create_live_room(url: str) -> str:
    http = make_session()
    client = LeanClient(lambda *_: None)
    try:
        await client.connect(http, url, {"guest": "Load Host"}, 15)
        answer = await client.call(
            "party.create",
            {
                "title": "Load live room",
                "media": {"url": "https://media.example/live.m3u8", "kind": "live"},
                "settings": {"type": "live_room", "max_members": 100000},
            },
        )
        if not answer.get("ok"):
            raise SystemExit(f"could not create the live room: {answer}")
        return str(answer["party"]["id"])
    finally:
        await client.close()
        await http.close()


def status_line(
    scenario: str,
    elapsed: float,
    duration: float,
    phase: str,
    workers: list[WorkerProc],
    row: dict[str, Any] | None,
    rates: dict[str, float],
) -> str:
    conn = sum(w.progress.get("conn", 0) for w in workers)
    sent = sum(w.progress.get("sent", 0) for w in workers)
    recv = sum(w.progress.get("recv", 0) for w in workers)
    err = sum(w.progress.get("err", 0) for w in workers)
    lat = max((w.progress.get("lat_max", 0) for w in workers), default=0)
    cpu = ""
    if row:
        cpu = f" | cpu server {row.get('cpu_server', 0):.0f}% gen {row.get('cpu_generator', 0):.0f}%"
    return (
        f"[{scenario} {phase} {elapsed:5.1f}/{duration:.0f}s] conn {conn} "
        f"sent {sent} ({rates.get('sent', 0):.0f}/s)"
        f" recv {recv} ({rates.get('recv', 0):.0f}/s) lat<={lat:.0f}ms err {err}{cpu}"
    )


def result_name(args: argparse.Namespace, stamp: str) -> str:
    """The result files' name without its suffix (the module's help shows the pattern)."""
    return (
        f"{args.scenario}-{args.server}-{args.nodes}n"
        + (f"-{args.broker}" if args.nodes > 1 else "")
        + (f"-{args.tag}" if args.tag else "")
        + f"-{stamp}"
    )


async def orchestrate(args: argparse.Namespace) -> int:
    duration = args.duration or DEFAULT_DURATION[args.scenario]
    params = scenario_params(args)
    duration = args.duration or duration
    extra_env = dict(kv.split("=", 1) for kv in args.server_env)
    name = result_name(args, time.strftime("%Y%m%d-%H%M%S"))
    isatty = sys.stderr.isatty()

    def say(text: str, final: bool = False) -> None:
        if isatty:
            sys.stderr.write("\r\x1b[2K" + text + ("\n" if final else ""))
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    if args.wait_quiet > 0:
        await wait_quiet(args.wait_quiet, say)
    servers = ServerSet(
        kind=args.server,
        nodes=args.nodes,
        broker=args.broker,
        redis_url=args.redis_url,
        redis_db=args.redis_db,
        postgres_url=args.postgres_url,
        extra_env=extra_env,
    )
    say(f"starting {args.nodes} {args.server} node(s)", final=True)
    async with servers:
        with tempfile.TemporaryDirectory(prefix="ssload-w-") as wdir:
            return await _run(args, servers, params, duration, name, wdir, say, isatty)


async def _run(
    args: argparse.Namespace,
    servers: ServerSet,
    params: dict[str, Any],
    duration: float,
    name: str,
    wdir: str,
    say: Any,
    isatty: bool,
) -> int:
    server_pids = [n.pid for n in servers.started]
    await asyncio.sleep(1.0)
    rss_base = {n.name: proc_rss_kb(n.pid) for n in servers.started}
    if args.scenario == "live":
        params["room"] = await create_live_room(servers.urls[0])
    t0 = time.time()
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    workers: list[WorkerProc] = []
    for i in range(args.workers):
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "loadtests.worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            limit=1 << 24,
            cwd=str(Path(__file__).resolve().parent.parent),  # noqa: ASYNC240 - once, at start
        )
        workers.append(WorkerProc(i, proc))
    sampler = Sampler(
        {"server": server_pids, "generator": [w.proc.pid for w in workers], "orchestrator": [os.getpid()]}
    )
    sampler.start(t0)
    spec = {
        "scenario": args.scenario,
        "workers": args.workers,
        "urls": servers.urls,
        "params": params,
        "duration": duration,
        "timeout": args.timeout,
        "client": args.client,
        "t0": t0,
        "out_dir": wdir,
        "connect_concurrency": args.connect_concurrency,
        "placement": args.placement,
        "slow_ms": getattr(args, "max_latency_ms", 1000.0),
    }
    for w in workers:
        w.send({**spec, "worker": w.index})

    marks: dict[str, float] = {}
    last_totals = {"sent": 0, "recv": 0}
    rates: dict[str, float] = {}
    row: dict[str, Any] | None = None
    ramp_stop: dict[str, Any] | None = None
    history: list[tuple[float, int, int]] = []
    profiler: asyncio.subprocess.Process | None = None

    async def ticker(phase_duration: float | None) -> None:
        nonlocal row
        start = time.time()
        while True:
            await asyncio.sleep(1.0)
            row = sampler.sample()
            sent = sum(w.progress.get("sent", 0) for w in workers)
            recv = sum(w.progress.get("recv", 0) for w in workers)
            rates["sent"], rates["recv"] = sent - last_totals["sent"], recv - last_totals["recv"]
            last_totals["sent"], last_totals["recv"] = sent, recv
            el = time.time() - start
            say(status_line(args.scenario, el, phase_duration or 0, sampler.phase, workers, row, rates))
            if args.scenario == "fanout" and args.ramp and sampler.phase == "run":
                check_ramp(el, recv)
            if sampler.phase == "run" and phase_duration and (el >= phase_duration or ramp_stop is not None):
                # The traffic is over; answers in flight and the drain are not part of the rates.
                end_traffic()

    judged = [-1]
    cpu_at_end: dict[str, float] = {}

    def end_traffic() -> None:
        if "traffic_end" not in marks:
            marks["traffic_end"] = time.time() - t0
            cpu_at_end.update(sampler.cpu_seconds())
            sampler.phase = "finish"

    def check_ramp(el: float, recv: int) -> None:
        """When a ramp step ends, judge it: stop the run once delivery falls behind or gets slow."""
        nonlocal ramp_stop
        steps, sd = params["steps"], args.step_duration
        slow = sum(w.progress.get("slow", 0) for w in workers)
        history.append((el, recv, slow))
        k = int(el // sd)
        if ramp_stop is not None or k < 1 or k - 1 <= judged[0] or k - 1 >= len(steps):
            return
        judged[0] = k - 1
        first = next((h for h in history if h[0] >= (k - 1) * sd + 1.0), None)
        if first is None or el - first[0] < 0.5:
            return
        rate = (recv - first[1]) / (el - first[0])
        want = steps[k - 1][1] * args.members
        slow_frac = (slow - first[2]) / max(1, recv - first[1])
        if rate < 0.9 * want or slow_frac > 0.01:
            ramp_stop = {
                "step": k - 1,
                "rate": steps[k - 1][1],
                "delivered_per_s": round(rate, 1),
                "expected_per_s": want,
                "slow_fraction": round(slow_frac, 4),
            }
            for w in workers:
                w.send({"t": "stop"})

    tick = asyncio.get_running_loop().create_task(ticker(None))
    if args.profile > 0 and args.profile_phase == "setup":
        profiler = await start_profiler(
            server_pids[0], args.profile, Path(args.out_dir) / f"{name}-profile.txt"
        )
    try:
        for w in workers:
            await w.expect("ready")
        marks["ready"] = time.time() - t0
        sampler.phase = "settle"
        await asyncio.sleep(2.0)
        rss_ready = {n.name: proc_rss_kb(n.pid) for n in servers.started}
        cpu_before = sampler.cpu_seconds()
        run_start = time.time()
        marks["start"] = run_start - t0
        sampler.phase = "run"
        tick.cancel()
        tick = asyncio.get_running_loop().create_task(ticker(duration))
        for w in workers:
            w.send({"t": "start"})
        if args.profile > 0 and args.profile_phase == "run":
            profiler = await start_profiler(
                server_pids[0], args.profile, Path(args.out_dir) / f"{name}-profile.txt"
            )
        stopped = [await w.expect("stopped") for w in workers]
        end_traffic()
        run_s = marks["traffic_end"] - marks["start"]
        cpu_after = cpu_at_end
        rss_end = {n.name: proc_rss_kb(n.pid) for n in servers.started}
        marks["stopped"] = time.time() - t0
        sampler.phase = "drain"
        maxima: dict[str, int] = {}
        reactions: dict[str, int] = {}
        unknown: dict[str, int] = {}
        for s in stopped:
            for pid, info in s["parties"].items():
                maxima[pid] = max(maxima.get(pid, 0), info["max_acked"], info["max_seen"])
                reactions[pid] = reactions.get(pid, 0) + info["reactions_ok"]
                unknown[pid] = unknown.get(pid, 0) + info["reactions_unknown"]
        for w in workers:
            w.send(
                {
                    "t": "verify",
                    "maxima": maxima,
                    "reactions": reactions,
                    "unknown": unknown,
                    "drain_s": args.drain,
                }
            )
        results = [await w.expect("result") for w in workers]
        marks["done"] = time.time() - t0
    finally:
        tick.cancel()
        for w in workers:
            if w.proc.stdin is not None:
                w.proc.stdin.close()
        for w in workers:
            try:
                await asyncio.wait_for(w.proc.wait(), 20)
            except TimeoutError:
                w.proc.kill()
                await w.proc.wait()
        if profiler is not None:
            await profiler.wait()
    say("done", final=True)

    merged = Merged(t0)
    for r in results:
        merged.add_worker(r["rec"])
    totals = {
        k: sum(r["check"][k] for r in results)
        for k in (
            "viewers_checked",
            "lost",
            "viewers_with_loss",
            "duplicates",
            "viewers_with_duplicates",
            "reaction_viewers_checked",
            "reaction_mismatch_viewers",
            "reaction_out_of_bounds_viewers",
        )
    }
    examples = [e for r in results for e in r["check"]["reaction_mismatch_examples"]][:5]
    extra: dict[str, Any] = {}
    for r in results:
        for k, v in r["extra"].items():
            extra[k] = extra.get(k, 0) + v
    first_errors: dict[str, str] = {}
    for r in results:
        first_errors.update(r["first_errors"])

    cpu_run = {k: round(100 * (cpu_after[k] - cpu_before[k]) / run_s, 1) for k in cpu_before}
    connections = sum(w.progress.get("conn", 0) for w in workers)
    summary = report.summarise(
        args=args,
        params=params,
        duration=duration,
        run_s=run_s,
        merged=merged,
        totals=totals,
        reaction_examples=examples,
        extra=extra,
        cpu_run=cpu_run,
        marks=marks,
        rss_base=rss_base,
        rss_ready=rss_ready,
        rss_end=rss_end,
        connections=connections,
        samples=sampler.rows,
        ramp_stop=ramp_stop,
        reactions_sent=sum(reactions.values()),
        messages=sum(maxima.values()),
        first_errors=first_errors,
        server_logs=servers.log_tails(),
        urls=servers.urls,
    )
    if profiler is not None:
        summary["profile"] = report.profile_summary(Path(args.out_dir) / f"{name}-profile.txt")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    json_path = args.out_dir / f"{name}.json"
    json_path.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print(report.table(summary))
    if not args.no_plot:
        png = args.out_dir / f"{name}.png"
        report.plot(summary, merged, png)
        print(f"wrote {json_path}\n      {png}")
    else:
        print(f"wrote {json_path}")
    return 1 if summary["failed"] else 0


async def wait_quiet(limit_s: float, say: Any) -> None:
    deadline = time.monotonic() + limit_s
    while True:
        busy0, total0 = machine_cpu_s()
        await asyncio.sleep(2.0)
        busy1, total1 = machine_cpu_s()
        pct = 100 * (os.cpu_count() or 1) * (busy1 - busy0) / max(1e-9, total1 - total0)
        if pct < 25:
            return
        if time.monotonic() > deadline:
            say(f"machine still {pct:.0f}% busy after {limit_s:.0f} s; going ahead", final=True)
            return
        say(f"waiting for a quiet machine: {pct:.0f}% of a core busy")


async def start_profiler(pid: int, seconds: float, out: Path) -> asyncio.subprocess.Process | None:
    exe = Path(sys.executable).with_name("py-spy")
    if not exe.exists():
        sys.stderr.write("\npy-spy not installed in the venv; --profile ignored\n")
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    return await asyncio.create_subprocess_exec(
        str(exe),
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(int(seconds)),
        "--rate",
        "200",
        "--format",
        "raw",
        "--output",
        str(out),
        "--nonblocking",
        "--gil",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.server == "relay" and args.nodes > 1:
        parser.error("the relay baseline is single-node (it has no cross-node fan-out)")
    try:
        return asyncio.run(orchestrate(args))
    except KeyboardInterrupt:
        return 2
    except (RuntimeError, SystemExit) as exc:
        if isinstance(exc, SystemExit) and isinstance(exc.code, int):
            raise
        print(f"\nload test failed: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
