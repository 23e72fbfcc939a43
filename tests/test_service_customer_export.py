"""The customer's full export, on the in-memory unit of work (no database)."""

from __future__ import annotations

import pytest

from gatehouse.domain.errors import Conflict, NotFound
from gatehouse.services import consents, customer_export, subjects
from gatehouse.services import rights_requests as requests
from gatehouse.services.ports import Contention
from gatehouse.vault import KeyShredded
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def test_the_export_holds_everything_in_one_snapshot_and_is_ledgered(w: World) -> None:
    subject_id = w.subject(customs_code="P202611280777")
    seller = w.recipient()
    consent_id = w.consent(subject_id, seller)
    order_id = w.order(subject_id, seller, note="문 앞에 두세요")
    transfer_id = w.transfer(order_id, consent_notice=w.notice_of(consent_id))
    requests.submit_request(w.gh, subject_id, request_type="access", message="전부 보여주세요")
    subjects.read_subject(w.gh, subject_id, api_key_id="key_op", reason="customer called us")
    consents.withdraw_consent(w.gh, subject_id, consent_id, channel="web")
    before = len(w.db.entries())
    units = len(w.db.units)

    data = customer_export.export(w.gh, subject_id)

    # One unit of work, reading one snapshot, writing only its own ledger entry.
    assert len(w.db.units) == units + 1 and w.db.units[-1].snapshot
    assert data.format == customer_export.EXPORT_FORMAT and data.generated_at == w.clock()
    assert data.subject.id == subject_id
    assert data.profile.customs_code == "P202611280777"  # whole: the customer's own copy
    granted, withdrawn = data.consents
    assert granted.id == consent_id and granted.notice is not None
    assert seller.legal_name is not None and seller.legal_name in granted.notice.text
    assert withdrawn.withdraws == consent_id and not withdrawn.granted
    (order,) = data.orders
    assert order.order.id == order_id and order.delivery_note == "문 앞에 두세요"
    assert order.items == [{"sku": "CASE-01", "name": "휴대폰 케이스", "quantity": 2}]
    (decision,) = data.transfers
    assert decision.id == transfer_id and decision.recipient_name == seller.legal_name
    assert decision.view_closed_at == w.clock()
    assert [r.message for r in data.requests] == ["전부 보여주세요"]
    assert [r.reason for r in data.operator_reads] == ["customer called us"]
    assert len(data.ledger) == before and {e.subject_id for e in data.ledger} == {subject_id}
    (exported,) = w.db.entries("subject.exported")
    assert exported.payload == {"format": "gatehouse.subject-export/1", "ledger_entries": before}


def test_only_a_live_subject_is_exported(w: World) -> None:
    subject_id = w.subject()
    with pytest.raises(NotFound):
        customer_export.export(w.gh, "sub_nobody")
    w.erase(subject_id)
    before = w.db.committed()
    with pytest.raises(KeyShredded):
        customer_export.export(w.gh, subject_id)
    assert w.db.tables == before


def test_a_snapshot_spoiled_by_a_concurrent_writer_is_read_again(w: World) -> None:
    subject_id = w.subject()
    w.db.fail("Ledger.append", Contention("could not serialize access"), times=1)

    data = customer_export.export(w.gh, subject_id)

    assert data.subject.id == subject_id
    assert len(w.db.entries("subject.exported")) == 1
    assert [u.snapshot for u in w.db.units[-2:]] == [True, True]


def test_an_export_that_keeps_meeting_writers_asks_to_try_again(w: World) -> None:
    subject_id = w.subject()
    before = w.db.committed()
    w.db.fail("Ledger.append", Contention("could not serialize access"))

    with pytest.raises(Conflict) as busy:
        customer_export.export(w.gh, subject_id)

    assert busy.value.code == "export_busy"
    assert w.db.tables == before
