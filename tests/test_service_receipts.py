"""Deletion receipts on the in-memory unit of work: read back with the tombstone, and the JSON
copy handed over once."""

from __future__ import annotations

import pytest

from gatehouse.services.deletion import erase_subject
from gatehouse.services.receipts import (
    RECEIPT_EVENT,
    deliver_receipt,
    issue_ticket,
    open_ticket,
    receipt_delivered,
    stored_receipt,
)
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def test_a_receipt_is_read_back_with_the_tombstone_in_one_snapshot(w: World) -> None:
    subject_id = w.subject()
    receipt = erase_subject(w.gh, subject_id, requested_by="customer")
    units = len(w.db.units)

    stored = stored_receipt(w.gh, receipt.deletion_id)

    assert len(w.db.units) == units + 1 and w.db.units[-1].read_only
    assert stored is not None and stored.document == receipt.to_dict()
    assert stored.subject.id == subject_id and stored.subject.deleted
    assert stored.delivered is False
    assert stored_receipt(w.gh, "del_nothing") is None


def test_the_json_copy_is_handed_over_once(w: World) -> None:
    subject_id, other_id = w.subject(), w.subject()
    deletion_id = erase_subject(w.gh, subject_id, requested_by="customer").deletion_id
    other = erase_subject(w.gh, other_id, requested_by="customer").deletion_id

    assert not receipt_delivered(w.gh, subject_id, deletion_id)
    assert deliver_receipt(w.gh, subject_id, deletion_id) is True
    before = w.db.committed()
    assert deliver_receipt(w.gh, subject_id, deletion_id) is False

    # The refused second hand-over rolled back: no second entry.
    assert w.db.tables == before
    assert [e.payload for e in w.db.entries(RECEIPT_EVENT)] == [{"deletion_id": deletion_id}]
    assert receipt_delivered(w.gh, subject_id, deletion_id)
    stored = stored_receipt(w.gh, deletion_id)
    assert stored is not None and stored.delivered
    assert not receipt_delivered(w.gh, other_id, other)


def test_a_ticket_names_its_deletion_until_it_expires(w: World) -> None:
    ticket = issue_ticket(w.gh, "del_abc")
    opened = open_ticket(w.gh, ticket)
    assert opened is not None and (opened.deletion_id, opened.expired) == ("del_abc", False)
    w.advance(minutes=15)
    late = open_ticket(w.gh, ticket)
    assert late is not None and late.expired
    assert open_ticket(w.gh, ticket.replace("del_abc", "del_xyz")) is None
