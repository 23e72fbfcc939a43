"""Engine creation: SQLite in WAL mode by default, PostgreSQL through psycopg 3."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

__all__ = ["UTCDateTime", "make_engine", "is_sqlite"]


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC and returns aware UTC, because SQLite drops time zones."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def is_sqlite(url: str) -> bool:
    """True when the URL names an SQLite database."""
    return url.startswith("sqlite")


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # WAL lets the API read while the worker writes; busy_timeout turns brief lock
    # contention into a wait instead of an error.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` with the settings Gatehouse relies on.

    ``hide_parameters``: a statement's error never quotes its bound values (PII, request
    values), should the error reach a log despite the HTTP edge logging types only.
    """
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No ping at each checkout: it cost every request a round trip. A connection is found
    # broken when a statement fails on it instead: SQLAlchemy then discards it and every pooled
    # connection older than the failure, that one request answers 503 (a retry), and the next
    # ones connect afresh. Connections are also renewed after half an hour, before a server's or
    # a firewall's idle timeout can leave one dead in the pool unnoticed.
    return create_engine(
        url, pool_recycle=1800, pool_size=10, max_overflow=10, hide_parameters=True
    )
