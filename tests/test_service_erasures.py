"""Erasure requests: listing, acknowledgement, escalation and a deletion's progress, on the
in-memory unit of work (no database)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gatehouse.domain.errors import Conflict, NotFound
from gatehouse.domain.recipients import Recipient
from gatehouse.services import consents, erasures
from gatehouse.store.records import Deletion
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def withdrawn(w: World, *sellers: Recipient) -> list[str]:
    """A subject consents to ``sellers``, gets one transfer to each, then withdraws: the ids
    of the erasure requests that follow, by recipient."""
    subject_id = w.subject()
    consent_id = w.consent(subject_id, *sellers)
    for seller in sellers:
        w.transfer(w.order(subject_id, seller), consent_notice=w.notice_of(consent_id))
    consents.withdraw_consent(w.gh, subject_id, consent_id, channel="web")
    requests = sorted(w.db.tables.erasures.values(), key=lambda r: r.recipient_id)
    return [r.id for r in requests if r.consent_id == consent_id]


def ack_days(w: World) -> int:
    return w.gh.packs.by_id("KR-PIPA").deadlines.erasure_ack_days


def test_a_recipient_lists_only_its_own_requests_by_status(w: World) -> None:
    seller, other = w.recipient(), w.recipient()
    mine = withdrawn(w, seller)
    withdrawn(w, other)
    mine += withdrawn(w, seller)

    page, cursor = erasures.list_for_recipient(w.gh, seller.id, status=None, after=None, limit=1)
    rest, end = erasures.list_for_recipient(w.gh, seller.id, status=None, after=cursor, limit=5)
    assert [r.id for r in [*page, *rest]] == sorted(mine) and end is None
    assert all(r.recipient_id == seller.id and r.cause == "consent_withdrawn" for r in page)
    late, _ = erasures.list_for_recipient(w.gh, seller.id, status="overdue", after=None, limit=5)
    assert late == []
    w.advance(days=ack_days(w))
    late, _ = erasures.list_for_recipient(w.gh, seller.id, status="overdue", after=None, limit=5)
    assert sorted(r.id for r in late) == sorted(mine)
    everyone, _ = erasures.list_erasures(w.gh, status="pending", after=None, limit=10)
    assert len(everyone) == 3 and w.db.units[-1].read_only


def test_acknowledging_is_once_by_the_addressee_and_ledgered(w: World) -> None:
    seller, stranger = w.recipient(), w.recipient()
    (erasure_id,) = withdrawn(w, seller)
    w.advance(hours=5)

    with pytest.raises(NotFound):
        erasures.acknowledge(w.gh, stranger.id, erasure_id, "done")
    done = erasures.acknowledge(w.gh, seller.id, erasure_id, "  wiped from backups too  ")

    assert done.acknowledged_at == w.clock() and done.attestation == "wiped from backups too"
    assert erasures.erasure_status(done, w.clock()) == "acknowledged"
    (entry,) = w.db.entries("erasure.acknowledged")
    assert entry.recipient_id == seller.id and entry.subject_id is None
    assert entry.payload == {
        "erasure_id": erasure_id,
        "cause": "consent_withdrawn",
        "deletion_id": None,
        "late": False,
        "attested": True,
    }
    with pytest.raises(Conflict) as again:
        erasures.acknowledge(w.gh, seller.id, erasure_id, None)
    assert again.value.code == "already_acknowledged"
    assert len(w.db.entries("erasure.acknowledged")) == 1


def test_a_late_acknowledgement_without_statement_says_so(w: World) -> None:
    seller = w.recipient()
    (erasure_id,) = withdrawn(w, seller)
    w.advance(days=ack_days(w) + 1)

    done = erasures.acknowledge(w.gh, seller.id, erasure_id, "   ")

    assert done.attestation is None
    (entry,) = w.db.entries("erasure.acknowledged")
    assert entry.payload["late"] is True and entry.payload["attested"] is False


def test_overdue_requests_are_escalated_once(w: World) -> None:
    seller, prompt = w.recipient(), w.recipient()
    overdue = withdrawn(w, seller)
    (answered,) = withdrawn(w, prompt)
    erasures.acknowledge(w.gh, prompt.id, answered, None)
    assert erasures.escalate_overdue(w.gh) == 0
    w.advance(days=ack_days(w), seconds=1)

    assert erasures.escalate_overdue(w.gh) == 1
    assert erasures.escalate_overdue(w.gh) == 0

    assert w.db.tables.erasures[overdue[0]].escalated_at == w.clock()
    (entry,) = w.db.entries("erasure.escalated")
    assert entry.recipient_id == seller.id and entry.payload["erasure_id"] == overdue[0]


def test_outstanding_requests_come_earliest_due_first(w: World) -> None:
    seller = w.recipient()
    first = withdrawn(w, seller)
    w.advance(days=1)
    second = withdrawn(w, seller)
    w.advance(days=ack_days(w) - 1, seconds=1)  # the first is now overdue, the second not

    late = erasures.outstanding_erasures(w.gh, overdue=True, limit=10)
    pending = erasures.outstanding_erasures(w.gh, overdue=False, limit=10)

    assert [r.id for r in late] == first and [r.id for r in pending] == second


def test_a_deletions_progress_counts_each_recipients_answer(w: World) -> None:
    subject_id = w.subject()
    sellers = sorted((w.recipient() for _ in range(3)), key=lambda r: r.id)
    for seller in sellers:
        w.transfer(w.order(subject_id, seller), consent_notice=None)
    with w.gh.unit_of_work() as uow:
        sent = erasures.send_erasure_requests(
            w.gh,
            uow,
            subject_id=subject_id,
            held=uow.transfers.held_by_transfers(subject_id),
            cause=erasures.ErasureCause.SUBJECT_DELETED,
            deletion_id="del_1",
        )
    receipt = {"erased": ["name", "phone"]}
    w.db.tables.deletions["del_1"] = Deletion("del_1", subject_id, "customer", w.clock(), receipt)
    erasures.acknowledge(w.gh, sellers[0].id, sent[0].erasure_id, None)
    w.advance(days=ack_days(w) + 1)
    erasures.acknowledge(w.gh, sellers[1].id, sent[1].erasure_id, None)

    progress = erasures.deletion_progress(w.gh, "del_1")

    statuses = {item.erasure_id: item.status for item in progress.items}
    assert statuses == {
        sent[0].erasure_id: "acknowledged",
        sent[1].erasure_id: "acknowledged",
        sent[2].erasure_id: "overdue",
    }
    body = progress.to_dict()
    assert body["recipients"] == 3 and body["acknowledged"] == 2 and body["overdue"] == 1
    assert body["pending"] == 0 and body["receipt"] == receipt
    assert body["deleted_at"] == w.clock() - timedelta(days=ack_days(w) + 1)
    assert {item["recipient_id"] for item in body["items"]} == {s.id for s in sellers}
    with pytest.raises(NotFound):
        erasures.deletion_progress(w.gh, "del_nothing")
