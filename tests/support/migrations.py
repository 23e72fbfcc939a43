"""Moving a test database to one revision of the migrations, up or down."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, Table, select

from gatehouse.store import migrate


def upgrade_to(engine: Engine, revision: str) -> None:
    """Bring ``engine``'s database up to ``revision`` only, as an older release left it."""
    migrate.run(engine, "upgrade", revision)


def downgrade_to(engine: Engine, revision: str) -> None:
    """Take ``engine``'s database down to ``revision``, through each downgrade on the way."""
    migrate.run(engine, "downgrade", revision)


def rows_of(engine: Engine, tables: Iterable[Table]) -> dict[str, list[dict[str, Any]]]:
    """Every row of each table, in an order that does not depend on the keys: what a
    migration up and down again must leave exactly as it found it."""
    with engine.connect() as connection:
        return {
            table.name: sorted(
                (dict(row._mapping) for row in connection.execute(select(table))),
                key=lambda row: str(sorted(row.items())),
            )
            for table in tables
        }
