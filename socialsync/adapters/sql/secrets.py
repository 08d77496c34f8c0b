"""Tenant secrets encrypted at rest (Fernet: AES-128-CBC with HMAC-SHA256) under a key
from the environment (``SOCIALSYNC_SECRET_KEY``), or, for the embedded default, a key
file created 0600 beside the SQLite database (docs/privacy.md, "Secrets and tokens")."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from socialsync.domain.errors import Code, SyncError

log = logging.getLogger("socialsync.secrets")

PREFIX = "fernet:"
KEY_FILE = "socialsync.key"


class SecretBox:
    """Seals and opens stored secrets. Without a key it stores them as given (and says
    so once); a sealed secret without the key is a clear error, never a wrong secret."""

    def __init__(self, key: str | bytes | None) -> None:
        try:
            self._fernet = Fernet(key) if key else None
        except (ValueError, TypeError):
            raise SystemExit(
                "SOCIALSYNC_SECRET_KEY: not a Fernet key (32 url-safe base64 bytes: "
                'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")'
            ) from None

    @property
    def sealing(self) -> bool:
        return self._fernet is not None

    def seal(self, secret: str) -> str:
        if self._fernet is None or secret.startswith(PREFIX):
            return secret
        return PREFIX + self._fernet.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # written before encryption, or by a node without a key
        if self._fernet is None:
            raise SyncError(
                Code.UNAVAILABLE,
                "a tenant secret is encrypted: set SOCIALSYNC_SECRET_KEY to the key it was sealed with",
            )
        try:
            return self._fernet.decrypt(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            raise SyncError(
                Code.UNAVAILABLE, "a tenant secret was sealed with another key than SOCIALSYNC_SECRET_KEY"
            ) from None


def secret_box(key: str | None, database_url: str) -> SecretBox:
    """The key given, else (a SQLite file) the key file beside it, made 0600 if absent;
    else (PostgreSQL without a key) none: secrets stay in plain text, with a warning."""
    if key:
        return SecretBox(key)
    path = sqlite_path(database_url)
    if path is None:
        log.warning("SOCIALSYNC_SECRET_KEY is not set: tenant secrets are stored unencrypted")
        return SecretBox(None)
    key_file = path.parent / KEY_FILE
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(Fernet.generate_key())
    return SecretBox(key_file.read_bytes().strip())


def sqlite_path(database_url: str) -> Path | None:
    """The file of a ``sqlite:///path`` URL (None for PostgreSQL or ``:memory:``)."""
    if not database_url.startswith("sqlite") or ":///" not in database_url or ":memory:" in database_url:
        return None
    return Path(database_url.split(":///", 1)[1].split("?", 1)[0])


def private_file(path: Path) -> None:
    """Create ``path`` readable and writable by its owner only (0600), or make it so."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)
