"""The transfer gateway's decisions, on the in-memory unit of work (no database)."""

from __future__ import annotations

import pytest

from gatehouse.domain.errors import Conflict, InvalidInput, NotFound
from gatehouse.domain.orders import OrderEvent
from gatehouse.services import orders, terms, transfers
from gatehouse.services.transfers import request_transfer
from tests.support.factories import TERMS_CLAUSES
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    world = new_world()
    # The version every registered fake recipient has accepted.
    terms.publish_terms(world.gh, "t1", TERMS_CLAUSES)
    return world


def fulfil(w: World, order_id: str) -> transfers.TransferOutcome:
    return request_transfer(w.gh, order_id, purpose="fulfilment", flow="provision")


def test_a_consented_transfer_is_recorded_with_its_view_and_ledger_entry(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()
    notice_hash = w.notice_of(w.consent(subject_id, seller))
    order_id = w.order(subject_id, seller)
    opened = w.db.opened

    outcome = fulfil(w, order_id)

    decision = outcome.decision
    assert decision.allowed and decision.basis == "SEPARATE_CONSENT"
    assert decision.notice_hash == notice_hash and "name" in outcome.fields
    assert w.db.opened == opened + 1  # one transaction per decision
    stored = w.db.tables.transfers[outcome.transfer_id]
    assert stored.allowed and stored.country == "CN" and list(stored.fields) == outcome.fields
    view = w.db.tables.views[outcome.transfer_id]
    assert view.consent_notice == notice_hash and view.expires_at == outcome.view_expires_at
    # The phone goes out as a leased 0505 number, never the customer's own.
    assert view.safe_number is not None and view.safe_number.startswith("0505-")
    assert w.db.tables.leased_numbers[view.safe_number] == outcome.transfer_id
    (entry,) = w.db.entries("transfer.allowed")
    assert entry.subject_id == subject_id and entry.recipient_id == seller.id
    assert entry.payload["transfer_id"] == outcome.transfer_id
    assert entry.payload["basis"] == "SEPARATE_CONSENT" and entry.payload["refusal"] is None


def test_without_consent_the_refusal_is_recorded_and_no_view_opens(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()

    outcome = fulfil(w, w.order(subject_id, seller))

    assert not outcome.decision.allowed and outcome.decision.refusal is not None
    assert outcome.fields == [] and outcome.view_expires_at is None
    stored = w.db.tables.transfers[outcome.transfer_id]
    assert not stored.allowed and stored.refusal == outcome.decision.refusal.value
    assert w.db.tables.views == {} and w.db.tables.leased_numbers == {}
    (entry,) = w.db.entries("transfer.refused")
    assert entry.payload["refusal"] == stored.refusal and entry.payload["fields"] == []


def test_a_suspended_country_is_refused_even_with_consent(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient(country="CN")
    w.consent(subject_id, seller)
    w.db.tables.country_suspensions["CN"] = "PIPC order"

    outcome = fulfil(w, w.order(subject_id, seller))

    assert not outcome.decision.allowed
    assert outcome.decision.refusal is not None
    assert "country" in outcome.decision.refusal.value


@pytest.mark.parametrize(
    ("purpose", "flow", "code"),
    [("marketing", "provision", "unknown_purpose"), ("fulfilment", "teleport", "unknown_flow")],
)
def test_unknown_purposes_and_flows_write_nothing(
    w: World, purpose: str, flow: str, code: str
) -> None:
    subject_id = w.subject()
    order_id = w.order(subject_id, w.recipient())
    before = w.db.committed()

    with pytest.raises(InvalidInput) as refused:
        request_transfer(w.gh, order_id, purpose=purpose, flow=flow)

    assert refused.value.code == code and w.db.tables == before


def test_unknown_and_cancelled_orders_are_not_transferred(w: World) -> None:
    with pytest.raises(NotFound):
        fulfil(w, "ord_nothing")
    subject_id = w.subject()
    seller = w.recipient()
    w.consent(subject_id, seller)
    order_id = w.order(subject_id, seller)
    orders.record_event(w.gh, order_id, OrderEvent.CANCELLED)
    before = w.db.committed()

    with pytest.raises(Conflict) as cancelled:
        fulfil(w, order_id)

    assert cancelled.value.code == "order_cancelled" and w.db.tables == before


def test_a_decision_is_one_transaction(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()
    w.consent(subject_id, seller)
    order_id = w.order(subject_id, seller)
    before = w.db.committed()

    w.db.fail("Ledger.append", RuntimeError("disk full"))
    with pytest.raises(RuntimeError):
        fulfil(w, order_id)

    # No decision without its ledger entry: no transfer, no view, no number leased.
    assert w.db.tables == before


def test_an_exhausted_safe_number_pool_refuses_the_transfer(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    subject_id = w.subject()
    seller = w.recipient()
    w.consent(subject_id, seller)
    monkeypatch.setattr(transfers, "_safe_number_candidates", lambda: ["0505-1000-0001"])
    first = fulfil(w, w.order(subject_id, seller))
    assert w.db.tables.views[first.transfer_id].safe_number == "0505-1000-0001"
    second = w.order(subject_id, seller)
    before = w.db.committed()

    with pytest.raises(Conflict) as exhausted:
        fulfil(w, second)

    assert exhausted.value.code == "safe_numbers_exhausted" and w.db.tables == before


def test_decisions_are_listed_by_filter_a_page_at_a_time(w: World) -> None:
    alice, bob = w.subject(), w.subject()
    seller = w.recipient()
    w.consent(alice, seller)
    decided = [fulfil(w, w.order(alice, seller)).transfer_id for _ in range(3)]
    refused = fulfil(w, w.order(bob, seller)).transfer_id
    commits = w.db.commits

    def page(**given: object) -> tuple[list[str], str | None]:
        filters: dict[str, object] = dict.fromkeys(
            ("recipient_id", "subject_id", "country", "since", "after")
        )
        filters.update({"limit": 50, **given})
        found, cursor = transfers.list_transfers(w.gh, **filters)  # type: ignore[arg-type]
        return [t.id for t in found], cursor

    first, cursor = page(limit=2)
    rest, end = page(after=cursor)
    assert first + rest == sorted([*decided, refused]) and cursor == first[-1] and end is None
    assert page(subject_id=bob) == ([refused], None)
    assert page(country="JP") == ([], None)
    assert w.db.commits == commits and w.db.units[-1].read_only
