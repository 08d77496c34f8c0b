"""Tenant secrets at rest and token rules (issue 13, "Secrets and tokens"): sealed in the
database under SOCIALSYNC_SECRET_KEY or the embedded key file (0600, as the SQLite file),
a clear error without the key, rotation with two active secrets, a maximum lifetime."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from support import running_server

from socialsync import cli
from socialsync.adapters.sql.engine import make_engine
from socialsync.adapters.sql.secrets import KEY_FILE, SecretBox, secret_box
from socialsync.adapters.sql.store import SqlStore, upgrade_database
from socialsync.app import STORE
from socialsync.domain.errors import Code, SyncError
from socialsync.domain.tenant import Tenant
from socialsync.edge.auth import Authenticator, issue_token


async def _raw_secrets(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return [r[0] for r in await conn.execute(sa.text("SELECT secret FROM tenants"))]
    finally:
        await engine.dispose()


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


async def test_the_embedded_server_seals_secrets_with_a_private_key_file(tmp_path: Path) -> None:
    async with running_server(tmp_path) as server:
        demo = await server.app[STORE].get_tenant("demo")
        assert demo is not None and not demo.secret.startswith("fernet:")
    db = tmp_path / "test.db"
    assert _mode(db) == 0o600
    assert _mode(tmp_path / KEY_FILE) == 0o600
    (raw,) = await _raw_secrets(f"sqlite:///{db}")
    assert raw.startswith("fernet:") and demo.secret not in raw
    # Without the key, a clear error rather than a wrong secret.
    store = await SqlStore.open(f"sqlite:///{db}", box=SecretBox(None))
    try:
        with pytest.raises(SyncError) as raised:
            await store.get_tenant("demo")
        assert raised.value.code is Code.UNAVAILABLE and "SOCIALSYNC_SECRET_KEY" in raised.value.message
    finally:
        await store.close()


async def test_a_key_from_the_environment_seals_plain_rows_at_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    await upgrade_database(url)
    plain = await SqlStore.open(url)  # an old server: no key
    await plain.add_tenant(Tenant("acme", "Acme", "s" * 40, False, 1))
    await plain.close()
    assert await _raw_secrets(url) == ["s" * 40]
    key = Fernet.generate_key().decode()
    store = await SqlStore.open(url, box=secret_box(key, url))
    try:
        assert await store.seal_secrets() == 1
        assert (await store.get_tenant("acme")).secret == "s" * 40  # type: ignore[union-attr]
    finally:
        await store.close()
    assert (await _raw_secrets(url))[0].startswith("fernet:")
    assert not (tmp_path / KEY_FILE).exists()  # a key given: no key file


async def test_rotation_keeps_two_secrets_active_and_lifetimes_are_bounded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    await upgrade_database(url)
    store = await SqlStore.open(url, box=secret_box(None, url))
    try:
        await store.add_tenant(Tenant("acme", "Acme", "first-secret-" * 3, False, 1))
        auth = Authenticator(store, known_ttl_s=0, max_token_lifetime_s=86_400)
        now = int(time.time())
        first = issue_token((await store.get_tenant("acme")), "u1", "Una", ["viewer"], 600, now)  # type: ignore[arg-type]
        await store.rotate_secret("acme", "second-secret-" * 3)
        second = issue_token((await store.get_tenant("acme")), "u1", "Una", ["viewer"], 600, now)  # type: ignore[arg-type]
        assert (await auth.from_token(first)).id == "u1"  # the previous secret still works
        assert (await auth.from_token(second)).id == "u1"
        await store.rotate_secret("acme", "third-secret-" * 3)
        with pytest.raises(SyncError, match="Signature"):
            await auth.from_token(first)  # two rotations ago
        assert (await auth.from_token(second)).id == "u1"
        tenant = await store.get_tenant("acme")
        assert tenant is not None
        too_long = issue_token(tenant, "u1", "Una", ["viewer"], 2 * 86_400, now)
        with pytest.raises(SyncError, match="lifetime"):
            await auth.from_token(too_long)
        await store.set_token_lifetime("acme", 300)
        with pytest.raises(SyncError, match="lifetime"):
            await auth.from_token(issue_token(tenant, "u1", "Una", ["viewer"], 600, now))
        assert (await auth.from_token(issue_token(tenant, "u1", "Una", ["viewer"], 300, now))).id == "u1"
    finally:
        await store.close()


def test_the_cli_rotates_a_secret(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert cli.main(["tenant", "create", "Acme TV", "--database-url", url]) == 0
    tenant_id = capsys.readouterr().out.split("tenant id:")[1].split()[0]
    assert cli.main(["tenant", "rotate-secret", tenant_id, "--database-url", url]) == 0
    assert "previous secret stays valid" in capsys.readouterr().out
    assert cli.main(["tenant", "rotate-secret", "nope", "--database-url", url]) == 1
