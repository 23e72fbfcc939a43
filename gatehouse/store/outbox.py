"""Outbox rows: insert with de-duplication, claim under a lease, finish, list and count.

Every write that changes a claimed job is fenced on ``(locked_by, attempts)``: a worker whose
lease ran out, and whose job another worker has since claimed, cannot overwrite the newer
outcome.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from gatehouse.store.outbox_tables import outbox_jobs

__all__ = ["Job", "JobStatus", "OutboxRepository"]


class JobStatus(StrEnum):
    """Where a job is in its life: waiting, leased to a worker, finished, or given up on."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


@dataclass(frozen=True)
class Job:
    """One outbox row as a handler sees it."""

    id: str
    kind: str
    payload: dict[str, Any]
    dedupe_key: str | None
    status: JobStatus
    attempts: int
    max_attempts: int
    run_at: datetime
    locked_by: str | None
    locked_until: datetime | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


def _to_job(row: Row[Any]) -> Job:
    return Job(
        id=row.id,
        kind=row.kind,
        payload=dict(row.payload),
        dedupe_key=row.dedupe_key,
        status=JobStatus(row.status),
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        run_at=row.run_at,
        locked_by=row.locked_by,
        locked_until=row.locked_until,
        last_error=row.last_error,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


def _to_row(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "payload": dict(job.payload),
        "dedupe_key": job.dedupe_key,
        "status": job.status.value,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "run_at": job.run_at,
        "locked_by": job.locked_by,
        "locked_until": job.locked_until,
        "last_error": job.last_error,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def _due(now: datetime) -> Any:
    """Jobs a worker may take: pending and due, or leased to a worker whose lease ran out."""
    return or_(
        and_(outbox_jobs.c.status == JobStatus.PENDING.value, outbox_jobs.c.run_at <= now),
        and_(outbox_jobs.c.status == JobStatus.RUNNING.value, outbox_jobs.c.locked_until <= now),
    )


class OutboxRepository:
    """Reads and writes outbox jobs on one connection (the caller owns the transaction)."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, job: Job) -> str:
        """Insert a job; with a ``dedupe_key`` already taken, insert nothing and return the
        id of the job holding it."""
        return self.add_many([job])[0]

    def add_many(self, jobs: Sequence[Job]) -> list[str]:
        """Insert jobs in one statement, in order; each with a ``dedupe_key`` already taken
        (or taken earlier in ``jobs``) is not inserted, and gives the id of the job holding it."""
        if not jobs:
            return []
        keyed = [job for job in jobs if job.dedupe_key is not None]
        plain = [_to_row(job) for job in jobs if job.dedupe_key is None]
        if plain:
            self._c.execute(insert(outbox_jobs).values(plain))
        holders: dict[str, str] = {}
        if keyed:
            holders = self._add_keyed(keyed)
        return [job.id if job.dedupe_key is None else holders[job.dedupe_key] for job in jobs]

    def _add_keyed(self, jobs: Sequence[Job]) -> dict[str, str]:
        """Insert de-duplicated jobs; the id holding each key."""
        first = {job.dedupe_key: job for job in reversed(jobs)}
        rows = [_to_row(job) for job in jobs if first[job.dedupe_key] is job]
        # ON CONFLICT DO NOTHING leaves the caller's transaction usable on PostgreSQL (a
        # failed INSERT would abort it) and waits for a concurrent holder of the key to
        # commit or roll back, so the ids read afterwards are committed ones.
        dialect = self._c.dialect.name
        if dialect == "postgresql":
            stmt: Any = postgresql.insert(outbox_jobs).on_conflict_do_nothing(
                index_elements=[outbox_jobs.c.dedupe_key]
            )
        elif dialect == "sqlite":
            stmt = sqlite.insert(outbox_jobs).on_conflict_do_nothing(
                index_elements=[outbox_jobs.c.dedupe_key]
            )
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise NotImplementedError(f"no de-duplicating insert for {dialect}")
        inserted = self._c.execute(
            stmt.values(rows).returning(outbox_jobs.c.id, outbox_jobs.c.dedupe_key)
        ).all()
        holders = {str(row.dedupe_key): str(row.id) for row in inserted}
        taken = [key for key in first if key not in holders]
        if taken:
            existing = self._c.execute(
                select(outbox_jobs.c.id, outbox_jobs.c.dedupe_key).where(
                    outbox_jobs.c.dedupe_key.in_(taken)
                )
            )
            holders.update({str(row.dedupe_key): str(row.id) for row in existing})
        return holders

    def claim(self, worker_id: str, now: datetime, locked_until: datetime, limit: int) -> list[Job]:
        """Lease up to ``limit`` due jobs to ``worker_id``, oldest ``run_at`` first.

        One statement: on PostgreSQL the CTE locks its rows with SKIP LOCKED, so concurrent
        workers each take different jobs without waiting on one another; SQLite ignores
        FOR UPDATE and serialises writers, which gives the same guarantee.
        """
        picked = (
            select(outbox_jobs.c.id)
            .where(_due(now))
            .order_by(outbox_jobs.c.run_at, outbox_jobs.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("picked")
        )
        stmt = (
            update(outbox_jobs)
            .where(outbox_jobs.c.id == picked.c.id)
            .where(_due(now))
            .values(
                status=JobStatus.RUNNING.value,
                locked_by=worker_id,
                locked_until=locked_until,
                # Counted at claim time, so a job that kills its worker still uses up attempts.
                attempts=outbox_jobs.c.attempts + 1,
            )
            .returning(*outbox_jobs.c)
        )
        jobs = [_to_job(row) for row in self._c.execute(stmt)]
        return sorted(jobs, key=lambda job: (job.run_at, job.id))

    def finish(self, job: Job, values: Mapping[str, Any]) -> bool:
        """Record the outcome of ``job`` as claimed; False when its lease was lost meanwhile."""
        result = self._c.execute(
            update(outbox_jobs)
            .where(
                outbox_jobs.c.id == job.id,
                outbox_jobs.c.status == JobStatus.RUNNING.value,
                outbox_jobs.c.locked_by == job.locked_by,
                outbox_jobs.c.attempts == job.attempts,
            )
            .values(**values)
        )
        return result.rowcount == 1

    def get(self, job_id: str) -> Job | None:
        """The job, or None."""
        row = self._c.execute(select(outbox_jobs).where(outbox_jobs.c.id == job_id)).first()
        return _to_job(row) if row else None

    def by_dedupe_key(self, key: str) -> Job | None:
        """The job holding ``key``, or None."""
        row = self._c.execute(select(outbox_jobs).where(outbox_jobs.c.dedupe_key == key)).first()
        return _to_job(row) if row else None

    def page(
        self,
        *,
        status: str | None = None,
        kind: str | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> list[Job]:
        """A page of jobs in id order (ids sort by creation time)."""
        query = select(outbox_jobs).order_by(outbox_jobs.c.id).limit(limit)
        if status is not None:
            query = query.where(outbox_jobs.c.status == status)
        if kind is not None:
            query = query.where(outbox_jobs.c.kind == kind)
        if after is not None:
            query = query.where(outbox_jobs.c.id > after)
        return [_to_job(row) for row in self._c.execute(query)]

    def counts(self) -> dict[str, int]:
        """How many jobs are in each status; every status is present."""
        rows = self._c.execute(
            select(outbox_jobs.c.status, func.count()).group_by(outbox_jobs.c.status)
        )
        found = {status: int(count) for status, count in rows}
        return {status.value: found.get(status.value, 0) for status in JobStatus}

    def requeue_dead(self, job_id: str, now: datetime) -> bool:
        """Give a dead job a fresh set of attempts, due now; False unless it was dead."""
        result = self._c.execute(
            update(outbox_jobs)
            .where(outbox_jobs.c.id == job_id, outbox_jobs.c.status == JobStatus.DEAD.value)
            .values(
                status=JobStatus.PENDING.value,
                attempts=0,
                run_at=now,
                locked_by=None,
                locked_until=None,
                finished_at=None,
            )
        )
        return result.rowcount == 1

    def reschedule(self, job_id: str, payload: Mapping[str, Any], run_at: datetime) -> None:
        """Replace a pending job's payload and due time."""
        self._c.execute(
            update(outbox_jobs)
            .where(outbox_jobs.c.id == job_id, outbox_jobs.c.status == JobStatus.PENDING.value)
            .values(payload=dict(payload), run_at=run_at)
        )

    def purge_done(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` jobs that finished successfully before ``before``."""
        oldest = (
            select(outbox_jobs.c.id)
            .where(
                outbox_jobs.c.status == JobStatus.DONE.value,
                outbox_jobs.c.finished_at < before,
            )
            .order_by(outbox_jobs.c.id)
            .limit(limit)
        )
        result = self._c.execute(delete(outbox_jobs).where(outbox_jobs.c.id.in_(oldest)))
        return int(result.rowcount)
