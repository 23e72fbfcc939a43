"""The outbox: queueing, leasing, outcomes and periodic jobs, on the in-memory unit of work."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gatehouse.services import outbox
from gatehouse.services.outbox import Job, JobStatus, PermanentFailure, RetryLater
from gatehouse.services.runtime import Gatehouse
from tests.support.fake_world import World, new_world

RAN: list[str] = []


@outbox.handler("fake.ok")
def _ok(gh: Gatehouse, job: Job) -> None:
    RAN.append(job.id)


@outbox.handler("fake.flaky")
def _flaky(gh: Gatehouse, job: Job) -> None:
    raise RetryLater("the endpoint answered 503")


@outbox.handler("fake.leaky")
def _leaky(gh: Gatehouse, job: Job) -> None:
    raise KeyError("010-1234-5678")  # a message that must not be stored


@outbox.handler("fake.hopeless")
def _hopeless(gh: Gatehouse, job: Job) -> None:
    raise PermanentFailure("HTTP 410 Gone")


@pytest.fixture
def w() -> World:
    RAN.clear()
    return new_world()


def queue(w: World, kind: str, **options: object) -> str:
    with w.gh.unit_of_work() as uow:
        return outbox.enqueue(uow.outbox, kind=kind, payload={}, at=w.clock(), **options)  # type: ignore[arg-type]


def stored(w: World, job_id: str) -> Job:
    return w.db.tables.jobs[job_id]


def test_a_dedupe_key_holds_one_job_and_a_rolled_back_cause_queues_none(w: World) -> None:
    first = queue(w, "fake.ok", dedupe_key="webhook:rcp_1:era_1")
    again = queue(w, "fake.ok", dedupe_key="webhook:rcp_1:era_1")
    assert first == again and len(w.db.tables.jobs) == 1

    with pytest.raises(RuntimeError), w.gh.unit_of_work() as uow:
        outbox.enqueue(uow.outbox, kind="fake.ok", payload={}, at=w.clock())
        raise RuntimeError("the cause failed")
    assert len(w.db.tables.jobs) == 1


@pytest.mark.parametrize(
    "options",
    [
        {"kind": "NoDot"},
        {"kind": "fake.ok", "max_attempts": 0},
        {"kind": "fake.ok", "dedupe_key": ""},
        {"kind": "fake.ok", "payload": {"blob": "x" * 20_000}},
    ],
)
def test_bad_jobs_are_refused(w: World, options: dict[str, object]) -> None:
    fields: dict[str, object] = {"payload": {}, "at": w.clock(), **options}
    with pytest.raises(ValueError), w.gh.unit_of_work() as uow:
        outbox.enqueue(uow.outbox, **fields)  # type: ignore[arg-type]
    assert w.db.tables.jobs == {}


def test_jobs_are_leased_when_due_oldest_first_and_again_after_a_lost_lease(w: World) -> None:
    later = queue(w, "fake.ok", run_at=w.clock() + timedelta(minutes=5))
    first = queue(w, "fake.ok")
    w.advance(seconds=1)
    second = queue(w, "fake.ok")

    claimed = outbox.claim(w.gh, "worker-a", 10, timedelta(seconds=30))

    assert [job.id for job in claimed] == [first, second]
    assert all(j.status is JobStatus.RUNNING and j.attempts == 1 for j in claimed)
    assert outbox.claim(w.gh, "worker-b", 10) == []
    w.advance(minutes=6)  # the lease ran out and the later job fell due
    retaken = outbox.claim(w.gh, "worker-b", 10)
    assert [job.id for job in retaken] == [first, second, later]
    assert stored(w, first).attempts == 2 and stored(w, first).locked_by == "worker-b"


def test_each_outcome_is_recorded(w: World) -> None:
    ok, flaky, leaky, hopeless = (
        queue(w, kind) for kind in ("fake.ok", "fake.flaky", "fake.leaky", "fake.hopeless")
    )
    unknown = queue(w, "fake.nobody_handles_this")

    report = outbox.run_once(w.gh, "worker-a")

    assert report == outbox.RunReport(done=1, retried=3, dead=1) and [ok] == RAN
    assert stored(w, ok).status is JobStatus.DONE and stored(w, ok).finished_at == w.clock()
    assert stored(w, flaky).last_error == "the endpoint answered 503"
    assert stored(w, flaky).status is JobStatus.PENDING and stored(w, flaky).run_at > w.clock()
    assert stored(w, leaky).last_error == "KeyError"  # only the type: messages may hold PII
    assert stored(w, hopeless).status is JobStatus.DEAD
    assert stored(w, hopeless).last_error == "HTTP 410 Gone"
    assert "no handler" in (stored(w, unknown).last_error or "")


def test_a_job_out_of_attempts_is_dead(w: World) -> None:
    job_id = queue(w, "fake.flaky", max_attempts=2)
    outbox.run_once(w.gh, "worker-a")
    w.advance(hours=1)
    report = outbox.run_once(w.gh, "worker-a")

    assert report.dead == 1 and stored(w, job_id).status is JobStatus.DEAD


def test_a_worker_that_lost_its_lease_cannot_overwrite_the_outcome(w: World) -> None:
    job_id = queue(w, "fake.ok")
    (stale,) = outbox.claim(w.gh, "worker-a", 1, timedelta(seconds=5))
    w.advance(seconds=10)
    (fresh,) = outbox.claim(w.gh, "worker-b", 1)

    with w.gh.unit_of_work() as uow:
        assert not uow.outbox.finish(stale, {"status": "done"})
        assert uow.outbox.finish(fresh, {"status": "done", "locked_by": None})
    assert stored(w, job_id).status is JobStatus.DONE


def test_a_periodic_job_hands_its_key_to_the_next_run(w: World) -> None:
    with w.gh.unit_of_work() as uow:
        first = outbox.enqueue_periodic(
            uow.outbox, kind="fake.ok", every=timedelta(hours=1), at=w.clock()
        )
        again = outbox.enqueue_periodic(
            uow.outbox, kind="fake.ok", every=timedelta(hours=1), at=w.clock()
        )
    assert first == again

    outbox.run_once(w.gh, "worker-a")

    done, successor = stored(w, first), next(j for j in w.db.tables.jobs.values() if j.id != first)
    assert done.status is JobStatus.DONE and done.dedupe_key is None
    assert successor.dedupe_key == "periodic:fake.ok" and successor.run_at == w.clock() + timedelta(
        hours=1
    )
    with w.gh.unit_of_work() as uow:
        # A shorter interval replaces the stored one and brings the next run forward.
        outbox.enqueue_periodic(
            uow.outbox, kind="fake.ok", every=timedelta(minutes=10), at=w.clock()
        )
    assert stored(w, successor.id).run_at == w.clock() + timedelta(minutes=10)


def test_backoff_grows_and_is_capped() -> None:
    assert outbox.backoff_delay(1, fraction=1.0) == outbox.BACKOFF_BASE
    assert outbox.backoff_delay(3, fraction=1.0) == outbox.BACKOFF_BASE * 4
    assert outbox.backoff_delay(40, fraction=1.0) == outbox.BACKOFF_CAP
    assert outbox.backoff_delay(3, fraction=0.0) == timedelta(0)
