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
    "BrokenForeignKeys",
    "DatabaseUnreachable",
    "current_revision",
    "current_revision_of",
    "head_revision",
    "run",
    "upgrade",
]

_MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseUnreachable(Exception):
    """The database did not answer; the message names the driver's error class only."""


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


class BrokenForeignKeys(Exception):
    """A migration on SQLite left rows naming rows that are not there; nothing was changed."""


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        tables = sorted({str(row[0]) for row in broken})
        raise BrokenForeignKeys(f"rows in {', '.join(tables)} name rows that are not there")


def run(engine: Engine, step: str, revision: str) -> None:
    """Run Alembic's ``step`` (``upgrade`` or ``downgrade``) to ``revision``, in one
    transaction.

    SQLite changes a key by rebuilding the table, and dropping the old copy of a table that
    other rows name fails with foreign keys on, however the checks are deferred. So, as
    SQLite's own procedure for such changes says, they are off while the migrations run and
    every key is checked before the commit; they are back on for the connection after it.
    """
    config = _config()
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # Only outside a transaction does SQLite take this setting.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                before = current_revision_of(connection)
                config.attributes["connection"] = connection
                getattr(command, step)(config, revision)
                # Every start runs this; the check reads every table, so only after a change.
                if sqlite and current_revision_of(connection) != before:
                    _check_foreign_keys(connection)
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def upgrade(engine: Engine) -> None:
    """Bring the database schema to the newest revision."""
    run(engine, "upgrade", "head")


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
