"""Readiness: whether this process can serve, as a load balancer asks before sending traffic.

Liveness (``/healthz``) says only that the process runs. Readiness adds the two things a
request needs: a database that answers, and a schema at the revision this code ships with. A
process that started before a newer release migrated the database is not ready either, so a
rolling deploy drains old processes instead of letting them write to a schema they do not know.
"""

from __future__ import annotations

from dataclasses import dataclass

from gatehouse.services.runtime import Gatehouse
from gatehouse.store.migrate import DatabaseUnreachable, current_revision, head_revision

__all__ = ["Readiness", "readiness"]


@dataclass(frozen=True)
class Readiness:
    """What a readiness probe reports."""

    database: bool
    schema_revision: str | None
    expected_revision: str | None

    @property
    def ready(self) -> bool:
        """Ready when the database answers and its schema is the one this code expects."""
        return self.database and self.schema_revision == self.expected_revision


def readiness(gh: Gatehouse) -> Readiness:
    """Probe the database and compare its schema revision with this code's newest one."""
    expected = head_revision()
    try:
        revision = current_revision(gh.engine)
    except DatabaseUnreachable:
        return Readiness(database=False, schema_revision=None, expected_revision=expected)
    return Readiness(database=True, schema_revision=revision, expected_revision=expected)
