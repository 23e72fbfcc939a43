"""Readiness: whether this process can serve, as a load balancer asks before sending traffic.

Liveness (``/healthz``) says only that the process runs. Readiness adds the two things a
request needs: a database that answers, and a schema at the revision this code ships with. A
process that started before a newer release migrated the database is not ready either, so a
rolling deploy drains old processes instead of letting them write to a schema they do not know.

A probe must answer quickly whatever the database is doing: while a migration holds a lock on
``alembic_version``, PostgreSQL would make the read wait for the whole migration, and the
load balancer's probe would time out instead of hearing "not ready". The read therefore gives
up after :data:`PROBE_TIMEOUT_MS` and reports the database as not answering.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from gatehouse.services.runtime import Gatehouse
from gatehouse.store.migrate import current_revision_of, head_revision

__all__ = ["PROBE_TIMEOUT_MS", "Readiness", "readiness", "schema_revision"]

# Well inside the usual probe timeouts (Kubernetes: 1 s by default).
PROBE_TIMEOUT_MS = 500


@dataclass(frozen=True)
class Readiness:
    """What a readiness probe reports."""

    database: bool
    schema_revision: str | None
    expected_revision: str | None
    # The read replica, when one is configured: whether it answered. It does not decide
    # readiness: a process whose replica is down still takes writes, and only its pages fail.
    replica: bool | None = None

    @property
    def ready(self) -> bool:
        """Ready when the database answers and its schema is the one this code expects."""
        return self.database and self.schema_revision == self.expected_revision


def schema_revision(engine: Engine) -> str | None:
    """The database's schema revision (None when empty), read within the probe's time limit.

    Raises :class:`~sqlalchemy.exc.SQLAlchemyError` when the database does not answer in time.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # SET LOCAL: the limits end with this read's transaction, not with the session.
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {PROBE_TIMEOUT_MS}")
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {PROBE_TIMEOUT_MS}")
        revision = current_revision_of(connection)
        connection.rollback()
        return revision


def readiness(gh: Gatehouse) -> Readiness:
    """Probe the database and compare its schema revision with this code's newest one."""
    expected = head_revision()
    replica = None if gh.replica_engine is None else _answers(gh.replica_engine)
    try:
        revision = schema_revision(gh.engine)
    except SQLAlchemyError:
        # Unreachable, or busy past the limit: either way, not ready now, and not a 500.
        return Readiness(False, None, expected, replica)
    return Readiness(True, revision, expected, replica)


def _answers(engine: Engine) -> bool:
    try:
        schema_revision(engine)
    except SQLAlchemyError:
        return False
    return True
