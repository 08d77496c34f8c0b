"""Alembic migrations of the durable store.

The scripts ship inside the package, so an installed SocialSync can migrate its
database without an alembic.ini: ``alembic_config`` builds the configuration in
code. ``socialsync.adapters.sql.store.upgrade_database`` is the entry point.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

# A real directory (not a resource inside a zip): Alembic reads the scripts by path.
SCRIPT_LOCATION = Path(__file__).resolve().parent


def alembic_config() -> Config:
    """A Config pointing at this package's scripts, with no ini file behind it."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    return config
