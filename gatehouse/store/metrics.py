"""The short, indexed reads behind ``/metrics``: backlogs, overdue work, today's decisions.

Each read is one statement that an index bounds, so a scrape costs the same however long
Gatehouse has run: no count walks the whole transfers table or the done outbox jobs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select

from gatehouse.store.customer_tables import rights_requests
from gatehouse.store.erasure_tables import erasure_requests
from gatehouse.store.ledger_tables import ledger_checkpoints
from gatehouse.store.outbox_tables import outbox_jobs
from gatehouse.store.tables import transfers

__all__ = ["OPEN_JOB_STATUSES", "MetricsRepository"]

# The outbox's backlog: done jobs are history (and purged), so they are never counted.
OPEN_JOB_STATUSES = ("pending", "running", "dead")


class MetricsRepository:
    """Counts for the operations metrics, on the caller's connection."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def decisions_since(self, since: datetime) -> list[tuple[bool, str, int]]:
        """Transfer decisions from ``since`` on, as (allowed, reason, count).

        The reason is the refusal code of a refused decision and the lawful basis of an
        allowed one ('' when none was recorded). The ``decided_at`` index bounds the read.
        """
        reason = func.coalesce(transfers.c.refusal, transfers.c.basis, "")
        rows = self._c.execute(
            select(transfers.c.allowed, reason, func.count())
            .where(transfers.c.decided_at >= since)
            .group_by(transfers.c.allowed, reason)
        )
        return [(bool(allowed), str(code), int(count)) for allowed, code, count in rows]

    def open_jobs(self) -> dict[str, int]:
        """Outbox jobs not done, per status; every open status is present."""
        rows = self._c.execute(
            select(outbox_jobs.c.status, func.count())
            .where(outbox_jobs.c.status.in_(OPEN_JOB_STATUSES))
            .group_by(outbox_jobs.c.status)
        )
        found = {str(status): int(count) for status, count in rows}
        return {status: found.get(status, 0) for status in OPEN_JOB_STATUSES}

    def oldest_due_job(self, now: datetime) -> datetime | None:
        """When the longest-waiting pending job fell due, or None when none is due."""
        return self._c.execute(
            select(func.min(outbox_jobs.c.run_at)).where(
                outbox_jobs.c.status == "pending", outbox_jobs.c.run_at <= now
            )
        ).scalar_one_or_none()

    def pending_requests(self, now: datetime) -> tuple[int, int]:
        """Rights requests still pending: (all of them, those past their due date)."""
        table = rights_requests.c
        overdue = func.count().filter(table.due_at <= now)
        row = self._c.execute(select(func.count(), overdue).where(table.status == "pending")).one()
        return int(row[0]), int(row[1] or 0)

    def outstanding_erasures(self, now: datetime) -> tuple[int, int]:
        """Unacknowledged erasure requests: (not yet due, overdue), each read by due date."""
        table = erasure_requests.c
        unacknowledged = table.acknowledged_at.is_(None)
        pending = self._c.execute(
            select(func.count()).where(table.due_at > now, unacknowledged)
        ).scalar_one()
        overdue = self._c.execute(
            select(func.count()).where(table.due_at <= now, unacknowledged)
        ).scalar_one()
        return int(pending), int(overdue)

    def latest_checkpoint(self) -> tuple[int, datetime] | None:
        """The newest signed checkpoint's sequence number and time, or None before the first."""
        row = self._c.execute(
            select(ledger_checkpoints.c.sequence, ledger_checkpoints.c.at)
            .order_by(ledger_checkpoints.c.sequence.desc())
            .limit(1)
        ).first()
        return None if row is None else (int(row[0]), row[1])
