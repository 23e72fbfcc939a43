"""Everything held about a customer, as their own machine-readable copy (Art. 35 access)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from gatehouse.domain.subjects import unmasked_pii
from gatehouse.services import ledger
from gatehouse.services.customer_profile import live_subject
from gatehouse.services.orders import order_contents
from gatehouse.services.rights_requests import requests_of_subject
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import decrypt_pii
from gatehouse.store.ledger import LedgerRepository
from gatehouse.store.notices import ConsentRepository
from gatehouse.store.subjects import SubjectRepository
from gatehouse.store.tables import notices, orders, recipients, transfers, views

__all__ = ["EXPORT_FORMAT", "export"]

EXPORT_FORMAT = "gatehouse.subject-export/1"


def _consent_history(connection: Connection, subject_id: str) -> list[dict[str, Any]]:
    """Every answer the subject gave, with the exact text of the notice it answered."""
    history = ConsentRepository(connection).history(subject_id)
    hashes = sorted({record.notice_hash for record in history})
    texts = {
        row.hash: row
        for row in connection.execute(select(notices).where(notices.c.hash.in_(hashes)))
    }
    answers = []
    for record in history:
        notice = texts.get(record.notice_hash)
        answers.append(
            {
                "id": record.id,
                "granted": record.granted,
                "withdraws": record.withdraws,
                "channel": record.channel,
                "at": record.at,
                "purpose": record.purpose,
                "recipients": sorted(record.recipients),
                "notice": None
                if notice is None
                else {
                    "hash": notice.hash,
                    "locale": notice.locale,
                    "purpose": notice.purpose,
                    "flow": notice.flow,
                    "countries": list(notice.countries),
                    "shown_at": notice.created_at,
                    "text": notice.text,
                },
            }
        )
    return answers


def _orders(gh: Gatehouse, connection: Connection, subject_id: str) -> list[dict[str, Any]]:
    """Every order with its contents opened (items and the delivery note as written)."""
    rows = connection.execute(
        select(orders).where(orders.c.subject_id == subject_id).order_by(orders.c.created_at)
    ).all()
    result = []
    for order in rows:
        items, note = order_contents(gh, connection, order)
        facts = {k: v for k, v in order._asdict().items() if k != "has_delivery_note"}
        result.append({**facts, "items": items, "delivery_note": note})
    return result


def _decisions(connection: Connection, subject_id: str) -> list[dict[str, Any]]:
    """Every transfer decision about the subject, refused ones too: we hold those as well."""
    rows = connection.execute(
        select(
            transfers,
            recipients.c.legal_name.label("recipient_name"),
            views.c.expires_at.label("view_expires_at"),
            views.c.closed_at.label("view_closed_at"),
        )
        .join(recipients, recipients.c.id == transfers.c.recipient_id)
        .outerjoin(views, views.c.transfer_id == transfers.c.id)
        .where(transfers.c.subject_id == subject_id)
        .order_by(transfers.c.decided_at, transfers.c.id)
    )
    return [row._asdict() for row in rows]


def export(gh: Gatehouse, subject_id: str) -> dict[str, Any]:
    """Everything held about the subject, machine-readable (Art. 35 access, in full).

    The profile is unmasked here, customs code included: this is the customer's own copy.
    The export itself is recorded in the ledger, without its content.
    """
    now = gh.clock()
    with gh.engine.connect() as connection:
        subject = live_subject(connection, subject_id)
        pii = decrypt_pii(gh, connection, subject_id)
        consents = _consent_history(connection, subject_id)
        order_list = _orders(gh, connection, subject_id)
        decisions = _decisions(connection, subject_id)
        reads = SubjectRepository(connection).pii_reads(subject_id)
        entries = LedgerRepository(connection).find(subject_id=subject_id)
    requests = [
        {
            "id": r.request.id,
            "type": r.request.type.value,
            "transfer_id": r.request.transfer_id,
            "channel": r.channel,
            "message": r.message,
            "status": r.request.status.value,
            "created_at": r.request.deadline.created_at,
            "due_at": r.request.deadline.due_at,
            "resolution": None
            if r.request.resolution is None
            else {
                "outcome": r.request.resolution.outcome.value,
                "message": r.request.resolution.message,
                "refusal_reason": r.request.resolution.refusal_reason,
                "appeal_route": r.request.resolution.appeal_route,
                "resolved_at": r.request.resolution.resolved_at,
            },
        }
        for r in requests_of_subject(gh, subject_id)
    ]
    with gh.engine.begin() as connection:
        ledger.append(
            connection,
            kind="subject.exported",
            at=now,
            subject_id=subject_id,
            recipient_id=None,
            payload={"format": EXPORT_FORMAT, "ledger_entries": len(entries)},
        )
    return {
        "format": EXPORT_FORMAT,
        "generated_at": now,
        "subject": {
            "id": subject.id,
            "residence_country": subject.residence_country,
            "locale": subject.locale,
            "rule_pack": subject.rule_pack,
            "created_at": subject.created_at,
        },
        "profile": unmasked_pii(pii),
        "consents": consents,
        "orders": order_list,
        "transfers": decisions,
        "requests": requests,
        "operator_reads": reads,
        "ledger": [entry.to_dict() for entry in entries],
    }
