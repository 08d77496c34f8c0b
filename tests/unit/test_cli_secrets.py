"""Secrets never on the command line: the database and Redis URLs come from the
environment or a file, and a flag holding a password is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialsync.cli import _config, build_parser

PG = "postgresql://app:hunter2@db:5432/socialsync"
REDIS = "redis://:s3cret@cache:6379/0"


def config_of(argv: list[str], env: dict[str, str]):  # type: ignore[no-untyped-def]
    return _config(build_parser().parse_args(argv), env)


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", "--database-url", PG],
        ["serve", "--redis-url", REDIS],
        ["cluster", "--redis-url", REDIS],
        ["cluster", "--database-url", PG],
        ["tenant", "create", "Acme", "--database-url", PG],
    ],
)
def test_a_password_in_a_flag_is_refused_clearly(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as refused:
        config_of(argv, {})
    message = str(refused.value)
    assert (
        "password" in message and "_FILE" in message and "hunter2" not in message and "s3cret" not in message
    )


def test_urls_without_a_password_may_be_flags() -> None:
    config = config_of(
        ["serve", "--database-url", "sqlite:///x.db", "--redis-url", "redis://cache:6379/0"], {}
    )
    assert config.database_url == "sqlite:///x.db" and config.redis_url == "redis://cache:6379/0"


def test_urls_from_files_given_by_flag_or_environment(tmp_path: Path) -> None:
    db, cache = tmp_path / "db", tmp_path / "redis"
    db.write_text(PG + "\n")
    cache.write_text(REDIS)
    config = config_of(["serve", "--database-url-file", str(db), "--redis-url-file", str(cache)], {})
    assert config.database_url == PG and config.redis_url == REDIS
    env = {"SOCIALSYNC_DATABASE_URL_FILE": str(db), "SOCIALSYNC_REDIS_URL_FILE": str(cache)}
    config = config_of(["cluster"], env)
    assert config.database_url == PG and config.redis_url == REDIS


def test_urls_from_the_environment() -> None:
    config = config_of(["serve"], {"SOCIALSYNC_DATABASE_URL": PG, "SOCIALSYNC_REDIS_URL": REDIS})
    assert config.database_url == PG and config.redis_url == REDIS


def test_a_missing_or_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="cannot read"):
        config_of(["serve", "--database-url-file", str(tmp_path / "nope")], {})
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(SystemExit, match="empty"):
        config_of(["serve"], {"SOCIALSYNC_REDIS_URL_FILE": str(tmp_path / "empty")})
