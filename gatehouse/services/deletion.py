"""The deletion engine: one transaction that erases a subject everywhere it can reach.

It (a) crypto-shreds the subject's data key, (b) closes every open view, (c) moves what the
law makes us keep into the separate retention store, (d) queues an erasure notice for every
recipient that ever received the subject's data, (e) queues a signed notice to the marketplace
so it closes the account too (when the operator set its webhook), and (f) writes a receipt to
the ledger.
Operators call it through ``DELETE /v1/subjects/{id}``; customers through ``DELETE /v1/me``,
which also ends their sessions in the same transaction
(:func:`gatehouse.services.customer.delete_account`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gatehouse.domain.errors import NotFound
from gatehouse.domain.ids import new_id
from gatehouse.domain.requests import RequestType
from gatehouse.domain.subjects import Subject, SubjectPII
from gatehouse.domain.views import CloseReason
from gatehouse.ledger import LedgerEntry
from gatehouse.services.erasures import (
    ERASURE_EVENT,
    ErasureCause,
    ErasureNotice,
    send_erasure_requests,
)
from gatehouse.services.operator_webhook import SUBJECT_DELETED_EVENT, enqueue_operator_event
from gatehouse.services.orders import sealed_contents_of
from gatehouse.services.request_records import open_records
from gatehouse.services.retention import (
    COMPLAINT_FACTS,
    ORDER_FACTS,
    HoldPeriod,
    RetainedRecord,
    complaint_dates,
    hold_periods,
    order_dates,
    retained_fields,
    seal,
)
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import open_pii, subject_cipher
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.services.view_closing import close_views_in
from gatehouse.store.records import Deletion
from gatehouse.store.retention_records import RetentionRecord
from gatehouse.vault import KeyShredded

__all__ = [
    "DeletionReceipt",
    "erase_subject",
    "erase_in",
    "retained_fields",
    "ERASED",
    "ERASURE_EVENT",
]

ERASED = ("name", "email", "phone", "address", "customs_code", "orders' delivery notes")
"""What the shredded key makes unreadable, as the receipt lists it."""


@dataclass(frozen=True)
class DeletionReceipt:
    """What a deletion did, as the customer keeps it; stored with the deletion, and in the
    ledger by its entry."""

    deletion_id: str
    subject_id: str
    deleted_at: datetime
    requested_by: str
    erased: tuple[str, ...]
    views_closed: int
    erasure_notices: tuple[ErasureNotice, ...]
    marketplace_notified: bool
    retained: tuple[RetainedRecord, ...]
    # The ``subject.deleted`` ledger entry.
    entry: LedgerEntry
    # The privacy policy version in force at the deletion (None before the first), for the link
    # the answer shows beside the receipt. Not part of the receipt: the stored and handed-over
    # document stays exactly what the deletion did.
    policy_version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The receipt's JSON form, as stored and as the API answers it."""
        return {
            "deletion_id": self.deletion_id,
            "subject_id": self.subject_id,
            "deleted_at": self.deleted_at.isoformat(),
            "requested_by": self.requested_by,
            "erased": list(self.erased),
            "views_closed": self.views_closed,
            "erasure_notices": [notice.to_dict() for notice in self.erasure_notices],
            "marketplace_notified": self.marketplace_notified,
            "retained": [record.to_dict() for record in self.retained],
            "ledger": {
                "shard": self.entry.shard,
                "seq": self.entry.seq,
                "entry_hash": self.entry.entry_hash,
            },
        }


def _retain(
    gh: Gatehouse, uow: UnitOfWork, subject: Subject, pii: SubjectPII, deletion_id: str
) -> list[RetainedRecord]:
    """Seal the contract, payment and supply records of each order, and the complaints,
    before the key goes."""
    pack = gh.packs.by_id(subject.rule_pack)
    cipher = subject_cipher(gh, uow.subjects, subject.id)
    assert cipher is not None, "a live subject has its key"
    kept: list[RetainedRecord] = []
    sealed: list[RetentionRecord] = []

    def hold(facts: Mapping[str, Any], periods: list[HoldPeriod]) -> None:
        # The holds and their periods are those the deletion page previewed.
        for period in periods:
            made = seal(gh, pack=pack, period=period, deletion_id=deletion_id, values=facts)
            if made is not None:
                sealed.append(made[0])
                kept.append(made[1])

    address = " ".join(
        part for part in (pii.address.postal_code, pii.address.line1, pii.address.line2) if part
    )
    orders = uow.orders.of_subject(subject.id)
    contents = sealed_contents_of(cipher, uow.subjects, subject.id, orders)
    for order in orders:
        items, _note = contents[order.id]
        facts: dict[str, Any] = {
            "order_ref": order.external_ref,
            "items": items,
            "ordered_at": order.created_at.isoformat(),
            "cancelled_at": order.cancelled_at.isoformat() if order.cancelled_at else None,
            "delivered_at": order.delivered_at.isoformat() if order.delivered_at else None,
            "name": pii.name,
            "address": address if order.delivered_at else None,
        }
        assert set(facts) == set(ORDER_FACTS), "retained_fields must name what is kept"
        hold(facts, hold_periods(pack, order_dates(order)))
    stored = uow.requests.of_subject(
        subject.id, request_type=RequestType.COMPLAINT, newest_first=False
    )
    for complaint in open_records(gh, uow.subjects, stored):
        request = complaint.request
        resolved = request.resolution.resolved_at if request.resolution else None
        facts = {
            "request_ref": request.id,
            "type": request.type.value,
            "message": complaint.message,
            "resolved_at": resolved.isoformat() if resolved else None,
            "name": pii.name,
            "email": pii.email,
        }
        assert set(facts) == set(COMPLAINT_FACTS), "retained_fields must name what is kept"
        hold(facts, hold_periods(pack, complaint_dates(request)))
    # One statement for all of them, however many orders the customer had.
    uow.retention_records.add_many(sealed)
    return kept


def erase_in(
    gh: Gatehouse, uow: UnitOfWork, subject_id: str, *, requested_by: str
) -> DeletionReceipt:
    """Erase a subject inside the caller's unit of work and return the receipt."""
    now = gh.clock()
    # Locked first, so two deletions (or a deletion and a transfer) don't interleave.
    subject = uow.deletions.lock_subject(subject_id)
    if subject is None:
        raise NotFound(f"no subject with id {subject_id!r}", code="subject_not_found")
    if subject.deleted:
        raise KeyShredded(
            f"subject {subject_id} was erased already", details={"subject_id": subject_id}
        )
    # Every entry below is the subject's, so its shard is locked once and its head moved once.
    with uow.ledger.group([subject_id], now):
        return _erase(gh, uow, subject, requested_by, now)


def _erase(
    gh: Gatehouse, uow: UnitOfWork, subject: Subject, requested_by: str, now: datetime
) -> DeletionReceipt:
    subject_id = subject.id
    deletion_id = new_id("del")
    uow.deletions.add(Deletion(deletion_id, subject_id, requested_by, now, {}))
    pii = open_pii(gh, uow.subjects, subject_id)
    retained = _retain(gh, uow, subject, pii, deletion_id)
    views = uow.transfers.open_views(subject_id=subject_id)
    closed = close_views_in(gh, uow, views, CloseReason.SUBJECT_DELETED, now)
    notices = send_erasure_requests(
        gh,
        uow,
        subject_id=subject_id,
        held=uow.transfers.held_by_transfers(subject_id),
        cause=ErasureCause.SUBJECT_DELETED,
        deletion_id=deletion_id,
    )
    # The marketplace's own customer id lives only in the vault: read before the shred.
    told = enqueue_operator_event(
        gh,
        uow,
        event_type=SUBJECT_DELETED_EVENT,
        deletion_id=deletion_id,
        data={
            "external_ref": pii.external_ref,
            "deletion_id": deletion_id,
            "deleted_at": now.isoformat(),
            "requested_by": requested_by,
        },
    )
    uow.deletions.shred(subject_id, now)
    entry = uow.ledger.append(
        kind="subject.deleted",
        at=now,
        subject_id=subject_id,
        recipient_id=None,
        payload={
            "deletion_id": deletion_id,
            "requested_by": requested_by,
            "views_closed": closed,
            "erasure_ids": [notice.erasure_id for notice in notices],
            "marketplace_notified": told is not None,
            "retained": [
                {"hold": r.hold, "kept_until": r.kept_until.isoformat()} for r in retained
            ],
        },
    )
    in_force = uow.policies.in_force(now, with_documents=False)
    receipt = DeletionReceipt(
        deletion_id=deletion_id,
        subject_id=subject_id,
        deleted_at=now,
        requested_by=requested_by,
        erased=ERASED,
        views_closed=closed,
        erasure_notices=tuple(notices),
        marketplace_notified=told is not None,
        retained=tuple(retained),
        entry=entry,
        policy_version=None if in_force is None else in_force.version,
    )
    uow.deletions.set_receipt(deletion_id, receipt.to_dict())
    return receipt


def erase_subject(gh: Gatehouse, subject_id: str, *, requested_by: str) -> DeletionReceipt:
    """Erase a subject in one transaction and return the receipt (also in the ledger)."""
    with gh.unit_of_work() as uow:
        return erase_in(gh, uow, subject_id, requested_by=requested_by)
