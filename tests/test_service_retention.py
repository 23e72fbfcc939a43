"""The retention store on the in-memory unit of work: the preview the deletion page shows,
the records the engine keeps, and their destruction after their end date."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from gatehouse.domain.errors import NotFound
from gatehouse.domain.orders import OrderEvent
from gatehouse.services import orders, rights_requests
from gatehouse.services.deletion import erase_subject
from gatehouse.services.retention import (
    destroy_expired,
    kept_until,
    read_record,
    retention_preview,
)
from gatehouse.vault import KeyShredded
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def test_the_preview_promises_the_dates_the_receipt_then_records(w: World) -> None:
    subject_id = w.subject()
    seller = w.recipient()
    placed = [w.order(subject_id, seller) for _ in range(3)]
    w.advance(days=5)
    orders.record_event(w.gh, placed[0], OrderEvent.DELIVERED)
    w.advance(days=5)
    orders.record_event(w.gh, placed[1], OrderEvent.CANCELLED)
    answered = rights_requests.submit_request(
        w.gh, subject_id, request_type="complaint", message="환불해 주세요"
    )
    rights_requests.submit_request(w.gh, subject_id, request_type="complaint", message="또요")
    w.advance(days=9)
    rights_requests.resolve_request(
        w.gh, answered.request.id, outcome="completed", message="처리했습니다"
    )
    answered_at = w.clock()
    w.advance(days=1)
    commits = w.db.commits

    preview = {item.name: item for item in retention_preview(w.gh, subject_id)}

    assert w.db.commits == commits and w.db.units[-1].read_only
    assert list(preview) == ["contracts", "payments", "complaints"]
    receipt = erase_subject(w.gh, subject_id, requested_by="customer")
    kept: dict[str, datetime] = {}
    for record in receipt.retained:
        kept[record.hold] = max(record.kept_until, kept.get(record.hold, record.kept_until))
    assert {name: item.until for name, item in preview.items()} == kept
    # The answered complaint runs from its answer, the open one from its filing: the later.
    hold = w.gh.packs.by_id("KR-PIPA").retention_holds["complaints"]
    assert preview["complaints"].until == kept_until(hold, answered_at)


def test_a_customer_without_orders_is_promised_nothing(w: World) -> None:
    subject_id = w.subject()
    preview = retention_preview(w.gh, subject_id)
    assert [item.until for item in preview] == [None, None, None]
    w.erase(subject_id)
    with pytest.raises(KeyShredded):
        retention_preview(w.gh, subject_id)
    with pytest.raises(NotFound):
        retention_preview(w.gh, "sub_nobody")


def test_records_are_destroyed_after_their_end_date_once_each(w: World) -> None:
    subject_id = w.subject()
    w.order(subject_id, w.recipient())
    receipt = erase_subject(w.gh, subject_id, requested_by="operator")
    (kept,) = receipt.retained

    w.clock.now = kept.kept_until - timedelta(seconds=1)
    assert destroy_expired(w.gh) == 0
    w.clock.now = kept.kept_until
    assert destroy_expired(w.gh) == 1
    assert destroy_expired(w.gh) == 0

    record = w.db.tables.retention_records[kept.record_id]
    assert record.destroyed_at == w.clock()
    assert (record.kek_id, record.wrapped_key, record.ciphertext) == (None, None, None)
    (entry,) = w.db.entries("retention.destroyed")
    assert entry.payload == {
        "record_id": kept.record_id,
        "deletion_id": receipt.deletion_id,
        "hold": "contracts",
        "kept_until": kept.kept_until.isoformat(),
    }
    with pytest.raises(KeyShredded):
        read_record(w.gh, record)


def test_a_failed_sweep_destroys_nothing(w: World) -> None:
    subject_id = w.subject()
    w.order(subject_id, w.recipient())
    (kept,) = erase_subject(w.gh, subject_id, requested_by="operator").retained
    w.clock.now = kept.kept_until
    before = w.db.committed()

    w.db.fail("Ledger.append", RuntimeError("ledger down"))
    with pytest.raises(RuntimeError):
        destroy_expired(w.gh)

    assert w.db.tables == before
