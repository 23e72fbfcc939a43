"""The schema side of a restore: migrations to a given revision, and PostgreSQL sequences."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, MetaData, func, select, text

from gatehouse.services.backup_format import BackupInvalid
from gatehouse.store import migrate

__all__ = ["migrate_to", "reset_sequences"]


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrate.__file__).with_name("migrations")))
    return config


def migrate_to(connection: Connection, revision: str) -> None:
    """Create the schema on ``connection`` with the project's migrations, up to ``revision``."""
    config = _config()
    try:
        ScriptDirectory.from_config(config).get_revision(revision)
    except CommandError:
        raise BackupInvalid(
            f"the backup is at schema revision {revision}, which this Gatehouse does not know; "
            "restore it with the Gatehouse version that made it",
            details={"revision": revision},
        ) from None
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def reset_sequences(connection: Connection) -> None:
    """Move each PostgreSQL serial or identity sequence past the largest restored value.

    Rows were inserted with their ids, which does not advance a sequence; without this the
    next insert would collide with a restored row. SQLite needs nothing: it takes the
    largest rowid.
    """
    if connection.dialect.name != "postgresql":
        return
    metadata = MetaData()
    metadata.reflect(connection)
    for table in metadata.sorted_tables:
        for column in table.columns:
            sequence = connection.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            ).scalar_one()
            if sequence is None:
                continue
            largest = connection.execute(select(func.max(column))).scalar_one()
            if largest is None:
                connection.execute(text("SELECT setval(:seq, 1, false)"), {"seq": sequence})
            else:
                connection.execute(
                    text("SELECT setval(:seq, :value, true)"),
                    {"seq": sequence, "value": int(largest)},
                )
