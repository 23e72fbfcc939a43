"""Operator endpoints for background work: list jobs, count them, re-queue dead ones.

Jobs are shown without their payloads: only the ids a payload names, so the console can
link a dead delivery to its recipient without this endpoint repeating event data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from gatehouse.http.deps import GatehouseDep, OperatorDep
from gatehouse.http.openapi import refusals
from gatehouse.services import outbox as outbox_service
from gatehouse.services.outbox import Job

__all__ = ["router"]

router = APIRouter(prefix="/v1/outbox", tags=["outbox"])


class JobOut(BaseModel):
    id: str
    kind: str
    status: str
    attempts: int
    max_attempts: int
    run_at: datetime
    created_at: datetime
    finished_at: datetime | None
    locked_by: str | None
    locked_until: datetime | None
    last_error: str | None
    refs: dict[str, str]


class JobPage(BaseModel):
    items: list[JobOut]
    next_cursor: str | None


class CountsOut(BaseModel):
    pending: int
    running: int
    done: int
    dead: int


def _refs(job: Job) -> dict[str, str]:
    # Identifiers only (recipient_id, webhook_id, ...): never the event data itself.
    return {
        key: value
        for key, value in job.payload.items()
        if key.endswith("_id") and isinstance(value, str)
    }


def _job_out(job: Job) -> JobOut:
    return JobOut(
        id=job.id,
        kind=job.kind,
        status=job.status.value,
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        run_at=job.run_at,
        created_at=job.created_at,
        finished_at=job.finished_at,
        locked_by=job.locked_by,
        locked_until=job.locked_until,
        last_error=job.last_error,
        refs=_refs(job),
    )


@router.get("/jobs", response_model=JobPage)
def list_jobs(
    gh: GatehouseDep,
    _: OperatorDep,
    status: Literal["pending", "running", "done", "dead"] | None = None,
    kind: Annotated[str | None, Query(max_length=60)] = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JobPage:
    """Jobs matching the filters, oldest first, a page at a time."""
    page, next_cursor = outbox_service.jobs(gh, status=status, kind=kind, after=cursor, limit=limit)
    return JobPage(items=[_job_out(job) for job in page], next_cursor=next_cursor)


@router.get("/counts", response_model=CountsOut)
def job_counts(gh: GatehouseDep, _: OperatorDep) -> CountsOut:
    """How many jobs are pending, running, done and dead."""
    return CountsOut(**outbox_service.counts(gh))


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(
    job_id: Annotated[str, Path(max_length=64)], gh: GatehouseDep, _: OperatorDep
) -> JobOut:
    """One job: where a delivery or sweep stands, and its last error; 404 for an unknown id."""
    return _job_out(outbox_service.get_job(gh, job_id))


@router.post("/jobs/{job_id}/retry", response_model=JobOut, responses=refusals(409))
def retry_job(
    job_id: Annotated[str, Path(max_length=64)], gh: GatehouseDep, _: OperatorDep
) -> JobOut:
    """Re-queue a dead job with a fresh set of attempts; 409 for a job that is not dead."""
    return _job_out(outbox_service.retry_dead(gh, job_id))
