"""The transactional outbox: background work that commits or rolls back with its cause.

A use case calls :func:`enqueue` with its unit of work's ``outbox`` (older code passes its
connection), inside the transaction that makes the change, so the job exists exactly when the
change does. ``gatehouse worker`` drains the
outbox: it claims due jobs under a lease, runs the handler registered for each kind, and
records the outcome.

* A handler returning normally marks the job ``done``.
* :class:`PermanentFailure` marks it ``dead`` at once (nothing would change on a retry).
* Any other exception schedules a retry with exponential backoff and full jitter; after
  ``max_attempts`` the job is ``dead``. Dead jobs stay listed until an operator re-queues
  them: nothing is ever dropped silently.
* A worker that dies mid-job leaves its job ``running``; when the lease runs out another
  worker claims it again. Delivery is therefore at least once, and handlers must be
  idempotent (webhooks carry a stable ``webhook-id`` for exactly that).

Recurring work (:func:`enqueue_periodic`) keeps exactly one live job per kind: the job holds
the key ``periodic:<kind>``, and the transaction that finishes it hands the key to its
successor, due one interval later. Looking jobs up, re-queueing and purging them live in
``outbox_admin`` and are re-exported here.
"""

from __future__ import annotations

import json
import logging
import random
import re
import secrets
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from gatehouse.services.outbox_admin import counts, get_job, jobs, purge_done, retry_dead
from gatehouse.services.ports import Outbox
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.outbox import Job, JobStatus, OutboxRepository
from gatehouse.store.outbox_tables import (
    DEDUPE_KEY_LENGTH,
    ERROR_LENGTH,
    KIND_LENGTH,
    WORKER_ID_LENGTH,
)

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "DEFAULT_LEASE",
    "DEFAULT_MAX_ATTEMPTS",
    "PERIODIC_PREFIX",
    "Handler",
    "Job",
    "JobStatus",
    "PermanentFailure",
    "RetryLater",
    "RunReport",
    "backoff_delay",
    "claim",
    "counts",
    "enqueue",
    "enqueue_many",
    "enqueue_periodic",
    "get_job",
    "handler",
    "jobs",
    "known_kinds",
    "new_job",
    "purge_done",
    "retry_dead",
    "run_once",
]

log = logging.getLogger("gatehouse.worker")

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=6)
DEFAULT_LEASE = timedelta(seconds=60)
DEFAULT_MAX_ATTEMPTS = 8
PERIODIC_PREFIX = "periodic:"
# A payload is a handful of ids; anything near this size is carrying data it should not.
MAX_PAYLOAD_BYTES = 16 * 1024

_KIND = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
# Where the jitter's random fraction comes from; not security-sensitive, and tests fix it.
_jitter: Callable[[], float] = random.random


class PermanentFailure(Exception):
    """Raised by a handler when retrying cannot help; the job becomes ``dead`` at once.

    The message is stored as the job's ``last_error``: keep it short and free of PII.
    """


class RetryLater(Exception):
    """Raised by a handler for a failure worth retrying, with a message safe to store.

    Any other exception is retried too, but only its type name is stored, because arbitrary
    messages may quote personal data or a response body.
    """


Handler = Callable[[Gatehouse, Job], None]
_HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Decorator: run ``fn(gh, job)`` for jobs of ``kind``. One handler per kind."""
    _check_kind(kind)

    def register(fn: Handler) -> Handler:
        if kind in _HANDLERS and _HANDLERS[kind] is not fn:
            raise ValueError(f"a handler for job kind '{kind}' is already registered")
        _HANDLERS[kind] = fn
        return fn

    return register


def known_kinds() -> list[str]:
    """Every job kind with a registered handler, sorted."""
    return sorted(_HANDLERS)


def _check_kind(kind: str) -> None:
    if len(kind) > KIND_LENGTH or not _KIND.fullmatch(kind):
        raise ValueError(f"job kind must look like 'area.action', got {kind!r}")


# -- enqueueing -------------------------------------------------------------------------


def _new_job_id(at: datetime) -> str:
    # Time first, so ids sort by creation and serve as the listing cursor.
    millis = int(at.timestamp() * 1000)
    return f"job_{millis:012x}{secrets.token_hex(8)}"


def _jobs(where: Outbox | Connection) -> Outbox:
    return OutboxRepository(where) if isinstance(where, Connection) else where


def new_job(
    *,
    kind: str,
    payload: Mapping[str, Any],
    at: datetime,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Job:
    """A pending job, checked: a known shape of kind, a bounded JSON payload and attempts."""
    _check_kind(kind)
    if dedupe_key is not None and not 0 < len(dedupe_key) <= DEDUPE_KEY_LENGTH:
        raise ValueError(f"dedupe_key must be 1 to {DEDUPE_KEY_LENGTH} characters")
    if not 1 <= max_attempts <= 100:
        raise ValueError("max_attempts must be between 1 and 100")
    body = dict(payload)
    if len(json.dumps(body, separators=(",", ":"))) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"a job payload must stay under {MAX_PAYLOAD_BYTES} bytes")
    return Job(
        id=_new_job_id(at),
        kind=kind,
        payload=body,
        dedupe_key=dedupe_key,
        status=JobStatus.PENDING,
        attempts=0,
        max_attempts=max_attempts,
        run_at=run_at or at,
        locked_by=None,
        locked_until=None,
        last_error=None,
        created_at=at,
        finished_at=None,
    )


def enqueue(
    where: Outbox | Connection,
    *,
    kind: str,
    payload: Mapping[str, Any],
    at: datetime,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> str:
    """Add a job inside the caller's transaction and return its id.

    ``where`` is the caller's unit of work's ``outbox`` (or a connection, from older code).
    ``payload`` must be JSON and hold ids, not personal data. With a ``dedupe_key`` that a
    job already holds, nothing is added and that job's id is returned.
    """
    job = new_job(
        kind=kind,
        payload=payload,
        at=at,
        run_at=run_at,
        dedupe_key=dedupe_key,
        max_attempts=max_attempts,
    )
    return _jobs(where).add(job)


def enqueue_many(where: Outbox | Connection, jobs: Sequence[Job]) -> list[str]:
    """Add jobs made by :func:`new_job` in one statement; their ids, in order, as
    :func:`enqueue` gives each."""
    return _jobs(where).add_many(jobs)


def _every(payload: Mapping[str, Any]) -> timedelta | None:
    seconds = payload.get("every_seconds")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0:
        return timedelta(seconds=seconds)
    return None


def enqueue_periodic(
    where: Outbox | Connection,
    *,
    kind: str,
    every: timedelta,
    at: datetime,
    run_at: datetime | None = None,
) -> str:
    """Make sure one live job of ``kind`` recurs every ``every``; return its id.

    When the live job already exists this changes nothing, except that a changed interval
    replaces the stored one (and brings the next run forward if it is now due sooner).
    """
    if every <= timedelta(0):
        raise ValueError("a periodic interval must be positive")
    key = PERIODIC_PREFIX + kind
    payload = {"every_seconds": every.total_seconds()}
    repo = _jobs(where)
    job_id = enqueue(repo, kind=kind, payload=payload, at=at, run_at=run_at, dedupe_key=key)
    live = repo.by_dedupe_key(key)
    if live is not None and live.status is JobStatus.PENDING and _every(live.payload) != every:
        repo.reschedule(live.id, payload, min(live.run_at, at + every))
    return job_id


# -- running ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunReport:
    """What one pass of the worker did."""

    done: int = 0
    retried: int = 0
    dead: int = 0

    @property
    def total(self) -> int:
        """How many jobs the pass finished, one way or another."""
        return self.done + self.retried + self.dead

    def __add__(self, other: RunReport) -> RunReport:
        return RunReport(
            self.done + other.done, self.retried + other.retried, self.dead + other.dead
        )


def backoff_delay(attempts: int, *, fraction: float | None = None) -> timedelta:
    """Delay before retry number ``attempts``: full jitter over an exponential ceiling.

    The ceiling is 30 s, 60 s, 120 s, ... capped at 6 h; the delay is a uniform fraction of
    it, so many jobs failing together (one recipient down) spread out instead of returning
    in a herd. ``fraction`` fixes the random part, for tests.
    """
    exponent = min(max(attempts - 1, 0), 30)
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2**exponent))
    share = _jitter() if fraction is None else fraction
    delay: timedelta = ceiling * min(max(share, 0.0), 1.0)
    return delay


def claim(gh: Gatehouse, worker_id: str, limit: int, lease: timedelta = DEFAULT_LEASE) -> list[Job]:
    """Lease up to ``limit`` due jobs to ``worker_id`` for ``lease``, and return them.

    Due means pending with ``run_at`` reached, or running under a lease that has run out
    (its worker crashed or hung). Concurrent workers never receive the same job.
    """
    if not 0 < len(worker_id) <= WORKER_ID_LENGTH:
        raise ValueError(f"worker id must be 1 to {WORKER_ID_LENGTH} characters")
    if limit < 1 or lease <= timedelta(0):
        raise ValueError("limit and lease must be positive")
    now = gh.clock()
    with gh.unit_of_work() as uow:
        return uow.outbox.claim(worker_id, now, now + lease, limit)


def _short(message: str) -> str:
    text = " ".join(message.split())
    return text if len(text) <= ERROR_LENGTH else text[: ERROR_LENGTH - 1] + "…"


def _error_text(exc: Exception) -> str:
    if isinstance(exc, PermanentFailure | RetryLater) and str(exc):
        return _short(str(exc))
    return _short(type(exc).__name__)


def _finish(gh: Gatehouse, job: Job, status: JobStatus, values: Mapping[str, Any]) -> bool:
    """Store a job's outcome; a periodic job that ends hands its key to its successor."""
    now = gh.clock()
    changes = {"status": status.value, "locked_by": None, "locked_until": None, **values}
    every = _every(job.payload)
    recurring = job.dedupe_key is not None and job.dedupe_key.startswith(PERIODIC_PREFIX)
    ends = status in (JobStatus.DONE, JobStatus.DEAD)
    if recurring and ends:
        changes["dedupe_key"] = None
    with gh.unit_of_work() as uow:
        if not uow.outbox.finish(job, changes):
            return False
        if recurring and ends and every is not None:
            enqueue_periodic(uow.outbox, kind=job.kind, every=every, at=now, run_at=now + every)
    return True


def _run(gh: Gatehouse, job: Job) -> str:
    """Run one claimed job and record its outcome: 'done', 'retried', 'dead' or 'lost'."""
    if job.attempts > job.max_attempts:
        # Its worker vanished during the last allowed attempt.
        outcome = JobStatus.DEAD, {"finished_at": gh.clock(), "last_error": "worker lost"}
        return "dead" if _finish(gh, job, *outcome) else "lost"
    run = _HANDLERS.get(job.kind)
    try:
        if run is None:
            # Retried, not dropped: a worker on newer code may know this kind.
            raise RetryLater(f"no handler registered for job kind '{job.kind}'")
        run(gh, job)
    except PermanentFailure as exc:
        log.warning("job %s (%s) failed permanently: %s", job.id, job.kind, _error_text(exc))
        values = {"finished_at": gh.clock(), "last_error": _error_text(exc)}
        return "dead" if _finish(gh, job, JobStatus.DEAD, values) else "lost"
    except Exception as exc:
        error = _error_text(exc)
        if job.attempts >= job.max_attempts:
            log.warning("job %s (%s) is dead after %d attempts", job.id, job.kind, job.attempts)
            values = {"finished_at": gh.clock(), "last_error": error}
            return "dead" if _finish(gh, job, JobStatus.DEAD, values) else "lost"
        log.info("job %s (%s) attempt %d failed: %s", job.id, job.kind, job.attempts, error)
        retry_at = gh.clock() + backoff_delay(job.attempts)
        values = {"run_at": retry_at, "last_error": error}
        return "retried" if _finish(gh, job, JobStatus.PENDING, values) else "lost"
    done = {"finished_at": gh.clock(), "last_error": None}
    return "done" if _finish(gh, job, JobStatus.DONE, done) else "lost"


def run_once(
    gh: Gatehouse,
    worker_id: str,
    *,
    limit: int = 50,
    lease: timedelta = DEFAULT_LEASE,
    stop: threading.Event | None = None,
) -> RunReport:
    """Run up to ``limit`` due jobs, one at a time; stop early when ``stop`` is set.

    Jobs are claimed one by one, so each lease covers only the job being run and a slow job
    never lets the leases of jobs queued behind it expire. Handlers must already be
    registered: :func:`gatehouse.services.worker.load_handlers` imports them all.
    """
    counted = {"done": 0, "retried": 0, "dead": 0, "lost": 0}
    for _ in range(limit):
        if stop is not None and stop.is_set():
            break
        claimed = claim(gh, worker_id, 1, lease)
        if not claimed:
            break
        counted[_run(gh, claimed[0])] += 1
    return RunReport(counted["done"], counted["retried"], counted["dead"])
