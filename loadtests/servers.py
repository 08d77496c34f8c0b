"""The servers under test: started as subprocesses on free 127.0.0.1 ports, stopped at the end.

``--server socialsync`` runs ``python -m socialsync serve`` (one or two nodes);
``--server relay`` runs the bare baseline in ``loadtests/relay_server.py``.
One node uses SQLite in a temporary directory. Two nodes share a scratch
PostgreSQL database (created here, dropped afterwards) and a dedicated Redis
database number (flushed before the run; no other database is touched).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

LIFTED_LIMITS = {
    f"SOCIALSYNC_{name}": "1000000"
    for name in (
        "CHAT_BURST",
        "CHAT_PER_S",
        "NEWCOMER_CHAT_BURST",
        "NEWCOMER_CHAT_PER_S",
        "EVENT_BURST",
        "EVENT_PER_S",
        "REACTION_BURST",
        "REACTION_PER_S",
        # The abuse limits per client address and user: every simulated viewer comes
        # from 127.0.0.1, as a balancer's clients would without SOCIALSYNC_FORWARDED_FOR.
        "CONNECTIONS_PER_ADDRESS",
        "HANDSHAKE_BURST",
        "HANDSHAKE_PER_S",
        "GUESTS_PER_ADDRESS_PER_HOUR",
        "PARTIES_PER_HOUR",
        "FLOOD_REFUSALS",
    )
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_cpu_s(pid: int) -> float | None:
    """utime + stime of a process, in seconds (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    fields_ = raw[raw.rindex(b")") + 2 :].split()
    return (int(fields_[11]) + int(fields_[12])) / CLK_TCK


def proc_rss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE_KB
    except OSError:
        return None


def machine_cpu_s() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, from /proc/stat."""
    with open("/proc/stat", "rb") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    total = sum(parts[:8])
    return (total - idle) / CLK_TCK, total / CLK_TCK


@dataclass
class Node:
    name: str
    url: str
    proc: asyncio.subprocess.Process

    @property
    def pid(self) -> int:
        return self.proc.pid


@dataclass
class ServerSet:
    """Options in, running nodes out. Use ``async with``."""

    kind: str = "socialsync"  # or "relay"
    nodes: int = 1
    broker: str = "ours"  # or "stock" (python-socketio's AsyncRedisManager)
    redis_url: str = "redis://127.0.0.1:6379"
    redis_db: int = 9
    postgres_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    extra_env: dict[str, str] = field(default_factory=dict)
    started: list[Node] = field(default_factory=list)
    _tmp: tempfile.TemporaryDirectory[str] | None = None
    _pg_db: str | None = None
    _logs: list[Path] = field(default_factory=list)
    _node_flag: bool | None = None

    async def __aenter__(self) -> ServerSet:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def urls(self) -> list[str]:
        return [n.url for n in self.started]

    async def start(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="ssload-")
        tmp = Path(self._tmp.name)
        env = os.environ | LIFTED_LIMITS | {"SOCIALSYNC_LOG_LEVEL": "warning"} | self.extra_env
        if self.kind == "socialsync":
            if self.nodes > 1:
                env["SOCIALSYNC_DATABASE_URL"] = await self._create_pg_database()
                await self._flush_redis()
                env["SOCIALSYNC_BROKER"] = self.broker
            else:
                env["SOCIALSYNC_DATABASE_URL"] = f"sqlite:///{tmp}/load.db"
            if self.nodes > 1:
                # The nodes share one database: let the first create the schema before the others start.
                await self._start_node(0, env, tmp)
                for i in range(1, self.nodes):
                    await self._start_node(i, env, tmp)
            else:
                await self._start_node(0, env, tmp)
        else:
            for i in range(self.nodes):
                await self._start_node(i, env, tmp)

    async def _start_node(self, i: int, env: dict[str, str], tmp: Path) -> None:
        port = free_port()
        if self.kind == "socialsync":
            argv = [sys.executable, "-m", "socialsync", "serve", "--host", "127.0.0.1", "--port", str(port)]
            if self.nodes > 1:
                # The node id also goes in the environment, for a CLI that has no --node-id flag yet.
                argv += ["--redis-url", f"{self.redis_url}/{self.redis_db}"]
                if self._cli_has_node_id():
                    argv += ["--node-id", f"node{i + 1}"]
                env = env | {"SOCIALSYNC_NODE_ID": f"node{i + 1}"}
        else:
            argv = [sys.executable, "-m", "loadtests.relay_server", "--port", str(port)]
        log_path = tmp / f"node{i + 1}.log"
        self._logs.append(log_path)
        with open(log_path, "wb") as log:  # noqa: ASYNC230 - once per node, at start
            proc = await asyncio.create_subprocess_exec(
                *argv, env=env, stdout=log, stderr=asyncio.subprocess.STDOUT, stdin=asyncio.subprocess.DEVNULL
            )
        node = Node(f"node{i + 1}", f"http://127.0.0.1:{port}", proc)
        self.started.append(node)
        await self._wait_ready(node, log_path)

    async def _wait_ready(self, node: Node, log_path: Path, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        async with aiohttp.ClientSession() as http:
            while True:
                if node.proc.returncode is not None:
                    raise SystemExit(
                        f"{node.name} exited ({node.proc.returncode}):\n{log_path.read_text()[-3000:]}"  # noqa: ASYNC240 - on failure
                    )
                try:
                    async with http.get(f"{node.url}/readyz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(
                        f"{node.name} not ready after {timeout_s} s:\n{log_path.read_text()[-3000:]}"  # noqa: ASYNC240 - on failure
                    )
                await asyncio.sleep(0.1)

    def _cli_has_node_id(self) -> bool:
        if self._node_flag is None:
            import subprocess

            out = subprocess.run(
                [sys.executable, "-m", "socialsync", "serve", "--help"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            self._node_flag = "--node-id" in out
        return self._node_flag

    def log_tails(self, chars: int = 2000) -> dict[str, str]:
        out = {}
        for path in self._logs:
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            if text.strip():
                out[path.stem] = text[-chars:]
        return out

    async def stop(self) -> None:
        for node in self.started:
            if node.proc.returncode is None:
                node.proc.terminate()
        for node in self.started:
            try:
                await asyncio.wait_for(node.proc.wait(), 10)
            except TimeoutError:
                node.proc.kill()
                await node.proc.wait()
        if self._pg_db is not None:
            await self._drop_pg_database()
            await self._flush_redis()  # leave db --redis-db as empty as we found it
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # -------------------------------------------------------------- scale-out services
    async def _create_pg_database(self) -> str:
        import asyncpg

        name = f"ss_load_{secrets.token_hex(4)}"
        conn = await asyncpg.connect(self.postgres_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self._pg_db = name
        return f"{self.postgres_url.rsplit('/', 1)[0]}/{name}"

    async def _drop_pg_database(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.postgres_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self._pg_db}" WITH (FORCE)')
        finally:
            await conn.close()
        self._pg_db = None

    async def _flush_redis(self) -> None:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(f"{self.redis_url}/{self.redis_db}")
        try:
            await client.flushdb()
        finally:
            await client.aclose()
