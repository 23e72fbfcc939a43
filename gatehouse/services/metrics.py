"""What the database says for ``/metrics``: backlogs, overdue work, today's decisions.

Read at scrape time in one short read-only transaction, and kept for a few seconds, so a burst
of scrapes (or many Prometheus servers) costs the database one read per few seconds per
process. Every number is a count or a time: no subject, recipient, order or request id, and
no value a person typed, ever leaves this module.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from gatehouse.services.runtime import Gatehouse
from gatehouse.store.metrics import MetricsRepository

__all__ = [
    "DEFAULT_TTL_S",
    "READ_TIMEOUT_MS",
    "DecisionCount",
    "OperationsReading",
    "OperationsReadings",
    "start_of_day",
    "read_operations",
]

_log = logging.getLogger(__name__)

# How long one reading serves scrapes: shorter than any sensible scrape interval.
DEFAULT_TTL_S = 5.0
# A scrape must answer even when the database is slow or a migration holds a lock.
READ_TIMEOUT_MS = 2000


@dataclass(frozen=True, order=True)
class DecisionCount:
    """How many transfer decisions of one outcome had one reason (refusal code or basis)."""

    outcome: str
    reason: str
    count: int


@dataclass(frozen=True)
class OperationsReading:
    """One consistent reading of the database, as of ``read_at`` on Gatehouse's clock."""

    read_at: datetime
    # Decisions are counted from midnight UTC of ``read_at``'s day (see ``start_of_day``).
    decisions_since: datetime
    decisions: tuple[DecisionCount, ...]
    outbox_jobs: Mapping[str, int]
    outbox_oldest_due: datetime | None
    requests_pending: int
    requests_overdue: int
    erasures_pending: int
    erasures_overdue: int
    checkpoint_sequence: int | None
    checkpoint_at: datetime | None


def start_of_day(now: datetime) -> datetime:
    """Midnight UTC of ``now``'s day: the start of the decisions' counting window.

    The window keeps the read on the ``decided_at`` index: counting every decision ever made
    would walk the whole transfers table on each scrape.
    """
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


@contextmanager
def _read_only(engine: Engine) -> Iterator[Connection]:
    """One read-only snapshot, bounded in time on PostgreSQL, always rolled back."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            connection.begin()
            # SET LOCAL: the limits end with this transaction, not with the pooled session.
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {READ_TIMEOUT_MS}")
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {READ_TIMEOUT_MS}")
        else:
            # pysqlite begins only at a write; BEGIN holds one snapshot for all the reads.
            connection.exec_driver_sql("BEGIN")
        try:
            yield connection
        finally:
            connection.rollback()


def read_operations(gh: Gatehouse) -> OperationsReading:
    """Read the operations counts in one snapshot; database errors propagate."""
    now = gh.clock()
    since = start_of_day(now)
    with _read_only(gh.engine) as connection:
        store = MetricsRepository(connection)
        decisions = store.decisions_since(since)
        jobs = store.open_jobs()
        oldest_due = store.oldest_due_job(now)
        requests_pending, requests_overdue = store.pending_requests(now)
        erasures_pending, erasures_overdue = store.outstanding_erasures(now)
        checkpoint = store.latest_checkpoint()
    return OperationsReading(
        read_at=now,
        decisions_since=since,
        decisions=tuple(
            sorted(
                DecisionCount("allowed" if allowed else "refused", reason, count)
                for allowed, reason, count in decisions
            )
        ),
        outbox_jobs=jobs,
        outbox_oldest_due=oldest_due,
        requests_pending=requests_pending,
        requests_overdue=requests_overdue,
        erasures_pending=erasures_pending,
        erasures_overdue=erasures_overdue,
        checkpoint_sequence=None if checkpoint is None else checkpoint[0],
        checkpoint_at=None if checkpoint is None else checkpoint[1],
    )


class OperationsReadings:
    """The latest reading, refreshed at most once per ``ttl_s`` by one thread at a time.

    A failed read is kept for the same time as a good one: a database that does not answer
    must not be asked again by every scrape that arrives meanwhile.
    """

    def __init__(
        self,
        gh: Gatehouse,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._gh = gh
        self._ttl_s = ttl_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._reading: OperationsReading | None = None
        self._expires = float("-inf")
        # How many times the database was asked: what the cache is there to keep small.
        self.reads = 0

    def current(self) -> OperationsReading | None:
        """The reading to report, or None when the database did not answer the last read."""
        with self._lock:
            if self._monotonic() >= self._expires:
                self._reading = self._read()
                self._expires = self._monotonic() + self._ttl_s
            return self._reading

    def _read(self) -> OperationsReading | None:
        self.reads += 1
        try:
            return read_operations(self._gh)
        except SQLAlchemyError as exc:
            # The class only: a driver's message may quote a statement.
            _log.warning("metrics: the database read failed (%s)", type(exc).__name__)
            return None
