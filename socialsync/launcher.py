"""The local cluster launcher (``socialsync cluster``): several node processes of one
cluster on this machine, without Docker; for development and demos. (How a node joins a
cluster, Redis, is adapters/redis/cluster.py; this only starts and supervises processes.)

Starts N ``python -m socialsync serve`` processes on consecutive ports, all
pointed at the same Redis and database, waits until each answers ``/readyz``,
prints their URLs (clients and the SDK take the list), and supervises them:
SIGINT or SIGTERM is passed on to every node and the launcher waits for them to
shut down gracefully; a node that dies on its own stops the cluster with a
non-zero exit with ``--no-restart``; by default it is started again.

Nodes run in their own process group, so a Ctrl-C in the terminal reaches them
once, through the launcher, rather than twice.

SQLite: several local processes may share one SQLite *file*: the store puts it
in WAL mode, waits out another process's write lock (busy timeout), takes write
locks up front, and migrations are safe from several nodes at once. So a file
URL is accepted (writes are serialised through one lock: fine on a laptop, not
a production cluster, which uses PostgreSQL). An in-memory SQLite database is
private to each process and is refused when there is more than one node.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import aiohttp
import sqlalchemy as sa

from socialsync.config import Config

log = logging.getLogger(__name__)

PROBE_INTERVAL_S = 0.1
RESTART_DELAY_S = 1.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

T = TypeVar("T")


class ClusterError(Exception):
    """The cluster cannot be started as asked; the message says why."""


@dataclass(frozen=True)
class ClusterSpec:
    nodes: int
    host: str
    base_port: int
    database_url: str
    redis_url: str | None
    log_level: str
    restart: bool = False
    ready_timeout_s: float = 30.0
    grace_s: float = 10.0


@dataclass(frozen=True)
class NodeSpec:
    node_id: str
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self._reachable_host}:{self.port}"

    @property
    def _reachable_host(self) -> str:
        # A wildcard bind is reached on loopback from this machine.
        if self.host in ("0.0.0.0", "", "*"):
            return "127.0.0.1"
        if self.host == "::":
            return "[::1]"
        return f"[{self.host}]" if ":" in self.host else self.host


# --- command line -------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--nodes", type=int, default=3, help="how many nodes (default 3)")
    parser.add_argument("--base-port", type=int, default=8081, help="port of node0; node i gets +i (8081)")
    parser.add_argument("--host", help="address the nodes bind (env SOCIALSYNC_HOST, default 127.0.0.1)")
    parser.add_argument("--redis-url", help="Redis shared by the nodes (env SOCIALSYNC_REDIS_URL)")
    parser.add_argument("--database-url", help="database shared by the nodes (env SOCIALSYNC_DATABASE_URL)")
    parser.add_argument(
        "--redis-url-file", help="a file holding the Redis URL (env SOCIALSYNC_REDIS_URL_FILE)"
    )
    parser.add_argument(
        "--database-url-file", help="a file holding the database URL (env SOCIALSYNC_DATABASE_URL_FILE)"
    )
    parser.add_argument("--log-level", help="the nodes' and launcher's log level (env SOCIALSYNC_LOG_LEVEL)")
    parser.add_argument(
        "--restart",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="start a node again when it dies (default; --no-restart: stop the cluster instead)",
    )
    parser.add_argument("--ready-timeout", type=float, default=30.0, help="seconds for a node to be ready")
    parser.add_argument("--grace", type=float, default=10.0, help="seconds nodes get to stop before a kill")


def run(args: argparse.Namespace, config: Config) -> int:
    """Entry point of ``socialsync cluster``: flags and environment are already in ``config``."""
    spec = ClusterSpec(
        nodes=args.nodes,
        host=config.host,
        base_port=args.base_port,
        database_url=config.database_url,
        redis_url=config.redis_url,
        log_level=config.log_level,
        restart=args.restart,
        ready_timeout_s=args.ready_timeout,
        grace_s=args.grace,
    )
    try:
        check(spec)
        created = asyncio.run(ensure_database(spec.database_url))
        if created:
            print(f"socialsync cluster: {created}", file=sys.stderr, flush=True)
        return asyncio.run(Launcher(spec).run())
    except ClusterError as exc:
        print(f"socialsync cluster: {exc}", file=sys.stderr)
        return 2


def check(spec: ClusterSpec) -> None:
    if spec.nodes < 1:
        raise ClusterError("--nodes must be at least 1")
    if not 0 < spec.base_port <= 65535 - spec.nodes + 1:
        raise ClusterError(f"ports {spec.base_port}..{spec.base_port + spec.nodes - 1} are not all valid")
    if spec.nodes == 1:
        return
    if not spec.redis_url:
        raise ClusterError(
            "several nodes share parties through Redis: give --redis-url (e.g. redis://127.0.0.1:6379/0)"
        )
    if _is_private_sqlite(spec.database_url):
        raise ClusterError(
            "an in-memory SQLite database is private to each node: give a SQLite file "
            "(sqlite:///socialsync.db) or PostgreSQL (postgresql://user@host:5432/db) as --database-url"
        )


def _is_private_sqlite(url: str) -> bool:
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ClusterError(f"cannot read the database URL: {exc}") from None
    if not parsed.drivername.startswith("sqlite"):
        return False
    return parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"


# --- the PostgreSQL database ----------------------------------------------------

# SQLSTATEs: invalid_catalog_name (no such database), duplicate_database,
# insufficient_privilege.
_NO_DATABASE, _DUPLICATE_DATABASE, _NOT_ALLOWED = "3D000", "42P04", "42501"


class _DatabaseFailure(Exception):
    def __init__(self, sqlstate: str | None, reason: str) -> None:
        super().__init__(reason)
        self.sqlstate = sqlstate
        self.reason = reason


async def ensure_database(url: str, timeout_s: float = 5.0) -> str | None:
    """Before any node starts: a PostgreSQL database the URL names that does not exist
    is created when the server lets this user (the line to say so is returned), else a
    ClusterError says in one line what is wrong and what to do, rather than every node
    dying with a traceback. Other databases (SQLite) are left to the nodes."""
    parsed = sa.make_url(url)
    if parsed.drivername not in ("postgresql", "postgres", "postgresql+asyncpg") or not parsed.database:
        return None
    target = parsed.set(drivername="postgresql+asyncpg")
    name = parsed.database
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    try:
        await _execute(target, "SELECT 1", timeout_s)
        return None
    except _DatabaseFailure as exc:
        if exc.sqlstate != _NO_DATABASE:
            raise ClusterError(f"cannot use PostgreSQL database {name!r} at {where}: {exc.reason}") from None
    quoted = '"' + name.replace('"', '""') + '"'
    failure: _DatabaseFailure | None = None
    for maintenance in ("postgres", "template1"):
        try:
            await _execute(target.set(database=maintenance), f"CREATE DATABASE {quoted}", timeout_s)
            return f"created the PostgreSQL database {name!r} at {where}"
        except _DatabaseFailure as exc:
            if exc.sqlstate == _DUPLICATE_DATABASE:
                return None  # another launcher made it meanwhile
            failure = exc
            if exc.sqlstate != _NO_DATABASE:
                break
    assert failure is not None
    user = parsed.username or "this user"
    if failure.sqlstate == _NOT_ALLOWED:
        advice = f"{user} may not create databases"
    else:
        advice = f"it could not be created ({failure.reason})"
    raise ClusterError(
        f"the PostgreSQL database {name!r} does not exist at {where} and {advice}: create it "
        f"(createdb -h {parsed.host or 'localhost'} -p {parsed.port or 5432} -U postgres {name}) "
        "or give another --database-url"
    )


async def _execute(url: sa.URL, statement: str, timeout_s: float) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(
        url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool, connect_args={"timeout": timeout_s}
    )
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(statement))
    except sa.exc.DBAPIError as exc:
        orig = exc.orig
        sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        reason = str(orig).split("\n", 1)[0]
        if reason.startswith("<class "):
            reason = reason.split(">: ", 1)[-1]
        raise _DatabaseFailure(sqlstate if isinstance(sqlstate, str) else None, reason) from None
    except (OSError, TimeoutError) as exc:
        raise _DatabaseFailure(None, f"cannot connect: {exc.strerror or exc}") from None
    finally:
        await engine.dispose()


def node_specs(spec: ClusterSpec) -> list[NodeSpec]:
    return [NodeSpec(f"node{i}", spec.host, spec.base_port + i) for i in range(spec.nodes)]


def node_env(spec: ClusterSpec, node: NodeSpec, base: Mapping[str, str]) -> dict[str, str]:
    """The node's environment: URLs go here rather than in argv, out of sight of ``ps``."""
    env = dict(base)
    env.update(
        SOCIALSYNC_NODE_ID=node.node_id,
        SOCIALSYNC_HOST=node.host,
        SOCIALSYNC_PORT=str(node.port),
        SOCIALSYNC_DATABASE_URL=spec.database_url,
        SOCIALSYNC_LOG_LEVEL=spec.log_level,
    )
    if spec.redis_url:
        env["SOCIALSYNC_REDIS_URL"] = spec.redis_url
    return env


# --- supervision --------------------------------------------------------------


class Launcher:
    def __init__(self, spec: ClusterSpec) -> None:
        self.spec = spec
        self.nodes = node_specs(spec)
        self.processes: dict[str, asyncio.subprocess.Process] = {}
        self._stop = asyncio.Event()
        self._signal = signal.SIGTERM

    async def run(self) -> int:
        """0 after a stop signal with every node exiting 0; 1 if a node died or stopped badly."""
        self._catch_signals()
        try:
            code = await self._start_and_supervise()
        finally:
            clean = await self._stop_all()
            self._release_signals()
        log.info("cluster stopped", extra={"clean": clean})
        return code if clean else 1

    async def _start_and_supervise(self) -> int:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            if not await self._start_all(http):
                return 1
            announce(self.nodes, {n: p.pid for n, p in self.processes.items()})
            return await self._supervise(http)

    def _catch_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, self._on_signal, sig)

    def _release_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        log.info("stopping the cluster", extra={"signal": sig.name})
        self._signal = sig
        self._stop.set()

    async def _start_all(self, http: aiohttp.ClientSession) -> bool:
        # All at once: migrations and the demo tenant tolerate concurrent starts.
        for node in self.nodes:
            self.processes[node.node_id] = await start_node(self.spec, node)
        ready = await self._until_stopped(asyncio.gather(*(self._ready(node, http) for node in self.nodes)))
        return ready is not None and all(ready)

    async def _ready(self, node: NodeSpec, http: aiohttp.ClientSession) -> bool:
        process = self.processes[node.node_id]
        if await wait_ready(node, process, http, self.spec.ready_timeout_s):
            log.info("node ready", extra={"node": node.node_id, "url": node.url})
            return True
        return False

    async def _supervise(self, http: aiohttp.ClientSession) -> int:
        while not self._stop.is_set():
            exited = await self._until_stopped(first_exit(self.nodes, self.processes))
            if exited is None:
                return 0
            node, code = exited
            log.error("node died", extra={"node": node.node_id, "exit_code": code})
            if not self.spec.restart:
                return 1
            if not await self._restart(node, http):
                return 1
        return 0

    async def _restart(self, node: NodeSpec, http: aiohttp.ClientSession) -> bool:
        if await self._until_stopped(asyncio.sleep(RESTART_DELAY_S, True)) is None:
            return True
        self.processes[node.node_id] = process = await start_node(self.spec, node)
        print(f"{node.node_id} {node.url} pid={process.pid} (restarted)", flush=True)
        ready = await self._until_stopped(self._ready(node, http))
        return ready is None or ready

    async def _until_stopped(self, work: Awaitable[T]) -> T | None:
        """``work``'s result, or None (with ``work`` cancelled) if a stop signal comes first."""
        task = asyncio.ensure_future(work)
        stop = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return None

    async def _stop_all(self) -> bool:
        """Pass the stop signal on, wait out the grace period, then kill. True if all exited 0."""
        running = [p for p in self.processes.values() if p.returncode is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(self._signal)
        codes = await asyncio.gather(*(stop_process(p, self.spec.grace_s) for p in running))
        return all(code == 0 for code in codes)


async def start_node(spec: ClusterSpec, node: NodeSpec) -> asyncio.subprocess.Process:
    log.info("starting node", extra={"node": node.node_id, "port": node.port})
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "socialsync",
        "serve",
        env=node_env(spec, node, os.environ),
        stdin=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )


async def wait_ready(
    node: NodeSpec, process: asyncio.subprocess.Process, http: aiohttp.ClientSession, timeout_s: float
) -> bool:
    """Poll ``/readyz`` until it answers 200; False if the node exits or the time runs out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if process.returncode is not None:
            log.error(
                "node exited while starting", extra={"node": node.node_id, "exit_code": process.returncode}
            )
            return False
        if await probe(f"{node.url}/readyz", http):
            return True
        await asyncio.sleep(PROBE_INTERVAL_S)
    log.error("node not ready in time", extra={"node": node.node_id, "timeout_s": timeout_s})
    return False


async def probe(url: str, http: aiohttp.ClientSession) -> bool:
    try:
        async with http.get(url) as response:
            return response.status == 200
    except (TimeoutError, aiohttp.ClientError):
        return False


async def first_exit(
    nodes: list[NodeSpec], processes: Mapping[str, asyncio.subprocess.Process]
) -> tuple[NodeSpec, int]:
    """The first node whose process ends, and its exit code."""
    waits = {asyncio.ensure_future(processes[n.node_id].wait()): n for n in nodes}
    try:
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waits:
            task.cancel()
    finished = next(iter(done))
    return waits[finished], finished.result()


async def stop_process(process: asyncio.subprocess.Process, grace_s: float) -> int:
    try:
        return await asyncio.wait_for(process.wait(), grace_s)
    except TimeoutError:
        log.warning("node did not stop in time: killing it", extra={"pid": process.pid})
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        return await process.wait()


def announce(nodes: list[NodeSpec], pids: dict[str, int] | None = None) -> None:
    """The nodes' URLs (and process ids) on stdout: one per line, then all the URLs
    comma-separated for clients."""
    for node in nodes:
        pid = (pids or {}).get(node.node_id)
        print(f"{node.node_id} {node.url}" + (f" pid={pid}" if pid is not None else ""))
    print("urls " + ",".join(node.url for node in nodes), flush=True)
