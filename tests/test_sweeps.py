"""The worker's periodic sweeps, run through the outbox as production runs them."""

from __future__ import annotations

from gatehouse.services import outbox
from gatehouse.services.worker import PERIODIC, run_until_idle
from tests.conftest import Fresh
from tests.support.gateway import allowed_transfer, consent, new_seller, new_subject, publish_terms
from tests.support.server import operator_api


def test_worker_closes_expired_views_and_escalates_overdue_erasures(fresh: Fresh) -> None:
    assert {"views.sweep", "erasures.escalate", "retention.sweep"} <= set(PERIODIC)
    gh = fresh.gatehouse
    with operator_api(gh) as (server, api):
        terms = publish_terms(api)
        seller = new_seller(api, server.url, "TW", accept=terms)
        kept = new_subject(api)
        gone = new_subject(api)
        for subject_id in (kept, gone):
            consent(api, subject_id, seller)
        _, transfer = allowed_transfer(api, kept, seller)
        allowed_transfer(api, gone, seller)
        api.delete(f"/v1/subjects/{gone}")

        fresh.clock.advance(days=90, minutes=1)
        run_until_idle(gh, "sweeper")
        kinds = [
            e["kind"] for e in api.get("/v1/ledger/entries", params={"limit": 500}).json()["items"]
        ]
        assert "erasure.escalated" in kinds
        views = api.get("/v1/ledger/entries", params={"subject_id": kept, "limit": 100}).json()
        closings = [e for e in views["items"] if e["kind"] == "view.closed"]
        assert [c["payload"]["reason"] for c in closings] == ["max_window_ended"]
        assert seller.client.get(f"/v1/recipient/transfers/{transfer}").status_code == 410
        # Each periodic kind keeps exactly one future run.
        pending = outbox.jobs(gh, status="pending", limit=100)[0]
        scheduled = [job.kind for job in pending if job.kind in PERIODIC]
        assert sorted(scheduled) == sorted(PERIODIC)
        seller.client.close()
