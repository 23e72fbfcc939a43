"""The deletion engine and the customer's account deletion, on the in-memory unit of work."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from gatehouse.domain.errors import NotFound
from gatehouse.domain.orders import OrderEvent
from gatehouse.domain.recipients import Recipient
from gatehouse.services import customer_sessions, orders, rights_requests, terms, transfers
from gatehouse.services.customer import delete_account
from gatehouse.services.deletion import ERASED, erase_subject
from gatehouse.services.operator_webhook import operator_event_context
from gatehouse.services.retention import read_record
from gatehouse.vault import FieldCipher, KeyShredded, WrappedKey, unwrap_key
from tests.support.factories import TERMS_CLAUSES
from tests.support.fake_world import World, new_world
from tests.support.policy_versions import put_policy


@pytest.fixture
def w() -> World:
    world = new_world()
    terms.publish_terms(world.gh, "t1", TERMS_CLAUSES)
    return world


def transfer(w: World, order_id: str) -> str:
    """The order's transfer, decided by the transfer use case."""
    outcome = transfers.request_transfer(w.gh, order_id, purpose="fulfilment", flow="provision")
    assert outcome.decision.allowed, outcome.decision.message
    return outcome.transfer_id


def customer_with_history(w: World) -> tuple[str, Recipient, Recipient, list[str]]:
    """A customer with two sellers, three transfers (one view closed), a delivered order and
    an answered complaint; returns the subject, the sellers and the transfer ids."""
    subject_id = w.subject()
    seller, other = w.recipient(), w.recipient(country="JP")
    w.consent(subject_id, seller, other)
    first = w.order(subject_id, seller, note="경비실에 맡겨 주세요")
    made = [transfer(w, first), transfer(w, w.order(subject_id, seller))]
    cancelled = w.order(subject_id, other)
    made.append(transfer(w, cancelled))
    orders.record_event(w.gh, cancelled, OrderEvent.CANCELLED)  # its view closes now
    w.advance(days=2)
    orders.record_event(w.gh, first, OrderEvent.DELIVERED)
    filed = rights_requests.submit_request(
        w.gh, subject_id, request_type="complaint", message="배송이 늦었어요"
    )
    w.advance(days=3)
    rights_requests.resolve_request(
        w.gh, filed.request.id, outcome="completed", message="죄송합니다"
    )
    w.advance(days=1)
    return subject_id, seller, other, made


def test_a_deletion_shreds_closes_asks_keeps_and_records(w: World) -> None:
    subject_id, seller, other, made = customer_with_history(w)
    ref_digest = w.db.tables.external_refs[subject_id]

    receipt = erase_subject(w.gh, subject_id, requested_by="operator")

    t = w.db.tables
    # (a) The key and every ciphertext and index are gone; the tombstone cannot be re-linked.
    assert t.subjects[subject_id].deleted_at == w.clock()
    assert subject_id not in t.keys
    assert not any(sid == subject_id for sid, _ in t.ciphertexts)
    assert not any(sid == subject_id for sid, _ in t.indexes)
    assert t.external_refs[subject_id] != ref_digest
    # (b) The two open views closed; the cancelled order's was closed already.
    assert receipt.views_closed == 2
    assert {tid: t.closed_views[tid][1] for tid in made[:2]} == dict.fromkeys(
        made[:2], "subject_deleted"
    )
    # (d) Every recipient that ever got the data is asked to erase, the closed view's too.
    asked = {e.recipient_id: e for e in t.erasures.values()}
    assert asked.keys() == {seller.id, other.id}
    assert list(asked[other.id].transfer_ids) == [made[2]]
    assert {n.recipient_id for n in receipt.erasure_notices} == {seller.id, other.id}
    assert {job["recipient_id"] for job in t.webhooks.values()} == {seller.id, other.id}
    # (e) No marketplace webhook: nobody to tell.
    assert receipt.marketplace_notified is False and t.operator_events == {}
    # (f) The ledger entry, and the receipt stored with the deletion.
    (entry,) = w.db.entries("subject.deleted")
    assert entry == receipt.entry and entry.subject_id == subject_id
    assert entry.payload["erasure_ids"] == [n.erasure_id for n in receipt.erasure_notices]
    assert entry.payload["views_closed"] == 2 and entry.payload["requested_by"] == "operator"
    assert t.deletions[receipt.deletion_id].receipt == receipt.to_dict()
    assert receipt.erased == ERASED


def test_the_law_s_records_are_kept_apart_with_only_their_holds_fields(w: World) -> None:
    subject_id, *_ = customer_with_history(w)

    receipt = erase_subject(w.gh, subject_id, requested_by="customer")

    records = list(w.db.tables.retention_records.values())
    # Three orders are three contracts; the delivered one is also a record of supply.
    assert sorted(r.hold for r in records) == ["complaints", "contracts", "contracts"] + [
        "contracts",
        "payments",
    ]
    assert [r.record_id for r in receipt.retained] == [r.id for r in records]
    pack = w.gh.packs.by_id("KR-PIPA")
    for record in records:
        data = read_record(w.gh, record)
        assert set(data) == set(record.fields) <= set(pack.retention_holds[record.hold].fields)
        assert "phone" not in data and "customs_code" not in data
        assert "경비실" not in json.dumps(data, ensure_ascii=False)
    (complaint,) = [r for r in records if r.hold == "complaints"]
    assert read_record(w.gh, complaint)["message"] == "배송이 늦었어요"
    summary = next(r for r in receipt.to_dict()["retained"] if r["hold"] == "complaints")
    assert summary["kept_until"] == complaint.kept_until.isoformat()
    assert summary["label"]["ko"] and summary["fields"] == sorted(complaint.fields)


def test_the_marketplace_is_told_with_its_own_customer_id_sealed(w: World) -> None:
    subject_id = w.subject(external_ref="cus_marketplace_42")
    w.db.tables.operator_webhook = {"name": "marketplace", "url": "https://shop.example/hooks"}

    receipt = erase_subject(w.gh, subject_id, requested_by="customer")

    assert (
        receipt.marketplace_notified
        and w.db.entries("subject.deleted")[0].payload["marketplace_notified"]
    )
    (event,) = w.db.tables.operator_events.values()
    assert event["event_type"] == "subject.deleted"
    assert event["deletion_id"] == receipt.deletion_id
    assert b"cus_marketplace_42" not in event["ciphertext"]
    key = unwrap_key(
        WrappedKey(event["kek_id"], event["wrapped_key"]),
        operator_event_context(event["id"]),
        w.gh.keyring,
    )
    data = json.loads(
        FieldCipher(event["id"], key).decrypt(
            "operator_event", "subject.deleted", event["ciphertext"]
        )
    )
    assert data == {
        "external_ref": "cus_marketplace_42",
        "deletion_id": receipt.deletion_id,
        "deleted_at": receipt.deleted_at.isoformat(),
        "requested_by": "customer",
    }


def test_the_receipt_keeps_its_json_shape(w: World) -> None:
    subject_id = w.subject()

    shown = erase_subject(w.gh, subject_id, requested_by="operator").to_dict()

    assert list(shown) == [
        "deletion_id",
        "subject_id",
        "deleted_at",
        "requested_by",
        "erased",
        "views_closed",
        "erasure_notices",
        "marketplace_notified",
        "retained",
        "ledger",
    ]
    (entry,) = w.db.entries("subject.deleted")
    assert shown["ledger"] == {
        "shard": entry.shard,
        "seq": entry.seq,
        "entry_hash": entry.entry_hash,
    }
    assert shown["deleted_at"] == w.clock().isoformat() and shown["erased"] == list(ERASED)
    assert json.loads(json.dumps(shown)) == shown
    assert w.db.tables.deletions[shown["deletion_id"]].receipt == shown


def test_the_policy_in_force_goes_beside_the_receipt_not_into_it(w: World) -> None:
    before_any = delete_account(w.gh, w.subject())
    put_policy(w.db, 1, effective_at=w.clock())
    w.advance(hours=1)
    put_policy(w.db, 2, effective_at=w.clock() + timedelta(days=7))  # announced only

    after = delete_account(w.gh, w.subject())

    assert (before_any.policy_version, after.policy_version) == (None, 1)
    stored = w.db.tables.deletions[after.deletion_id].receipt
    assert stored == after.to_dict() and "policy_version" not in json.dumps(stored)


def test_a_subject_is_deleted_once_and_an_unknown_one_not_at_all(w: World) -> None:
    subject_id = w.subject()
    erase_subject(w.gh, subject_id, requested_by="operator")
    before = w.db.committed()

    with pytest.raises(KeyShredded):
        erase_subject(w.gh, subject_id, requested_by="operator")
    with pytest.raises(NotFound) as missing:
        erase_subject(w.gh, "sub_nobody", requested_by="operator")
    assert missing.value.code == "subject_not_found"
    assert w.db.tables == before


def test_deleting_the_account_ends_every_session_in_the_same_transaction(w: World) -> None:
    subject_id = w.subject()
    cookie, _ = customer_sessions.open_link(
        w.gh, customer_sessions.create_link(w.gh, subject_id).token
    )
    opened = w.db.opened

    receipt = delete_account(w.gh, subject_id)

    assert w.db.opened == opened + 1
    assert receipt.requested_by == "customer"
    assert all(s.revoked_at == w.clock() for s in w.db.tables.customer_sessions.values())
    assert customer_sessions.belongs_to_erased_subject(w.gh, cookie)


@pytest.mark.parametrize(
    "where",
    [
        "CustomerSessions.revoke_subject",  # the very last step
        "Deletions.set_receipt",
        "Webhooks.enqueue",
        "OperatorEvents.enqueue",
        "RetentionRecords.add_many",
    ],
)
def test_a_failure_anywhere_leaves_the_account_as_it_was(w: World, where: str) -> None:
    subject_id, *_ = customer_with_history(w)
    w.db.tables.operator_webhook = {"name": "marketplace", "url": "https://shop.example/hooks"}
    customer_sessions.create_link(w.gh, subject_id)
    before = w.db.committed()
    entries = len(w.db.entries())

    w.db.fail(where, RuntimeError("down"))
    with pytest.raises(RuntimeError):
        delete_account(w.gh, subject_id)

    # Nothing happened: not deleted, the key in place, no ledger entry, nobody told.
    t = w.db.tables
    assert t == before
    assert t.subjects[subject_id].deleted_at is None and subject_id in t.keys
    assert len(w.db.entries()) == entries and w.db.entries("subject.deleted") == []
    assert t.deletions == {} and t.retention_records == {} and t.operator_events == {}
    # And the deletion goes through once the failure is gone.
    w.db.failures.clear()
    assert delete_account(w.gh, subject_id).subject_id == subject_id
