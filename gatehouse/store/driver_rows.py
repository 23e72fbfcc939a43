"""Many rows in one call of the database driver's own executemany, for the transfer path.

SQLAlchemy's executemany turns every row's every value through its type's bind processor and
each row's dict into the driver's form, in Python: for a batch of transfers that cost more
than the database's own work. Here the caller hands rows already in the driver's form (see
:func:`stamp` and :func:`json_text`), and the statement is the driver's SQL text, built once
per dialect. It still runs through the connection (``exec_driver_sql``), so it is in the
caller's transaction and its events see it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table

__all__ = ["DriverRow", "DriverStatement", "json_text", "stamp"]

DriverRow = tuple[Any, ...]
"""One row's values in the statement's column order, each in the driver's own form."""

_MARKS = {"sqlite": "?", "postgresql": "%s"}


def _sqlite_stamp(value: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME stores naive UTC in exactly this text form, which reads
    # back through the same columns as any other row's.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _postgresql_stamp(value: datetime) -> datetime:
    # The columns are timestamps without time zone holding UTC, as UTCDateTime binds them.
    return value.astimezone(UTC).replace(tzinfo=None)


def stamp(connection: Connection) -> Callable[[datetime], Any]:
    """How an aware datetime goes into a ``UTCDateTime`` column on this connection's driver;
    each distinct time is converted once (a group's rows mostly share theirs)."""
    convert = _sqlite_stamp if connection.dialect.name == "sqlite" else _postgresql_stamp
    seen: dict[datetime, Any] = {}

    def converted(value: datetime) -> Any:
        found = seen.get(value)
        if found is None:
            found = seen[value] = convert(value)
        return found

    return converted


def json_text(value: Any) -> str:
    """A value as a JSON column's bind text, exactly as SQLAlchemy's JSON type writes it."""
    return json.dumps(value)


class DriverStatement:
    """An INSERT of ``columns`` into ``table`` in the driver's SQL, with an optional tail
    (``ON CONFLICT ...``) per dialect; JSON columns are cast from their text on PostgreSQL."""

    def __init__(
        self,
        table: Table,
        columns: Sequence[str],
        *,
        json_columns: Sequence[str] = (),
        tails: Mapping[str, str] | None = None,
    ) -> None:
        self.columns = tuple(columns)
        self._sql: dict[str, str] = {}
        for dialect, mark in _MARKS.items():
            marks = [
                f"CAST({mark} AS JSON)"
                if dialect == "postgresql" and column in json_columns
                else mark
                for column in self.columns
            ]
            tail = (tails or {}).get(dialect, "")
            self._sql[dialect] = (
                f"INSERT INTO {table.name} ({', '.join(self.columns)}) "
                f"VALUES ({', '.join(marks)}){tail}"
            )

    def sql(self, dialect: str) -> str:
        """The statement's text for ``dialect``."""
        found = self._sql.get(dialect)
        if found is None:
            raise NotImplementedError(f"no driver statement for the {dialect} dialect")
        return found

    def run(self, connection: Connection, rows: Sequence[DriverRow]) -> None:
        """Execute the statement once per row, in one call of the driver's executemany."""
        if rows:
            connection.exec_driver_sql(self.sql(connection.dialect.name), list(rows))
