"""Operating the outbox: look jobs up, list and count them, re-queue the dead, purge the done."""

from __future__ import annotations

from datetime import timedelta

from gatehouse.domain.errors import Conflict, InvalidInput, NotFound
from gatehouse.services.paging import split_page
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.outbox import Job, JobStatus

__all__ = ["get_job", "jobs", "counts", "retry_dead", "purge_done"]


def get_job(gh: Gatehouse, job_id: str) -> Job:
    """One job, or ``NotFound``."""
    with gh.unit_of_work(read_only=True) as uow:
        job = uow.outbox.get(job_id)
    if job is None:
        raise NotFound(f"no job with id {job_id!r}", code="job_not_found")
    return job


def jobs(
    gh: Gatehouse,
    status: str | None = None,
    kind: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> tuple[list[Job], str | None]:
    """A page of jobs, oldest first, and the cursor of the next page (None at the end)."""
    if status is not None and status not in {s.value for s in JobStatus}:
        raise InvalidInput(f"unknown job status {status!r}", code="invalid_status")
    with gh.unit_of_work(read_only=True) as uow:
        page = uow.outbox.page(status=status, kind=kind, after=after, limit=limit + 1)
    return split_page(page, limit, lambda job: job.id)


def counts(gh: Gatehouse) -> dict[str, int]:
    """How many jobs are pending, running, done and dead."""
    with gh.unit_of_work(read_only=True) as uow:
        return uow.outbox.counts()


def retry_dead(gh: Gatehouse, job_id: str) -> Job:
    """Re-queue a dead job with a fresh set of attempts, due now; ``Conflict`` unless dead."""
    with gh.unit_of_work() as uow:
        if not uow.outbox.requeue_dead(job_id, gh.clock()):
            job = uow.outbox.get(job_id)
            if job is None:
                raise NotFound(f"no job with id {job_id!r}", code="job_not_found")
            raise Conflict(
                f"only dead jobs can be retried; this one is {job.status.value}",
                code="job_not_dead",
                details={"status": job.status.value},
            )
        job = uow.outbox.get(job_id)
    assert job is not None
    return job


def purge_done(gh: Gatehouse, older_than: timedelta, *, batch: int = 1000) -> int:
    """Delete jobs that finished successfully more than ``older_than`` ago; dead ones stay.

    A unit of work per batch, so a long backlog never holds one long transaction.
    """
    cutoff = gh.clock() - older_than
    removed = 0
    while True:
        with gh.unit_of_work() as uow:
            count = uow.outbox.purge_done(cutoff, batch)
        removed += count
        if count < batch:
            return removed
