"""The transactional outbox on real databases: atomic enqueue, dedupe, claims, leases, periodic."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Table, event, func, insert, select

from gatehouse.domain.errors import Conflict, InvalidInput, NotFound
from gatehouse.services import outbox, worker
from gatehouse.services.outbox import Job, JobStatus, PermanentFailure, RetryLater, handler
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.outbox import OutboxRepository
from gatehouse.store.outbox_tables import outbox_jobs
from gatehouse.store.tables import metadata, vault_secrets
from tests.conftest import Fresh

# -- handlers used by these tests ---------------------------------------------------------

RAN: list[str] = []
STOPPED = threading.Event()


@handler("test.echo")
def _echo(gh: Gatehouse, job: Job) -> None:
    RAN.append(job.id)


@handler("test.fails")
def _fails(gh: Gatehouse, job: Job) -> None:
    # The message quotes "personal data": only the exception's type may be stored.
    raise ValueError("could not reach 홍길동 at 010-1234-5678")


@handler("test.refuses")
def _refuses(gh: Gatehouse, job: Job) -> None:
    raise PermanentFailure("the target is gone")


@handler("test.later")
def _later(gh: Gatehouse, job: Job) -> None:
    raise RetryLater("HTTP 503")


@handler("test.stopper")
def _stopper(gh: Gatehouse, job: Job) -> None:
    STOPPED.set()


@pytest.fixture
def gh(fresh: Fresh) -> Iterator[Gatehouse]:
    worker.load_handlers()
    yield fresh.gatehouse


def _enqueue(gh: Gatehouse, kind: str = "test.echo", **options: Any) -> str:
    with gh.engine.begin() as connection:
        return outbox.enqueue(
            connection, kind=kind, payload={"thing_id": "thg_1"}, at=gh.clock(), **options
        )


def _job(gh: Gatehouse, job_id: str) -> Job:
    return outbox.get_job(gh, job_id)


def _count(gh: Gatehouse) -> int:
    with gh.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(outbox_jobs)).scalar_one())


# -- schema -------------------------------------------------------------------------------

OUR_TABLES = {"outbox_jobs", "webhook_previous_secrets"}


def _touches_ours(difference: Any) -> bool:
    parts = difference[0] if isinstance(difference, list) else difference
    for part in parts[1:]:
        table = part if isinstance(part, Table) else getattr(part, "table", None)
        name = table.name if isinstance(table, Table) else part
        if isinstance(name, str) and name in OUR_TABLES:
            return True
    return False


def test_migration_matches_the_outbox_tables(gh: Gatehouse) -> None:
    with gh.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert [d for d in differences if _touches_ours(d)] == []


# -- enqueue ------------------------------------------------------------------------------


def test_a_job_exists_only_if_its_transaction_commits(gh: Gatehouse) -> None:
    with gh.engine.connect() as connection:
        transaction = connection.begin()
        outbox.enqueue(connection, kind="test.echo", payload={}, at=gh.clock())
        connection.execute(
            insert(vault_secrets).values(name="t", kek_id="k", wrapped=b"x", created_at=gh.clock())
        )
        transaction.rollback()
    assert _count(gh) == 0

    with pytest.raises(RuntimeError), gh.engine.begin() as connection:
        outbox.enqueue(connection, kind="test.echo", payload={}, at=gh.clock())
        raise RuntimeError("the change that caused the job failed")
    assert _count(gh) == 0

    with gh.engine.begin() as connection:
        job_id = outbox.enqueue(connection, kind="test.echo", payload={}, at=gh.clock())
        # Not visible to anyone else until the cause commits.
        assert outbox.counts(gh)["pending"] == 0
    assert outbox.counts(gh)["pending"] == 1
    assert _job(gh, job_id).status is JobStatus.PENDING


def test_duplicate_dedupe_key_is_a_no_op_returning_the_first_id(gh: Gatehouse) -> None:
    first = _enqueue(gh, dedupe_key="erasure:era_1")
    assert _enqueue(gh, dedupe_key="erasure:era_1") == first
    with gh.engine.begin() as connection:
        again = outbox.enqueue(
            connection, kind="test.echo", payload={}, at=gh.clock(), dedupe_key="erasure:era_1"
        )
        # The transaction is still usable after the duplicate (no aborted transaction).
        other = outbox.enqueue(
            connection, kind="test.echo", payload={}, at=gh.clock(), dedupe_key="erasure:era_2"
        )
    assert again == first and other != first
    # Jobs without a key never collide.
    assert _enqueue(gh) != _enqueue(gh)
    assert _count(gh) == 4


def test_enqueue_many_is_one_insert_that_keeps_order_and_dedupes(gh: Gatehouse) -> None:
    held = _enqueue(gh, dedupe_key="erasure:era_1")
    at = gh.clock()

    def job(key: str | None) -> Job:
        return outbox.new_job(kind="test.echo", payload={"key": key}, at=at, dedupe_key=key)

    jobs = [job("erasure:era_2"), job(None), job("erasure:era_1"), job("erasure:era_2")]
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]).split()[0].upper())

    event.listen(gh.engine, "before_cursor_execute", record)
    try:
        with gh.engine.begin() as connection:
            ids = outbox.enqueue_many(connection, jobs)
    finally:
        event.remove(gh.engine, "before_cursor_execute", record)
    # The new keyed job, the plain one, the key held before, and the first job's id again.
    assert ids == [jobs[0].id, jobs[1].id, held, jobs[0].id]
    # One insert per kind of row (plain, keyed) and one read of the keys already held.
    assert seen.count("INSERT") == 2 and seen.count("SELECT") == 1
    assert _count(gh) == 3
    stored = _job(gh, jobs[0].id)
    assert stored.payload == {"key": "erasure:era_2"} and stored.status is JobStatus.PENDING
    with gh.engine.begin() as connection:
        assert outbox.enqueue_many(connection, []) == []


def test_enqueue_refuses_bad_input(gh: Gatehouse) -> None:
    with gh.engine.begin() as connection:
        with pytest.raises(ValueError):
            outbox.enqueue(connection, kind="NoDot", payload={}, at=gh.clock())
        with pytest.raises(ValueError):
            outbox.enqueue(connection, kind="test.echo", payload={}, at=gh.clock(), max_attempts=0)
        with pytest.raises(ValueError):
            outbox.enqueue(
                connection, kind="test.echo", payload={"blob": "x" * 20000}, at=gh.clock()
            )


# -- claiming -----------------------------------------------------------------------------


def test_concurrent_workers_never_claim_the_same_job(gh: Gatehouse) -> None:
    expected = {_enqueue(gh) for _ in range(120)}
    workers = 6
    barrier = threading.Barrier(workers)
    claimed: dict[str, list[str]] = {f"w{n}": [] for n in range(workers)}
    errors: list[BaseException] = []

    def drain(name: str) -> None:
        try:
            barrier.wait()
            while batch := outbox.claim(gh, name, 3, timedelta(seconds=60)):
                claimed[name].extend(job.id for job in batch)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=drain, args=(name,)) for name in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    every = [job_id for ids in claimed.values() for job_id in ids]
    assert len(every) == len(set(every)), "a job was claimed twice"
    assert set(every) == expected
    assert sum(1 for ids in claimed.values() if ids) > 1, "only one worker got any job"


def test_a_job_whose_lease_expired_is_claimed_again(fresh: Fresh, gh: Gatehouse) -> None:
    job_id = _enqueue(gh)
    [first] = outbox.claim(gh, "worker-a", 10, timedelta(seconds=60))
    assert first.id == job_id and first.attempts == 1 and first.locked_by == "worker-a"
    # Leased: nobody else may take it, even much later within the lease.
    fresh.clock.advance(seconds=59)
    assert outbox.claim(gh, "worker-b", 10, timedelta(seconds=60)) == []
    fresh.clock.advance(seconds=2)
    [second] = outbox.claim(gh, "worker-b", 10, timedelta(seconds=60))
    assert second.id == job_id and second.attempts == 2 and second.locked_by == "worker-b"
    # The first worker comes back late: its outcome must not overwrite the new claim.
    with gh.engine.begin() as connection:
        stale = OutboxRepository(connection).finish(first, {"status": "done"})
    assert stale is False
    assert _job(gh, job_id).status is JobStatus.RUNNING
    assert outbox.run_once(gh, "worker-b").total == 0  # still leased to worker-b


def test_a_lost_last_attempt_makes_the_job_dead(fresh: Fresh, gh: Gatehouse) -> None:
    job_id = _enqueue(gh, max_attempts=1)
    outbox.claim(gh, "crashed", 1, timedelta(seconds=5))
    fresh.clock.advance(seconds=6)
    report = outbox.run_once(gh, "survivor")
    assert report.dead == 1 and job_id not in RAN
    job = _job(gh, job_id)
    assert job.status is JobStatus.DEAD and job.last_error == "worker lost"


# -- outcomes -----------------------------------------------------------------------------


def test_success_permanent_failure_and_retry(fresh: Fresh, gh: Gatehouse) -> None:
    ok = _enqueue(gh, "test.echo")
    refused = _enqueue(gh, "test.refuses")
    failing = _enqueue(gh, "test.fails")
    report = outbox.run_once(gh, "w")
    assert (report.done, report.retried, report.dead) == (1, 1, 1)
    assert ok in RAN and _job(gh, ok).status is JobStatus.DONE
    assert _job(gh, ok).finished_at == fresh.clock()

    dead = _job(gh, refused)
    assert dead.status is JobStatus.DEAD and dead.attempts == 1
    assert dead.last_error == "the target is gone"

    retried = _job(gh, failing)
    assert retried.status is JobStatus.PENDING and retried.attempts == 1
    assert retried.last_error == "ValueError"  # never the message, which may carry PII
    assert fresh.clock() <= retried.run_at <= fresh.clock() + timedelta(seconds=30)
    assert retried.locked_by is None and retried.locked_until is None


def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    ceilings = [outbox.backoff_delay(n, fraction=1.0) for n in range(1, 16)]
    assert ceilings[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert max(ceilings) == timedelta(hours=6) == ceilings[-1]
    assert outbox.backoff_delay(3, fraction=0.0) == timedelta(0)
    for attempt in range(1, 12):
        delay = outbox.backoff_delay(attempt)
        assert timedelta(0) <= delay <= outbox.backoff_delay(attempt, fraction=1.0)


def test_failing_job_becomes_dead_after_max_attempts_and_can_be_retried(
    fresh: Fresh, gh: Gatehouse
) -> None:
    job_id = _enqueue(gh, "test.later", max_attempts=3)
    for attempt in (1, 2, 3):
        assert outbox.run_once(gh, "w").total == 1
        job = _job(gh, job_id)
        assert job.attempts == attempt and job.last_error == "HTTP 503"
        # Nothing runs before the backoff ends; the clock is moved, nothing sleeps.
        assert outbox.run_once(gh, "w").total == 0
        fresh.clock.now = job.run_at + timedelta(seconds=1)
    job = _job(gh, job_id)
    assert job.status is JobStatus.DEAD and job.finished_at is not None
    assert outbox.counts(gh)["dead"] == 1
    dead, _ = outbox.jobs(gh, status="dead")
    assert [j.id for j in dead] == [job_id]

    requeued = outbox.retry_dead(gh, job_id)
    assert requeued.status is JobStatus.PENDING and requeued.attempts == 0
    assert requeued.run_at == fresh.clock()
    with pytest.raises(Conflict) as refused:
        outbox.retry_dead(gh, job_id)
    assert refused.value.code == "job_not_dead"
    with pytest.raises(NotFound):
        outbox.retry_dead(gh, "job_missing")


def test_a_kind_without_handler_is_retried_not_dropped(gh: Gatehouse) -> None:
    job_id = _enqueue(gh, "test.unhandled")
    assert outbox.run_once(gh, "w").retried == 1
    job = _job(gh, job_id)
    assert job.status is JobStatus.PENDING
    assert job.last_error == "no handler registered for job kind 'test.unhandled'"


def test_listing_pages_and_filters(fresh: Fresh, gh: Gatehouse) -> None:
    ids = []
    for _ in range(5):
        ids.append(_enqueue(gh, "test.echo"))
        fresh.clock.advance(milliseconds=2)
    other = _enqueue(gh, "test.refuses")
    first, cursor = outbox.jobs(gh, kind="test.echo", limit=3)
    assert [j.id for j in first] == ids[:3] and cursor == ids[2]
    rest, end = outbox.jobs(gh, kind="test.echo", after=cursor, limit=3)
    assert [j.id for j in rest] == ids[3:] and end is None
    assert [j.id for j in outbox.jobs(gh, kind="test.refuses")[0]] == [other]
    assert outbox.counts(gh) == {"pending": 6, "running": 0, "done": 0, "dead": 0}
    with pytest.raises(InvalidInput):
        outbox.jobs(gh, status="lost")


# -- periodic work ------------------------------------------------------------------------


def _live_periodic(gh: Gatehouse) -> dict[str, list[Job]]:
    with gh.engine.connect() as connection:
        rows = connection.execute(
            select(outbox_jobs.c.id).where(outbox_jobs.c.status.in_(["pending", "running"]))
        ).all()
    live: dict[str, list[Job]] = {}
    for row in rows:
        job = _job(gh, row.id)
        live.setdefault(job.kind, []).append(job)
    return live


def test_periodic_jobs_keep_exactly_one_future_run(fresh: Fresh, gh: Gatehouse) -> None:
    worker.ensure_periodic(gh)
    worker.ensure_periodic(gh)  # idempotent
    for _ in range(6):
        live = _live_periodic(gh)
        assert set(live) == set(worker.PERIODIC)
        assert all(len(jobs) == 1 for jobs in live.values())
        worker.run_once(gh, "w")
        worker.ensure_periodic(gh)
        now = fresh.clock()
        live = _live_periodic(gh)
        assert set(live) == set(worker.PERIODIC)
        for kind, jobs in live.items():
            [job] = jobs
            assert job.status is JobStatus.PENDING and job.run_at > now
            assert job.dedupe_key == f"periodic:{kind}"
        fresh.clock.advance(hours=1, seconds=1)
    done, _ = outbox.jobs(gh, status="done", kind="ledger.checkpoint", limit=100)
    assert len(done) >= 6 and all(job.dedupe_key is None for job in done)


def test_a_periodic_job_that_dies_still_schedules_its_successor(
    fresh: Fresh, gh: Gatehouse
) -> None:
    with gh.engine.begin() as connection:
        outbox.enqueue_periodic(
            connection, kind="test.refuses", every=timedelta(minutes=10), at=gh.clock()
        )
    assert outbox.run_once(gh, "w").dead == 1
    dead, _ = outbox.jobs(gh, status="dead")
    pending, _ = outbox.jobs(gh, status="pending")
    assert len(dead) == 1 and len(pending) == 1
    assert pending[0].run_at == fresh.clock() + timedelta(minutes=10)
    assert pending[0].dedupe_key == "periodic:test.refuses"
    # Re-queuing the dead run does not make a second schedule.
    outbox.retry_dead(gh, dead[0].id)
    outbox.run_once(gh, "w")
    pending, _ = outbox.jobs(gh, status="pending")
    assert len(pending) == 1


def test_a_changed_interval_replaces_the_stored_one(fresh: Fresh, gh: Gatehouse) -> None:
    start = fresh.clock()
    with gh.engine.begin() as connection:
        first = outbox.enqueue_periodic(
            connection, kind="test.echo", every=timedelta(hours=6), at=start, run_at=start
        )
    outbox.run_once(gh, "w")
    with gh.engine.begin() as connection:
        again = outbox.enqueue_periodic(
            connection, kind="test.echo", every=timedelta(minutes=5), at=start
        )
    job = _job(gh, again)
    assert again != first
    assert job.payload["every_seconds"] == 300
    assert job.run_at == start + timedelta(minutes=5)


def test_done_jobs_are_purged_after_retention_but_dead_ones_stay(
    fresh: Fresh, gh: Gatehouse
) -> None:
    done = _enqueue(gh, "test.echo")
    dead = _enqueue(gh, "test.refuses")
    outbox.run_once(gh, "w")
    fresh.clock.advance(days=31)
    assert outbox.purge_done(gh, worker.DONE_JOB_RETENTION, batch=1) == 1
    with pytest.raises(NotFound):
        outbox.get_job(gh, done)
    assert _job(gh, dead).status is JobStatus.DEAD


def test_serve_forever_stops_after_the_current_job(gh: Gatehouse) -> None:
    STOPPED.clear()
    # Due a little earlier than anything else, so it is the first job taken.
    _enqueue(gh, "test.stopper", run_at=gh.clock() - timedelta(seconds=1))
    follower = _enqueue(gh, "test.echo")
    thread = threading.Thread(
        target=worker.serve_forever, args=(gh, "serving"), kwargs={"stop": STOPPED}
    )
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    # The stop came during the first job: it finished, and nothing after it was started.
    assert outbox.counts(gh)["running"] == 0
    assert _job(gh, follower).status is JobStatus.PENDING
