"""Rows written through the driver's executemany are the rows SQLAlchemy would have written:
the same stored text for times and JSON on SQLite, the same values read back on both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select, text

from gatehouse.store.driver_rows import DriverStatement, json_text, stamp
from gatehouse.store.summary_tables import view_windows
from gatehouse.store.tables import transfers
from tests.conftest import Fresh

SEOUL = timezone(timedelta(hours=9))
AT = datetime(2026, 11, 30, 21, 5, 6, 7, tzinfo=SEOUL)

WINDOWS = DriverStatement(view_windows, ("subject_id", "recipient_id", "until"))
FIELDS = DriverStatement(
    transfers,
    ("id", "order_id", "subject_id", "recipient_id", "purpose", "flow", "allowed", "fields",
     "decided_at"),
    json_columns=("fields",),
)  # fmt: skip


def test_the_driver_writes_what_sqlalchemy_writes(fresh: Fresh) -> None:
    engine = fresh.gatehouse.engine
    with engine.begin() as connection:
        # The rows name customers, orders and recipients that need not exist for this.
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        else:
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(
            insert(view_windows), {"subject_id": "s1", "recipient_id": "r1", "until": AT}
        )
        at = stamp(connection)
        WINDOWS.run(connection, [("s2", "r1", at(AT)), ("s3", "r1", at(AT.astimezone(UTC)))])
        WINDOWS.run(connection, [])
        core = {"id": "t1", "order_id": "o", "subject_id": "s", "recipient_id": "r"}
        common = {"purpose": "fulfilment", "flow": "provision", "allowed": True}
        connection.execute(
            insert(transfers), {**core, **common, "fields": ["name", "전화"], "decided_at": AT}
        )
        FIELDS.run(
            connection,
            [("t2", "o", "s", "r", "fulfilment", "provision", True, json_text(["name", "전화"]),
              at(AT))],
        )  # fmt: skip
        read = connection.execute(
            select(view_windows.c.subject_id, view_windows.c.until).order_by("subject_id")
        ).all()
        stored = connection.execute(
            text("SELECT id, CAST(fields AS TEXT), allowed FROM transfers ORDER BY id")
        ).all()
        if engine.dialect.name == "sqlite":
            raw = connection.exec_driver_sql("SELECT until FROM view_windows").all()
            assert {row[0] for row in raw} == {"2026-11-30 12:05:06.000007"}
        connection.rollback()
    assert read == [("s1", AT), ("s2", AT), ("s3", AT)]
    assert read[0][1].tzinfo is UTC
    assert stored[0][1:] == stored[1][1:]
    assert stored[0][1] == '["name", "\\uc804\\ud654"]'


def test_an_unknown_dialect_has_no_statement() -> None:
    with pytest.raises(NotImplementedError):
        WINDOWS.sql("mysql")
    assert WINDOWS.sql("postgresql").startswith("INSERT INTO view_windows (subject_id,")
    assert "CAST(%s AS JSON)" in FIELDS.sql("postgresql") and "?" in FIELDS.sql("sqlite")
