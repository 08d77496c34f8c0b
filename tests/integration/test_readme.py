"""The README's commands, run or parsed as written, so that the README cannot drift.

Run: `tenant create` then `token` with the id it printed (and both quiet), the cluster
command creating its PostgreSQL database. Parsed by the program's own parser: every
other `socialsync` and `loadtests.run` command line of the README (they need servers, or
touch shared services). Compared: the configuration table with socialsync/config.py,
and the load tests' file names with their --help.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import asyncpg
import jwt
import pytest
import sqlalchemy as sa
from services import scratch_postgres_database
from support import free_port

from socialsync import cli
from socialsync.config import Config

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # loadtests/ is no installed package: it runs from the root
from loadtests.run import build_parser as loadtests_parser  # noqa: E402
from loadtests.run import result_name  # noqa: E402

README = (ROOT / "README.md").read_text()
BIN = Path(sys.executable).parent


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced block."""
    return re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.S | re.M)


def command_lines(text: str) -> list[str]:
    """Every command of the README's sh and console blocks (continuations joined, comments
    and console output left out), and every inline `.venv/bin/socialsync ...` command."""
    commands = []
    for language, body in code_blocks(text):
        if language not in ("sh", "console"):
            continue
        joined = re.sub(r"\\\n\s*", " ", body)
        for line in joined.splitlines():
            if language == "console":
                if not line.startswith("$ "):
                    continue
                line = line[2:]
            line = line.split("  #", 1)[0].strip()
            if line and not line.startswith("#"):
                commands.append(line)
    commands += re.findall(r"`(\.venv/bin/socialsync [^`]+)`", text)
    return commands


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALSYNC_")}
    env["SOCIALSYNC_DATABASE_URL"] = f"sqlite:///{tmp_path}/readme.db"
    return env


def run_readme(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A README command line as a user types it at the repository's root (the venv running
    these tests standing in for .venv)."""
    argv = shlex.split(command)
    if argv[0].startswith(".venv/bin/"):
        argv[0] = str(BIN / argv[0].removeprefix(".venv/bin/"))
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_tenant_create_then_a_token_with_the_id_it_printed(tmp_path):
    (console,) = [body for language, body in code_blocks(README) if "tenant create" in body]
    lines = console.splitlines()
    create, token = [line[2:] for line in lines if line.startswith("$ ")]
    shown_id = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("tenant id:"))
    # The README's token uses the id its tenant create shows, and shows the token that makes.
    assert f"--tenant {shown_id} " in token
    header = json.dumps({"alg": "HS256", "kid": shown_id, "typ": "JWT"}, separators=(",", ":"))
    shown_token = lines[-1].rstrip("…")
    assert base64.urlsafe_b64encode(header.encode()).decode().startswith(shown_token)

    env = environment(tmp_path)
    created = run_readme(create, env)
    assert created.returncode == 0, created.stderr
    assert created.stderr == ""  # quiet: no migration logs
    printed = dict(line.split(":", 1) for line in created.stdout.strip().splitlines())
    tenant_id, secret = printed["tenant id"].strip(), printed["secret"].strip()
    assert re.fullmatch(r"acme-tv-[0-9a-f]{8}", tenant_id)

    issued = run_readme(token.replace(shown_id, tenant_id), env)
    assert issued.returncode == 0, issued.stderr
    assert issued.stderr == ""
    claims = jwt.decode(issued.stdout.strip(), secret, algorithms=["HS256"])
    assert (claims["sub"], claims["name"], claims["roles"]) == ("u42", "Una", ["moderator"])
    assert jwt.get_unverified_header(issued.stdout.strip())["kid"] == tenant_id


def test_the_cli_logs_only_when_asked(tmp_path):
    env = environment(tmp_path)
    verbose = run_readme('.venv/bin/socialsync -v tenant create "Loud TV"', env)
    assert verbose.returncode == 0, verbose.stderr
    logged = [json.loads(line) for line in verbose.stderr.splitlines()]
    assert logged and all(entry["level"] == "info" for entry in logged)
    assert any(entry["logger"].startswith("alembic") for entry in logged)
    assert verbose.stdout.startswith("tenant id: loud-tv-")


@pytest.mark.parametrize(
    ("argv", "level"),
    [
        (["tenant", "create", "X"], "warning"),
        (["-v", "tenant", "create", "X"], "info"),
        (["tenant", "create", "X", "-v"], "info"),
        (["token", "--tenant", "t", "--log-level", "debug"], "debug"),
        (["retention"], "warning"),
        (["serve"], "info"),  # a server logs what it serves, as configured
        (["cluster"], "info"),
    ],
)
def test_log_levels(argv, level):
    args = cli.build_parser().parse_args(argv)
    assert cli._log_level(args, cli._config(args, env={})) == level


def test_every_readme_command_line_is_one_the_programs_take():
    checked = 0
    for line in command_lines(README):
        argv = shlex.split(line)
        if argv[0].endswith("socialsync") or argv[0] == "socialsync":
            cli.build_parser().parse_args(argv[1:])  # exits (fails the test) on a wrong flag
        elif argv[:3] == [".venv/bin/python", "-m", "loadtests.run"]:
            loadtests_parser().parse_args(argv[3:])
        elif argv[0] in ("bash", "scripts/make_dev_cert.sh") or argv[0].startswith("scripts/"):
            script = argv[1] if argv[0] == "bash" else argv[0]
            assert (ROOT / script).is_file(), line
        else:
            continue
        checked += 1
    assert checked >= 10


def test_the_configuration_table_names_every_setting():
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|") for line in section.splitlines() if line.startswith("|") and line.count("|") >= 4]
    named = re.findall(r"`(SOCIALSYNC_[A-Z0-9_]+)`", "\n".join(row[2] for row in rows))
    missing = [f"SOCIALSYNC_{f.name.upper()}" for f in fields(Config)]
    assert [name for name in missing if name not in named] == [], "settings missing from the README's table"
    assert sorted(named) == sorted(set(named)), "a setting with two rows"


def test_loadtests_help_names_the_result_files():
    text = loadtests_parser().format_help()
    assert "SCENARIO-SERVER-Nn[-BROKER][-TAG]-YYYYmmdd-HHMMSS.json" in text
    examples = {
        "fanout-socialsync-1n-20250101-120000": ["fanout"],
        "fanout-socialsync-2n-stock-20250101-120000": ["fanout", "--nodes", "2", "--broker", "stock"],
    }
    for name, argv in examples.items():
        assert result_name(loadtests_parser().parse_args(argv), "20250101-120000") == name
        assert name in text  # the help's examples are what a run writes
    assert result_name(loadtests_parser().parse_args(["idle", "--tag", "x"]), "s") == "idle-socialsync-1n-x-s"
    assert "fanout-socialsync-1n-20250101-120000.json" in README


@pytest.mark.postgres
async def test_the_cluster_command_creates_its_database(tmp_path):
    async with scratch_postgres_database() as existing:  # skips (fails under CI) without PostgreSQL
        name = f"ss_readme_{secrets.token_hex(4)}"
        url = existing.rsplit("/", 1)[0] + f"/{name}"
        where = sa.make_url(url)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALSYNC_")}
        with (tmp_path / "cluster.log").open("wb") as log:
            launcher = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "socialsync", "cluster", "--nodes", "1", "--no-restart"),
                *("--base-port", str(port), "--database-url", url),
                cwd=tmp_path,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
            )
        try:
            assert launcher.stdout is not None
            async with asyncio.timeout(30):
                while not (line := (await launcher.stdout.readline()).decode()).startswith("urls "):
                    assert line, (tmp_path / "cluster.log").read_text()[-2000:]
            said = (tmp_path / "cluster.log").read_text().splitlines()[0]
            host = f"{where.host or 'localhost'}:{where.port or 5432}"
            assert said == f"socialsync cluster: created the PostgreSQL database {name!r} at {host}"
            launcher.send_signal(signal.SIGINT)
            async with asyncio.timeout(15):
                assert await launcher.wait() == 0
        finally:
            if launcher.returncode is None:
                launcher.kill()
                await launcher.wait()
            # From the scratch database: one cannot drop the database one is in.
            dsn = sa.make_url(existing).set(drivername="postgresql").render_as_string(hide_password=False)
            admin = await asyncpg.connect(dsn)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()


def test_the_cluster_command_explains_a_database_it_cannot_use(tmp_path):
    port = free_port()  # nothing listens there
    result = subprocess.run(
        [
            *(sys.executable, "-m", "socialsync", "cluster", "--nodes", "1"),
            *("--database-url", f"postgresql://postgres@127.0.0.1:{port}/socialsync"),
        ],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("SOCIALSYNC_")},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    said = (
        f"socialsync cluster: cannot use PostgreSQL database 'socialsync' at 127.0.0.1:{port}: cannot connect"
    )
    assert result.stderr.startswith(said)
