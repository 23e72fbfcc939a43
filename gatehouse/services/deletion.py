"""The deletion engine: one transaction that erases a subject everywhere it can reach.

It (a) crypto-shreds the subject's data key, (b) closes every open view, (c) moves what the
law makes us keep into the separate retention store, (d) queues an erasure notice for every
recipient that ever received the subject's data, (e) queues a signed notice to the marketplace
so it closes the account too (when the operator set its webhook), and (f) writes a receipt to
the ledger.
Operators call it through ``DELETE /v1/subjects/{id}``; customers through ``DELETE /v1/me``.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy import Connection, select, update

from gatehouse.domain.errors import NotFound
from gatehouse.domain.ids import new_id
from gatehouse.domain.views import CloseReason
from gatehouse.services import ledger
from gatehouse.services.erasures import (
    ERASURE_EVENT,
    ErasureCause,
    held_by_transfers,
    request_erasures,
)
from gatehouse.services.operator_webhook import SUBJECT_DELETED_EVENT, enqueue_operator_event
from gatehouse.services.orders import order_contents
from gatehouse.services.request_records import complaints_of
from gatehouse.services.retention import (
    COMPLAINT_FACTS,
    ORDER_FACTS,
    complaint_dates,
    hold_periods,
    keep,
    order_dates,
    retained_fields,
)
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import decrypt_pii
from gatehouse.services.view_closing import close_views
from gatehouse.store.erasure_tables import deletions
from gatehouse.store.erasures import ErasureRepository
from gatehouse.store.orders import OrderRepository, TransferRepository
from gatehouse.store.subjects import SubjectRepository
from gatehouse.store.tables import subjects
from gatehouse.vault import KeyShredded

__all__ = ["delete_subject", "retained_fields", "ERASED", "ERASURE_EVENT"]

ERASED = ("name", "email", "phone", "address", "customs_code", "orders' delivery notes")
"""What the shredded key makes unreadable, as the receipt lists it."""


def _retain(
    gh: Gatehouse, connection: Connection, subject_id: str, deletion_id: str
) -> list[dict[str, Any]]:
    """Seal the contract, payment and supply records of each order before the key goes."""
    subject = SubjectRepository(connection).get(subject_id)
    assert subject is not None
    pack = gh.packs.by_id(subject.rule_pack)
    pii = decrypt_pii(gh, connection, subject_id)
    kept: list[dict[str, Any]] = []
    for order in OrderRepository(connection).of_subject(subject_id):
        items, _note = order_contents(gh, connection, order)
        address = " ".join(
            part for part in (pii.address.postal_code, pii.address.line1, pii.address.line2) if part
        )
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
        # The holds and their periods are those the deletion page previewed.
        for period in hold_periods(pack, order_dates(order)):
            summary = keep(
                gh, connection, pack=pack, period=period, deletion_id=deletion_id, values=facts
            )
            if summary:
                kept.append(summary)
    for complaint in complaints_of(gh, connection, subject_id):
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
        for period in hold_periods(pack, complaint_dates(request)):
            summary = keep(
                gh, connection, pack=pack, period=period, deletion_id=deletion_id, values=facts
            )
            if summary:
                kept.append(summary)
    return kept


def delete_subject(gh: Gatehouse, subject_id: str, *, requested_by: str) -> dict[str, Any]:
    """Erase a subject in one transaction and return the receipt (also in the ledger)."""
    now = gh.clock()
    with gh.engine.begin() as connection:
        repo = SubjectRepository(connection)
        subject = repo.get(subject_id)
        if subject is None:
            raise NotFound(f"no subject with id {subject_id!r}", code="subject_not_found")
        if subject.deleted:
            raise KeyShredded(
                f"subject {subject_id} was erased already", details={"subject_id": subject_id}
            )
        # Lock the subject row so two deletions (or a deletion and a transfer) don't interleave.
        connection.execute(
            select(subjects.c.id).where(subjects.c.id == subject_id).with_for_update()
        )
        deletion_id = new_id("del")
        erasures = ErasureRepository(connection)
        erasures.add_deletion(
            id=deletion_id, subject_id=subject_id, requested_by=requested_by, at=now, receipt={}
        )
        retained = _retain(gh, connection, subject_id, deletion_id)
        views = TransferRepository(connection).open_views(subject_id=subject_id)
        closed = close_views(gh, connection, views, CloseReason.SUBJECT_DELETED, now)
        notices = request_erasures(
            gh,
            connection,
            subject_id=subject_id,
            held=held_by_transfers(connection, subject_id),
            cause=ErasureCause.SUBJECT_DELETED,
            deletion_id=deletion_id,
        )
        # The marketplace's own customer id lives only in the vault: read it before the shred.
        external_ref = decrypt_pii(gh, connection, subject_id).external_ref
        told = enqueue_operator_event(
            gh,
            connection,
            event_type=SUBJECT_DELETED_EVENT,
            deletion_id=deletion_id,
            data={
                "external_ref": external_ref,
                "deletion_id": deletion_id,
                "deleted_at": now.isoformat(),
                "requested_by": requested_by,
            },
        )
        repo.shred(subject_id, now)
        # The external-ref digest could re-link the tombstone to the customer; replace it.
        connection.execute(
            update(subjects)
            .where(subjects.c.id == subject_id)
            .values(external_ref_digest=hashlib.sha256(secrets.token_bytes(32)).hexdigest())
        )
        entry = ledger.append(
            connection,
            kind="subject.deleted",
            at=now,
            subject_id=subject_id,
            recipient_id=None,
            payload={
                "deletion_id": deletion_id,
                "requested_by": requested_by,
                "views_closed": closed,
                "erasure_ids": [n["erasure_id"] for n in notices],
                "marketplace_notified": told is not None,
                "retained": [{"hold": r["hold"], "kept_until": r["kept_until"]} for r in retained],
            },
        )
        receipt = {
            "deletion_id": deletion_id,
            "subject_id": subject_id,
            "deleted_at": now.isoformat(),
            "requested_by": requested_by,
            "erased": list(ERASED),
            "views_closed": closed,
            "erasure_notices": notices,
            "marketplace_notified": told is not None,
            "retained": retained,
            "ledger": {"shard": entry.shard, "seq": entry.seq, "entry_hash": entry.entry_hash},
        }
        connection.execute(
            update(deletions).where(deletions.c.id == deletion_id).values(receipt=receipt)
        )
    return receipt
