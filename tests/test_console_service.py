"""The console's panels as a service, on a database of their own so every count is exact:
requests by due date, outstanding erasures (most overdue first), dead jobs and their retry,
refusals by reason, and allowed transfers by country."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from gatehouse.domain.errors import Conflict, NotFound
from gatehouse.services import console
from gatehouse.services.console import CountryCount, ReasonCount
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.erasures import ErasureRepository
from gatehouse.store.records import ErasureRequest
from tests.conftest import Fresh
from tests.support.factories import subject_body
from tests.support.gateway import allowed_transfer, consent, new_order, new_seller, publish_terms
from tests.support.outbox import dead_webhook_job
from tests.support.server import operator_api


def file_request(api: httpx.Client, base_url: str, kind: str) -> str:
    """A new customer files a request with a fresh sign-in link; the request's id."""
    subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
    token = api.post(f"/v1/subjects/{subject_id}/sessions").json()["token"]
    filed = httpx.post(
        f"{base_url}/v1/me/requests",
        headers={"Authorization": f"Bearer {token}"},
        json={"type": kind, "message": "제 개인정보 처리 내역을 알려 주세요."},
    )
    assert filed.status_code == 201, filed.text
    return str(filed.json()["id"])


def add_erasure(gh: Gatehouse, erasure_id: str, recipient_id: str, due_in: timedelta) -> None:
    """An unacknowledged erasure request due ``due_in`` from now (negative: overdue)."""
    due_at = gh.clock() + due_in
    with gh.engine.begin() as connection:
        ErasureRepository(connection).add_requests(
            [
                ErasureRequest(
                    id=erasure_id,
                    deletion_id=None,
                    recipient_id=recipient_id,
                    transfer_ids=[],
                    order_refs=[f"ORD-{erasure_id}"],
                    requested_at=due_at - timedelta(days=10),
                    due_at=due_at,
                    cause="consent_withdrawn",
                    consent_id=None,
                )
            ]
        )


def test_an_empty_gatehouse_has_nothing_to_show(fresh: Fresh) -> None:
    today = console.dashboard(fresh.gatehouse, "en")
    assert today.now == fresh.clock()
    assert today.requests == today.erasures == today.dead_jobs == ()
    assert today.refusals == today.countries == ()
    assert sum(today.job_counts.values()) == 0
    assert today.deadlines.rights_request_days == 10
    assert today.deadlines.rights_request_alert_day == 7


def test_the_panels_show_what_needs_attention(fresh: Fresh) -> None:
    gh, clock = fresh.gatehouse, fresh.clock
    with operator_api(gh) as (server, api):
        terms = publish_terms(api)
        nz = new_seller(api, server.url, "NZ", terms)
        mx = new_seller(api, server.url, "MX", terms)
        try:
            # Transfers: two allowed to New Zealand, one refused to Mexico for want of consent.
            subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
            consent(api, subject_id, nz)
            allowed_transfer(api, subject_id, nz)
            allowed_transfer(api, subject_id, nz)
            refused = api.post(
                f"/v1/orders/{new_order(api, subject_id, mx)}/transfers",
                json={"purpose": "fulfilment", "flow": "provision"},
            )
            assert refused.status_code == 403

            # Requests: one 11 days old, one 8 days old, one new.
            late = file_request(api, server.url, "access")
            clock.advance(days=3)
            soon = file_request(api, server.url, "complaint")
            clock.advance(days=8)
            fresh_one = file_request(api, server.url, "correction")
        finally:
            nz.client.close()
            mx.client.close()

    assert console.refusals_by_reason(gh) == [ReasonCount("no_lawful_basis", 1)]
    assert console.transfers_by_country(gh, "en") == [CountryCount("NZ", "New Zealand", 2)]
    assert console.transfers_by_country(gh, "ko") == [CountryCount("NZ", "뉴질랜드", 2)]

    requests = console.pending_requests(gh)
    assert [r.id for r in requests] == [late, soon, fresh_one]
    assert [r.state for r in requests] == ["overdue", "due_soon", "on_time"]
    assert [r.type for r in requests] == ["access", "complaint", "correction"]
    assert (requests[1].days, requests[1].limit) == (8, 10)

    # Erasures: past the limit, the most overdue show, and the next one due still does.
    add_erasure(gh, "era_a_recent", nz.id, -timedelta(days=1))
    add_erasure(gh, "era_b_worst", nz.id, -timedelta(days=30))
    add_erasure(gh, "era_c_middle", nz.id, -timedelta(days=5))
    add_erasure(gh, "era_d_next", mx.id, timedelta(days=2))
    add_erasure(gh, "era_e_later", mx.id, timedelta(days=9))
    shown = console.outstanding_erasure_rows(gh, limit=2)
    assert [(e.id, e.status) for e in shown] == [
        ("era_b_worst", "overdue"),
        ("era_c_middle", "overdue"),
        ("era_d_next", "pending"),
        ("era_e_later", "pending"),
    ]
    assert shown[0].country == "NZ" and shown[2].country == "MX"
    assert shown[0].recipient.startswith("Shenzhen Bright Trade") and shown[0].order_refs == (
        "ORD-era_b_worst",
    )

    # A dead job: a webhook for a recipient that has no webhook URL.
    job_id = dead_webhook_job(gh, mx.id, "console service test")
    today = console.dashboard(gh, "en")
    assert [job.id for job in today.dead_jobs] == [job_id]
    assert today.job_counts["dead"] == 1
    assert len(today.requests) == 3 and len(today.erasures) == 5
    assert console.retry_job(gh, job_id).status.value == "pending"
    assert console.dead_jobs(gh) == []
    with pytest.raises(Conflict):
        console.retry_job(gh, job_id)
    with pytest.raises(NotFound):
        console.retry_job(gh, "job_nothing")
