"""The worker: loads every job handler, keeps periodic work scheduled, drains the outbox.

Adding background work takes two steps, and touches nothing else here:

1. In the module that owns the work, register a handler with
   :func:`gatehouse.services.outbox.handler`::

       @handler("views.sweep")
       def sweep_views(gh: Gatehouse, job: Job) -> None: ...

2. Add that module to :data:`HANDLER_MODULES` (the worker imports nothing else), and, for
   work that recurs, add its kind and interval to :data:`PERIODIC`.

The sweeps (expired views, overdue erasures, expired retention records) live in
:mod:`gatehouse.services.sweeps`.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from datetime import timedelta

from gatehouse.services import outbox
from gatehouse.services.audit_days import keep_days
from gatehouse.services.audit_months import keep_months
from gatehouse.services.ledger import checkpoint_if_due
from gatehouse.services.outbox import DEFAULT_LEASE, Job, RunReport, handler
from gatehouse.services.runtime import Gatehouse

__all__ = [
    "CHECKPOINT_EVERY",
    "KEEP_DAYS_A_RUN",
    "DONE_JOB_RETENTION",
    "HANDLER_MODULES",
    "PERIODIC",
    "ensure_periodic",
    "load_handlers",
    "run_once",
    "run_until_idle",
    "serve_forever",
]

log = logging.getLogger("gatehouse.worker")

# Every module that registers job handlers. The worker imports these and nothing else, so
# a kind whose module is missing here is retried and then dead, never silently skipped.
HANDLER_MODULES = [
    "gatehouse.services.webhooks",
    "gatehouse.services.operator_webhook",
    "gatehouse.services.worker",
    "gatehouse.services.sweeps",
    "gatehouse.services.privacy_policy",
]

# Recurring job kinds and how often each runs. Each has exactly one live job at a time.
PERIODIC: dict[str, timedelta] = {
    # Runs more often than CHECKPOINT_EVERY so a checkpoint is never a whole period late.
    "ledger.checkpoint": timedelta(minutes=5),
    "outbox.purge": timedelta(hours=1),
    "webhook.prune_secrets": timedelta(hours=1),
    "views.sweep": timedelta(minutes=5),
    "erasures.escalate": timedelta(minutes=15),
    "retention.sweep": timedelta(hours=1),
    # Publishes a new privacy-policy version when the register or the profile changed.
    "policy.publish": timedelta(minutes=15),
}

CHECKPOINT_EVERY = timedelta(minutes=15)
# Days kept for the audit per checkpoint job: a ledger's first run catches up a month at a
# time instead of holding the job for its whole history.
KEEP_DAYS_A_RUN = 31
# Finished jobs are kept a while for the console and for de-duplication, then purged.
# Dead jobs are never purged: an operator must see them.
DONE_JOB_RETENTION = timedelta(days=30)
# How often a serving worker re-asserts the periodic schedule (cheap, idempotent).
_ENSURE_EVERY = 60.0


@handler("ledger.checkpoint")
def _checkpoint(gh: Gatehouse, job: Job) -> None:
    """Sign a ledger checkpoint when the last one is old enough and the ledger grew, then
    keep the whole days it newly covers for the audit (at most a month a run), and settle
    the months whose days are then all kept."""
    checkpoint_if_due(gh, CHECKPOINT_EVERY)
    keep_days(gh, limit=KEEP_DAYS_A_RUN)
    keep_months(gh)


@handler("outbox.purge")
def _purge(gh: Gatehouse, job: Job) -> None:
    """Delete jobs that finished successfully long ago."""
    outbox.purge_done(gh, DONE_JOB_RETENTION)


def load_handlers() -> list[str]:
    """Import every module in :data:`HANDLER_MODULES`; return the kinds now handled."""
    for name in HANDLER_MODULES:
        importlib.import_module(name)
    return outbox.known_kinds()


def ensure_periodic(gh: Gatehouse) -> None:
    """Make sure each kind in :data:`PERIODIC` has its one live job (due now if new)."""
    now = gh.clock()
    with gh.unit_of_work() as uow:
        for kind, every in PERIODIC.items():
            outbox.enqueue_periodic(uow.outbox, kind=kind, every=every, at=now)


def run_once(
    gh: Gatehouse,
    worker_id: str,
    *,
    limit: int = 50,
    lease: timedelta = DEFAULT_LEASE,
    stop: threading.Event | None = None,
) -> RunReport:
    """One pass over due jobs, with every handler loaded (see :func:`outbox.run_once`)."""
    load_handlers()
    return outbox.run_once(gh, worker_id, limit=limit, lease=lease, stop=stop)


def run_until_idle(
    gh: Gatehouse,
    worker_id: str,
    *,
    lease: timedelta = DEFAULT_LEASE,
    stop: threading.Event | None = None,
) -> RunReport:
    """Run jobs until none is due (``gatehouse worker --once``), then return the totals.

    Retries scheduled for later are not waited for; they are due on a later run.
    """
    load_handlers()
    ensure_periodic(gh)
    total = RunReport()
    while stop is None or not stop.is_set():
        report = outbox.run_once(gh, worker_id, lease=lease, stop=stop)
        total += report
        if report.total == 0:
            break
    return total


def serve_forever(
    gh: Gatehouse,
    worker_id: str,
    poll: float = 1.0,
    stop: threading.Event | None = None,
    *,
    lease: timedelta = DEFAULT_LEASE,
) -> None:
    """Drain the outbox until ``stop`` is set, sleeping ``poll`` seconds only when idle.

    ``stop`` is checked between jobs, so setting it (on SIGTERM) lets the current job
    finish. A failing database is retried after ``poll`` rather than ending the worker.
    """
    load_handlers()
    stop = stop or threading.Event()
    next_ensure = 0.0
    while not stop.is_set():
        try:
            if time.monotonic() >= next_ensure:
                ensure_periodic(gh)
                next_ensure = time.monotonic() + _ENSURE_EVERY
            report = outbox.run_once(gh, worker_id, lease=lease, stop=stop)
        except Exception as exc:  # the database may be restarting; try again shortly
            log.error("worker pass failed: %s", type(exc).__name__)
            stop.wait(poll)
            continue
        if report.total == 0:
            stop.wait(poll)
