"""Operating the outbox: looking jobs up, re-queueing the dead, purging the done, on the
in-memory unit of work."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from gatehouse.domain.errors import Conflict, InvalidInput, NotFound
from gatehouse.services import outbox_admin
from gatehouse.services.outbox import JobStatus, enqueue
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def jobs(w: World, count: int, status: JobStatus = JobStatus.PENDING) -> list[str]:
    ids = []
    with w.gh.unit_of_work() as uow:
        for _ in range(count):
            ids.append(enqueue(uow.outbox, kind="fake.admin", payload={}, at=w.clock()))
            w.advance(seconds=1)
    for job_id in ids:
        job = w.db.tables.jobs[job_id]
        w.db.tables.jobs[job_id] = replace(job, status=status, finished_at=w.clock())
    return ids


def test_jobs_are_found_listed_and_counted(w: World) -> None:
    pending = jobs(w, 3)
    dead = jobs(w, 1, JobStatus.DEAD)

    assert outbox_admin.get_job(w.gh, dead[0]).status is JobStatus.DEAD
    with pytest.raises(NotFound):
        outbox_admin.get_job(w.gh, "job_nothing")
    page, cursor = outbox_admin.jobs(w.gh, limit=2)
    rest, end = outbox_admin.jobs(w.gh, after=cursor, limit=5)
    assert [j.id for j in [*page, *rest]] == [*pending, *dead] and end is None
    assert [j.id for j in outbox_admin.jobs(w.gh, status="dead")[0]] == dead
    with pytest.raises(InvalidInput):
        outbox_admin.jobs(w.gh, status="lost")
    assert outbox_admin.counts(w.gh) == {"pending": 3, "running": 0, "done": 0, "dead": 1}
    assert all(unit.read_only for unit in w.db.units[-5:])


def test_only_a_dead_job_is_retried(w: World) -> None:
    (dead,) = jobs(w, 1, JobStatus.DEAD)
    (alive,) = jobs(w, 1)

    retried = outbox_admin.retry_dead(w.gh, dead)

    assert retried.status is JobStatus.PENDING and retried.attempts == 0
    assert retried.run_at == w.clock() and retried.finished_at is None
    with pytest.raises(Conflict) as not_dead:
        outbox_admin.retry_dead(w.gh, alive)
    assert not_dead.value.details == {"status": "pending"}
    with pytest.raises(NotFound):
        outbox_admin.retry_dead(w.gh, "job_nothing")


def test_old_done_jobs_are_purged_in_batches_and_the_dead_stay(w: World) -> None:
    old = jobs(w, 5, JobStatus.DONE)
    (dead,) = jobs(w, 1, JobStatus.DEAD)
    w.advance(days=31)
    recent = jobs(w, 1, JobStatus.DONE)
    opened = w.db.opened

    assert outbox_admin.purge_done(w.gh, timedelta(days=30), batch=2) == 5

    assert w.db.opened - opened == 3  # one unit of work per batch
    assert set(w.db.tables.jobs) == {dead, *recent} and not set(old) & set(w.db.tables.jobs)
