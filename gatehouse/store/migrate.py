"""Run Alembic migrations from code: on start-up, from ``gatehouse init`` and in tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

__all__ = [
    "DatabaseUnreachable",
    "current_revision",
    "current_revision_of",
    "head_revision",
    "upgrade",
]

_MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseUnreachable(Exception):
    """The database did not answer; the message names the driver's error class only."""


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the database schema to the newest revision."""
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database.

    Raises :class:`DatabaseUnreachable` when the database does not answer.
    """
    try:
        with engine.connect() as connection:
            return current_revision_of(connection)
    except OperationalError as exc:
        # The driver's message names the host, never a credential or a request value.
        raise DatabaseUnreachable(type(exc.orig).__name__) from exc


def current_revision_of(connection: Connection) -> str | None:
    """The revision recorded in the database ``connection`` reads, or None for an empty one."""
    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this code."""
    return ScriptDirectory.from_config(_config()).get_current_head()
