"""The operator console's panels, read from one snapshot of the in-memory unit of work."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gatehouse.domain.errors import Conflict, NotFound
from gatehouse.services import console, rights_requests, terms
from gatehouse.services.outbox import JobStatus, enqueue, run_once
from gatehouse.services.transfers import request_transfer
from gatehouse.store.records import ErasureRequest
from tests.support.factories import TERMS_CLAUSES
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    world = new_world()
    terms.publish_terms(world.gh, "t1", TERMS_CLAUSES)
    return world


def file(w: World, kind: str) -> str:
    record = rights_requests.submit_request(
        w.gh, w.subject(), request_type=kind, message="제 정보를 알려 주세요", transfer_id=None
    )
    return record.request.id


def erasure(w: World, erasure_id: str, recipient_id: str, due_in: timedelta) -> None:
    with w.gh.unit_of_work() as uow:
        uow.erasures.add_requests(
            [
                ErasureRequest(
                    id=erasure_id,
                    deletion_id=None,
                    consent_id=None,
                    cause="consent_withdrawn",
                    recipient_id=recipient_id,
                    transfer_ids=[],
                    order_refs=[f"ORD-{erasure_id}"],
                    requested_at=w.clock() - timedelta(days=10),
                    due_at=w.clock() + due_in,
                )
            ]
        )


def test_an_empty_gatehouse_shows_nothing_in_one_snapshot(w: World) -> None:
    opened = w.db.opened

    today = console.dashboard(w.gh, "en")

    assert w.db.opened == opened + 1 and w.db.units[-1].read_only
    assert today.requests == today.erasures == today.dead_jobs == ()
    assert today.refusals == today.countries == () and sum(today.job_counts.values()) == 0
    assert today.deadlines.rights_request_days == 10


def test_transfers_are_counted_by_refusal_and_by_country(w: World) -> None:
    subject_id = w.subject()
    nz, mx = w.recipient(country="NZ"), w.recipient(country="MX")
    w.consent(subject_id, nz)
    for seller in (nz, nz, mx):
        request_transfer(w.gh, w.order(subject_id, seller), purpose="fulfilment", flow="provision")

    assert console.refusals_by_reason(w.gh) == [console.ReasonCount("no_lawful_basis", 1)]
    assert console.transfers_by_country(w.gh, "ko") == [console.CountryCount("NZ", "뉴질랜드", 2)]


def test_requests_come_by_due_date_with_their_state(w: World) -> None:
    late = file(w, "access")
    w.advance(days=3)
    soon = file(w, "complaint")
    w.advance(days=8)
    new = file(w, "correction")

    shown = console.pending_requests(w.gh)

    assert [r.id for r in shown] == [late, soon, new]
    assert [r.state for r in shown] == ["overdue", "due_soon", "on_time"]
    assert (shown[1].days, shown[1].limit) == (8, 10)


def test_the_most_overdue_erasures_lead_and_the_next_due_still_show(w: World) -> None:
    nz, mx = w.recipient(country="NZ"), w.recipient(country="MX")
    erasure(w, "era_a_recent", nz.id, -timedelta(days=1))
    erasure(w, "era_b_worst", nz.id, -timedelta(days=30))
    erasure(w, "era_c_middle", nz.id, -timedelta(days=5))
    erasure(w, "era_d_next", mx.id, timedelta(days=2))
    erasure(w, "era_e_later", mx.id, timedelta(days=9))

    shown = console.outstanding_erasure_rows(w.gh, limit=2)

    assert [(e.id, e.status) for e in shown] == [
        ("era_b_worst", "overdue"),
        ("era_c_middle", "overdue"),
        ("era_d_next", "pending"),
        ("era_e_later", "pending"),
    ]
    assert shown[0].recipient == nz.legal_name and shown[2].country == "MX"
    assert shown[0].order_refs == ("ORD-era_b_worst",)


def test_a_dead_job_is_shown_and_retried(w: World) -> None:
    with w.gh.unit_of_work() as uow:
        job_id = enqueue(
            uow.outbox, kind="fake.nobody_handles", payload={}, at=w.clock(), max_attempts=1
        )
    run_once(w.gh, "console-test")

    today = console.dashboard(w.gh, "en")

    assert [job.id for job in today.dead_jobs] == [job_id] and today.job_counts["dead"] == 1
    assert console.retry_job(w.gh, job_id).status is JobStatus.PENDING
    assert console.dead_jobs(w.gh) == []
    with pytest.raises(Conflict):
        console.retry_job(w.gh, job_id)
    with pytest.raises(NotFound):
        console.retry_job(w.gh, "job_nothing")
