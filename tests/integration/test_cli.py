"""The command line, run as a user would: a real process, a real SQLite file."""

from __future__ import annotations

import subprocess
import sys

import jwt


def run(*args: str, db: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "socialsync", *args, "--database-url", db],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_tenant_create_then_token(tmp_path):
    db = f"sqlite:///{tmp_path}/cli.db"
    created = run("tenant", "create", "Acme TV", db=db)
    assert created.returncode == 0, created.stderr
    lines = dict(line.split(":", 1) for line in created.stdout.strip().splitlines())
    tenant_id, secret = lines["tenant id"].strip(), lines["secret"].strip()
    assert tenant_id.startswith("acme-tv-")

    token = run(
        "token",
        "--tenant",
        tenant_id,
        "--user",
        "u42",
        "--name",
        "Una",
        "--role",
        "moderator",
        "--ttl",
        "600",
        db=db,
    )
    assert token.returncode == 0, token.stderr
    claims = jwt.decode(token.stdout.strip(), secret, algorithms=["HS256"])
    assert claims["sub"] == "u42" and claims["roles"] == ["moderator"]
    assert claims["exp"] - claims["iat"] == 600
    assert jwt.get_unverified_header(token.stdout.strip())["kid"] == tenant_id


def test_token_for_an_unknown_tenant_fails_clearly(tmp_path):
    result = run("token", "--tenant", "nope", "--user", "u", "--name", "N", db=f"sqlite:///{tmp_path}/x.db")
    assert result.returncode == 1
    assert "no tenant 'nope'" in result.stderr
