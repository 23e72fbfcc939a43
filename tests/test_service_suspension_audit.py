"""Replaying suspensions against allowed transfers from the ledger, on the in-memory unit of
work (no database)."""

from __future__ import annotations

import pytest

from gatehouse.services import recipients, terms
from gatehouse.services.suspension_audit import Suspended, audit_suspensions
from gatehouse.services.transfers import request_transfer
from tests.support.factories import TERMS_CLAUSES
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    world = new_world()
    terms.publish_terms(world.gh, "t1", TERMS_CLAUSES)
    return world


def allowed_entry(w: World, recipient_id: str, country: str, transfer_id: str) -> None:
    """A ``transfer.allowed`` entry written as a faulty gateway would have written it."""
    with w.gh.unit_of_work() as uow:
        uow.ledger.append(
            kind="transfer.allowed",
            at=w.clock(),
            subject_id=None,
            recipient_id=recipient_id,
            payload={"transfer_id": transfer_id, "country": country},
        )


def test_the_gateway_leaves_nothing_to_report(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()
    w.consent(subject_id, seller)
    request_transfer(w.gh, w.order(subject_id, seller), purpose="fulfilment", flow="provision")
    w.advance(hours=1)
    recipients.suspend_recipient(w.gh, seller.id, "audit")
    # Refused while suspended: a refusal is not a violation.
    request_transfer(w.gh, w.order(subject_id, seller), purpose="fulfilment", flow="provision")

    report = audit_suspensions(w.gh)

    assert report.ok and report.transfers_checked == 1 and report.suspensions == 1
    assert w.db.units[-1].read_only


def test_transfers_inside_a_suspension_are_named_with_it(w: World) -> None:
    seller, other = w.recipient(country="CN"), w.recipient(country="JP")
    allowed_entry(w, seller.id, "CN", "trf_before")
    w.advance(hours=1)
    recipients.suspend_recipient(w.gh, seller.id, None)
    suspended_at = w.clock()
    allowed_entry(w, seller.id, "CN", "trf_inside")  # the same instant counts as inside
    w.advance(hours=1)
    recipients.suspend_country(w.gh, "JP", None)
    country_suspended_at = w.clock()
    allowed_entry(w, other.id, "JP", "trf_country")
    w.advance(hours=1)
    recipients.resume_recipient(w.gh, seller.id, None)
    recipients.resume_country(w.gh, "JP", None)
    allowed_entry(w, seller.id, "CN", "trf_after")

    report = audit_suspensions(w.gh)

    assert not report.ok and report.transfers_checked == 4 and report.suspensions == 4
    found = {v.transfer_id: v.suspended for v in report.violations}
    assert found == {
        "trf_inside": [Suspended("recipient", seller.id, suspended_at)],
        "trf_country": [Suspended("country", "JP", country_suspended_at)],
    }
