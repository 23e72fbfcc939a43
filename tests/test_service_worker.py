"""The worker: its periodic schedule and a drain of the outbox, on the in-memory unit of work."""

from __future__ import annotations

import pytest

from gatehouse.services import worker
from gatehouse.services.outbox import JobStatus
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def live(w: World) -> dict[str, str]:
    """Kind -> id of each job holding a periodic key."""
    return {
        j.kind: j.id
        for j in w.db.tables.jobs.values()
        if j.dedupe_key and j.dedupe_key.startswith("periodic:")
    }


def test_every_periodic_kind_has_one_live_job(w: World) -> None:
    opened = w.db.opened
    worker.ensure_periodic(w.gh)
    first = live(w)
    worker.ensure_periodic(w.gh)

    assert set(first) == set(worker.PERIODIC) and live(w) == first
    assert w.db.opened == opened + 2  # one unit of work each time


def test_a_drain_runs_the_due_periodic_work_and_schedules_the_next(w: World) -> None:
    subject_id = w.subject()
    w.consent(subject_id, w.recipient())  # something for the checkpoint to sign

    report = worker.run_until_idle(w.gh, "worker-a")

    assert report.done == len(worker.PERIODIC) and report.dead == report.retried == 0
    assert len(w.db.tables.checkpoints) == 1
    successors = live(w)
    assert set(successors) == set(worker.PERIODIC)
    for kind, job_id in successors.items():
        job = w.db.tables.jobs[job_id]
        assert job.status is JobStatus.PENDING and job.run_at == w.clock() + worker.PERIODIC[kind]
    assert worker.run_once(w.gh, "worker-a").total == 0  # nothing is due before its interval


def test_every_handler_module_loads(w: World) -> None:
    kinds = worker.load_handlers()
    assert set(worker.PERIODIC) <= set(kinds)
    assert {"webhook.deliver", "operator_webhook.deliver"} <= set(kinds)
