"""The deletion engine: one transaction that erases a subject everywhere it can reach.

It (a) crypto-shreds the subject's data key, (b) closes every open view, (c) moves what the
law makes us keep into the separate retention store, (d) queues an erasure notice for every
recipient that ever received the subject's data, and (e) writes a receipt to the ledger.
Operators call it through ``DELETE /v1/subjects/{id}``; customers through ``DELETE /v1/me``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from gatehouse.domain.errors import NotFound
from gatehouse.domain.ids import new_id
from gatehouse.domain.views import CloseReason
from gatehouse.services import ledger
from gatehouse.services.orders import order_contents
from gatehouse.services.retention import keep
from gatehouse.services.rights_requests import complaints_of
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import decrypt_pii
from gatehouse.services.view_closing import close_views
from gatehouse.services.webhooks import enqueue_webhook
from gatehouse.store.erasures import ErasureRepository
from gatehouse.store.orders import TransferRepository
from gatehouse.store.subjects import SubjectRepository
from gatehouse.store.tables import deletions, orders, subjects, transfers
from gatehouse.vault import KeyShredded

__all__ = ["delete_subject", "ERASURE_EVENT"]

ERASURE_EVENT = "subject.erasure_requested"


def _retain(
    gh: Gatehouse, connection: Connection, subject_id: str, deletion_id: str
) -> list[dict[str, Any]]:
    """Seal the contract, payment and supply records of each order before the key goes."""
    subject = SubjectRepository(connection).get(subject_id)
    assert subject is not None
    pack = gh.packs.by_id(subject.rule_pack)
    pii = decrypt_pii(gh, connection, subject_id)
    kept: list[dict[str, Any]] = []
    rows = connection.execute(
        select(orders).where(orders.c.subject_id == subject_id).order_by(orders.c.created_at)
    ).all()
    for order in rows:
        items, _note = order_contents(gh, connection, order)
        address = " ".join(
            part for part in (pii.address.postal_code, pii.address.line1, pii.address.line2) if part
        )
        facts = {
            "order_ref": order.external_ref,
            "items": items,
            "ordered_at": order.created_at.isoformat(),
            "cancelled_at": order.cancelled_at.isoformat() if order.cancelled_at else None,
            "delivered_at": order.delivered_at.isoformat() if order.delivered_at else None,
            "name": pii.name,
            "address": address if order.delivered_at else None,
        }
        # The statutory period runs from the transaction, not from the deletion.
        start = order.cancelled_at or order.delivered_at or order.created_at
        # Every order is a contract; only a delivered one is a record of supply.
        holds = ("contracts", "payments") if order.delivered_at else ("contracts",)
        for hold in holds:
            if hold in pack.retention_holds:
                summary = keep(
                    gh,
                    connection,
                    pack=pack,
                    hold_name=hold,
                    deletion_id=deletion_id,
                    values=facts,
                    start=start,
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
        summary = keep(
            gh,
            connection,
            pack=pack,
            hold_name="complaints",
            deletion_id=deletion_id,
            values=facts,
            start=resolved or request.deadline.created_at,
        )
        if summary:
            kept.append(summary)
    return kept


def _notify_recipients(
    gh: Gatehouse, connection: Connection, subject_id: str, deletion_id: str
) -> list[dict[str, Any]]:
    """An erasure request and a signed webhook for every recipient that ever got the data."""
    now = gh.clock()
    subject = SubjectRepository(connection).get(subject_id)
    assert subject is not None
    days = gh.packs.by_id(subject.rule_pack).deadlines.erasure_ack_days
    rows = connection.execute(
        select(transfers.c.id, transfers.c.recipient_id, orders.c.external_ref)
        .join(orders, orders.c.id == transfers.c.order_id)
        .where(transfers.c.subject_id == subject_id, transfers.c.allowed.is_(True))
        .order_by(transfers.c.recipient_id, transfers.c.id)
    ).all()
    by_recipient: dict[str, tuple[list[str], list[str]]] = {}
    for row in rows:
        ids, refs = by_recipient.setdefault(row.recipient_id, ([], []))
        ids.append(row.id)
        if row.external_ref not in refs:
            refs.append(row.external_ref)
    notices = []
    repo = ErasureRepository(connection)
    for recipient_id, (transfer_ids, order_refs) in sorted(by_recipient.items()):
        erasure_id = new_id("era")
        due = now + timedelta(days=days)
        repo.add_request(
            id=erasure_id,
            deletion_id=deletion_id,
            recipient_id=recipient_id,
            transfer_ids=transfer_ids,
            order_refs=order_refs,
            requested_at=now,
            due_at=due,
        )
        # No PII in the notice: the recipient finds the data by its own order references.
        enqueue_webhook(
            connection,
            recipient_id=recipient_id,
            event_type=ERASURE_EVENT,
            webhook_id=erasure_id,
            data={
                "erasure_id": erasure_id,
                "transfer_ids": transfer_ids,
                "order_refs": order_refs,
                "due_at": due.isoformat(),
                "acknowledge": f"/v1/recipient/erasures/{erasure_id}/ack",
            },
            at=now,
        )
        notices.append(
            {"recipient_id": recipient_id, "erasure_id": erasure_id, "due_at": due.isoformat()}
        )
    return notices


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
        notices = _notify_recipients(gh, connection, subject_id, deletion_id)
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
                "retained": [{"hold": r["hold"], "kept_until": r["kept_until"]} for r in retained],
            },
        )
        receipt = {
            "deletion_id": deletion_id,
            "subject_id": subject_id,
            "deleted_at": now.isoformat(),
            "requested_by": requested_by,
            "erased": [
                "name",
                "email",
                "phone",
                "address",
                "customs_code",
                "orders' delivery notes",
            ],
            "views_closed": closed,
            "erasure_notices": notices,
            "retained": retained,
            "ledger": {"shard": entry.shard, "seq": entry.seq, "entry_hash": entry.entry_hash},
        }
        connection.execute(
            update(deletions).where(deletions.c.id == deletion_id).values(receipt=receipt)
        )
    return receipt
