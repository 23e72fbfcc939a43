"""Which database errors mean "out of reach, try again" and which are faults of ours."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from gatehouse.services.sql_errors import database_unavailable
from tests.conftest import Fresh


def _raised(url: str, statement: str, **engine_args: object) -> DBAPIError:
    engine = create_engine(url, **engine_args)
    try:
        with pytest.raises(DBAPIError) as caught, engine.connect() as connection:
            connection.execute(text(statement))
        return caught.value
    finally:
        engine.dispose()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_server_that_refuses_the_connection_is_unavailable() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/none?connect_timeout=2"
    assert database_unavailable(_raised(url, "SELECT 1"))


def test_a_missing_table_is_a_fault_not_an_outage(fresh: Fresh) -> None:
    with pytest.raises(DBAPIError) as caught, fresh.gatehouse.engine.connect() as connection:
        connection.execute(text("SELECT * FROM no_such_table"))
    error = caught.value
    assert not database_unavailable(error)


def test_a_sqlite_writer_held_past_the_busy_timeout_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        error = _raised(
            f"sqlite:///{path}", "INSERT INTO t VALUES (1)", connect_args={"timeout": 0.05}
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert database_unavailable(error)


def test_errors_that_are_not_the_databases_are_not_outages() -> None:
    assert not database_unavailable(ValueError("nothing to do with a database"))
    assert not database_unavailable(RuntimeError("connection refused"))
