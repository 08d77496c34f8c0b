"""Deployment: the compose file and HAProxy config parse and say what we mean;
``socialsync cluster`` starts real nodes on a real Redis and PostgreSQL and
stops them gracefully.

The tools these need (docker-compose v1, haproxy, Redis, PostgreSQL) are
installed or found by scripts/test.sh. Outside CI a missing one skips its
tests with the reason; under ``CI=true`` a missing docker-compose, Redis or
PostgreSQL fails, because a silently skipped check would hide a broken setup.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
import yaml
from services import redis_or_skip, scratch_postgres_database, unavailable
from support import VIDEO

from socialsync.sdk.client import SocialSyncClient

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"
NODES = ("node1", "node2", "node3")


missing = unavailable  # skip, or fail under CI, where the tool is expected to be there


# --- the compose file ---------------------------------------------------------


def compose_binary() -> str:
    found = shutil.which("docker-compose")
    if found is None:
        missing("docker-compose is not installed (apt-get install -y --no-install-recommends docker-compose)")
    return str(found)


def compose(*args: str) -> subprocess.CompletedProcess[str]:
    # No inherited settings: the file's own defaults are under test.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOCIALSYNC_", "POSTGRES_", "COMPOSE_"))}
    return subprocess.run(
        [compose_binary(), "-f", str(COMPOSE_FILE), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    result = compose("config")
    assert result.returncode == 0, result.stderr
    return dict(yaml.safe_load(result.stdout)["services"])


def test_compose_file_validates():
    result = compose("config", "-q")
    assert result.returncode == 0, result.stderr


def test_compose_has_the_cluster_services(services):
    assert set(services) == {"redis", "postgres", "coturn", *NODES, "lb"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
    assert "redis-cli ping" in " ".join(services["redis"]["healthcheck"]["test"])
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])


def test_coturn_checks_the_credentials_the_nodes_hand_out(services):
    coturn = services["coturn"]
    flags = dict(arg.lstrip("-").partition("=")[::2] for arg in coturn["command"])
    assert "use-auth-secret" in flags and flags["static-auth-secret"], "TURN REST API credentials"
    assert int(flags["min-port"]) < int(flags["max-port"]) and flags["listening-port"] == "3478"
    assert coturn["network_mode"] == "host", "relay ports are reached at the host's address"
    for name in NODES:
        env = services[name]["environment"]
        assert env["SOCIALSYNC_RTC_TURN_SECRET"] == flags["static-auth-secret"]
        urls = env["SOCIALSYNC_RTC_TURN_URL"].split(",")
        assert urls and all(u.startswith("turn:") and ":3478" in u for u in urls)


def test_only_the_balancer_publishes_ports(services):
    published = {name: s["ports"] for name, s in services.items() if s.get("ports")}
    assert list(published) == ["lb"]
    ports = {int(p["published"]): p["target"] for p in published["lb"]}
    assert ports == {80: 8080, 443: 8443}  # HTTP (redirected to HTTPS) and HTTPS


def test_the_balancer_terminates_tls_with_a_mounted_certificate(services):
    lb = services["lb"]
    cert = lb["environment"]["TLS_CERT"]
    # compose v1 prints short syntax: "source:target:mode"
    (mount,) = [v for v in lb["volumes"] if v.split(":")[1] == cert]
    assert mount.endswith(":ro") and mount.split(":")[0].endswith("deploy/tls/socialsync.pem")
    config = HAPROXY_CFG.read_text()
    assert re.search(r'^\s*bind\s+:8443\s+ssl\s+crt\s+"\$\{TLS_CERT\}"', config, re.MULTILINE)
    assert re.search(r"^\s*http-request\s+redirect\s+scheme\s+https\b.*!\{ ssl_fc \}", config, re.MULTILINE)
    hsts = r"^\s*http-response\s+set-header\s+Strict-Transport-Security\s+\S*max-age=\d+"
    assert re.search(hsts, config, re.MULTILINE)
    assert re.search(r"^\s*cookie\s+\S+\s+insert\b.*\bsecure\b", config, re.MULTILINE)
    assert (ROOT / "scripts" / "make_dev_cert.sh").is_file()


def test_nodes_are_built_alike_and_named_apart(services):
    nodes = [services[name] for name in NODES]
    assert len({n["environment"]["SOCIALSYNC_NODE_ID"] for n in nodes}) == 3
    for name, node in zip(NODES, nodes, strict=True):
        env = node["environment"]
        assert env["SOCIALSYNC_NODE_ID"] == name
        assert env["SOCIALSYNC_HOST"] == "0.0.0.0"
        assert env["SOCIALSYNC_PUBLIC_URL"] == "https://localhost"  # the balancer, over TLS
        assert env["SOCIALSYNC_REDIS_URL"].startswith("redis://redis:")
        assert env["SOCIALSYNC_DATABASE_URL"].startswith("postgresql://")
        assert "@postgres:5432/" in env["SOCIALSYNC_DATABASE_URL"]
        assert Path(node["build"]["context"]) == ROOT
        assert "/healthz" in " ".join(node["healthcheck"]["test"])
        # Whichever node recorded a clip, every node serves and deletes it.
        # (compose v1 prints short syntax: "source:target:mode")
        assert f"clips:{env['SOCIALSYNC_CLIP_DIR']}:rw" in node["volumes"]
        assert node["stop_signal"] == "SIGTERM" and node["stop_grace_period"]
        assert node["depends_on"] == {
            "redis": {"condition": "service_healthy"},
            "postgres": {"condition": "service_healthy"},
        }


def test_the_balancer_waits_for_every_node_and_routes_to_each(services):
    lb = services["lb"]
    assert lb["depends_on"] == {name: {"condition": "service_healthy"} for name in NODES}
    assert lb["stop_grace_period"]
    config = HAPROXY_CFG.read_text()
    servers = re.findall(r"^\s*server\s+(\S+)\s+(\S+):8080\b.*\bcookie\s+(\S+)", config, re.MULTILINE)
    assert [(name, name, name) for name in NODES] == servers
    assert re.search(r"^\s*cookie\s+\S+\s+insert\b", config, re.MULTILINE), "no sticky cookie"
    assert re.search(r"^\s*timeout\s+tunnel\b", config, re.MULTILINE), "WebSockets need a tunnel timeout"
    assert "/readyz" in config


def test_haproxy_config_is_valid(tmp_path):
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        missing("haproxy is not installed (apt-get install -y haproxy)")
    openssl = shutil.which("openssl")
    if openssl is None:
        missing("openssl is not installed (apt-get install -y openssl)")
    # A throwaway self-signed certificate, made the way scripts/make_dev_cert.sh does,
    # where the config's $TLS_CERT points (the container's mounted one, in compose).
    cert = tmp_path / "socialsync.pem"
    made = subprocess.run(
        ["bash", str(ROOT / "scripts" / "make_dev_cert.sh"), str(cert)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0 and cert.is_file(), made.stderr
    env = {**os.environ, "TLS_CERT": str(cert)}
    check = [haproxy, "-c", "-f", str(HAPROXY_CFG)]
    result = subprocess.run(check, capture_output=True, text=True, timeout=30, check=False, env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runtime_stage():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM node:\S+ AS web$", dockerfile, re.MULTILINE)
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.MULTILINE)
    assert "COPY --from=web /src/web_client/build" in dockerfile
    assert "SOCIALSYNC_HOST=0.0.0.0" in dockerfile


# --- the local launcher -------------------------------------------------------


@pytest.fixture
async def redis_db15() -> AsyncIterator[str]:
    """Database 15 of the test Redis, flushed before and after (only this test uses it)."""
    url = (await redis_or_skip()).rsplit("/", 1)[0] + "/15"
    client = aioredis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        await client.flushdb()
        yield url
        await client.flushdb()
    finally:
        await client.aclose()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with scratch_postgres_database() as url:
        yield url


def free_port_pair() -> int:
    """A port p with p and p + 1 both free on 127.0.0.1."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
                return int(port)
    raise AssertionError("no two consecutive free ports")


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # Field 4 is the parent; the name (field 2) may hold spaces, hence after ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def read_urls(stdout: asyncio.StreamReader, timeout_s: float) -> list[str]:
    async with asyncio.timeout(timeout_s):
        while line := (await stdout.readline()).decode():
            if line.startswith("urls "):
                return line.split(None, 1)[1].strip().split(",")
    raise AssertionError("the launcher ended without printing its nodes' URLs")


@pytest.mark.redis
@pytest.mark.postgres
async def test_cluster_launcher_serves_and_stops_gracefully(redis_db15, postgres_url, tmp_path):
    base = free_port_pair()
    log_path = tmp_path / "cluster.log"
    launcher = await start_launcher(
        tmp_path,
        *("--nodes", "2", "--base-port", str(base), "--grace", "5"),
        *("--redis-url", redis_db15, "--database-url", postgres_url),
    )
    nodes: list[int] = []
    try:
        assert launcher.stdout is not None
        try:
            urls = await read_urls(launcher.stdout, 20)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; its log ends: {log_path.read_text()[-3000:]}") from None
        assert urls == [f"http://127.0.0.1:{base}", f"http://127.0.0.1:{base + 1}"]
        nodes = children(launcher.pid)
        assert len(nodes) == 2

        async with aiohttp.ClientSession() as http:
            for url in urls:
                for path in ("/healthz", "/readyz"):
                    async with http.get(url + path) as response:
                        assert response.status == 200, (url, path)

        client = SocialSyncClient(urls[0], guest="A")
        await client.connect()
        try:
            party = await client.create_party("Deploy check", VIDEO)
            await client.join(party["id"])
            assert party["invite_url"].startswith(urls[0])
        finally:
            await client.close()

        launcher.send_signal(signal.SIGTERM)
        async with asyncio.timeout(8):
            code = await launcher.wait()
        assert code == 0, log_path.read_text()[-3000:]
        assert not [pid for pid in nodes if alive(pid)]
        # Exit code 0 means every node exited 0; the log says so too.
        assert '"clean": true' in log_path.read_text()
    finally:
        for pid in [*nodes, launcher.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if launcher.returncode is None:
            await launcher.wait()


async def start_launcher(tmp_path: Path, *args: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALSYNC_")}
    with (tmp_path / "cluster.log").open("ab") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "socialsync",
            "cluster",
            *args,
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
        )


async def test_a_node_dying_stops_the_launcher_with_an_error(tmp_path):
    base = free_port_pair()
    launcher = await start_launcher(
        tmp_path,
        *("--nodes", "1", "--base-port", str(base), "--no-restart"),
        *("--database-url", f"sqlite:///{tmp_path}/one.db"),
    )
    try:
        assert launcher.stdout is not None
        assert await read_urls(launcher.stdout, 20) == [f"http://127.0.0.1:{base}"]
        (node,) = children(launcher.pid)
        os.kill(node, signal.SIGKILL)
        async with asyncio.timeout(8):
            assert await launcher.wait() == 1
        assert '"node died"' in (tmp_path / "cluster.log").read_text()
    finally:
        if launcher.returncode is None:
            for pid in [*children(launcher.pid), launcher.pid]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            await launcher.wait()


async def test_by_default_the_launcher_restarts_a_dead_node_and_prints_its_pid(tmp_path):
    base = free_port_pair()
    launcher = await start_launcher(
        tmp_path, "--nodes", "1", "--base-port", str(base), "--database-url", f"sqlite:///{tmp_path}/one.db"
    )
    try:
        assert launcher.stdout is not None
        assert await read_urls(launcher.stdout, 20) == [f"http://127.0.0.1:{base}"]
        (node,) = children(launcher.pid)
        os.kill(node, signal.SIGKILL)
        async with asyncio.timeout(20):
            line = (await launcher.stdout.readline()).decode()
        assert "(restarted)" in line and "pid=" in line, line
        restarted = int(line.split("pid=")[1].split()[0])
        assert restarted != node and restarted in children(launcher.pid)
        async with aiohttp.ClientSession() as http:
            deadline = asyncio.get_running_loop().time() + 20
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{base}/readyz") as response:
                        if response.status == 200:
                            break
                assert asyncio.get_running_loop().time() < deadline, "the restarted node never got ready"
                await asyncio.sleep(0.1)
        assert launcher.returncode is None
    finally:
        for pid in [*children(launcher.pid), launcher.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        await launcher.wait()


def test_several_nodes_refuse_a_private_database(tmp_path):
    result = subprocess.run(
        [
            *(sys.executable, "-m", "socialsync", "cluster", "--nodes", "2"),
            *("--redis-url", "redis://127.0.0.1:1/0", "--database-url", "sqlite:///:memory:"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "in-memory SQLite database is private to each node" in result.stderr
