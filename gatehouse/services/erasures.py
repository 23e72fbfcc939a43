"""Erasure requests to recipients: sending, listing, acknowledgement, escalation when overdue.

A request follows either a deletion of the customer's account or the withdrawal of the consent
the recipient's views rested on; both send the same request, webhook and deadline.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Row

from gatehouse.domain.errors import Conflict, NotFound
from gatehouse.domain.ids import new_id
from gatehouse.services import ledger
from gatehouse.services.paging import split_page
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.sql_unit_of_work import SqlUnitOfWork
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.store.erasures import ErasureRepository
from gatehouse.store.orders import TransferRepository
from gatehouse.store.records import Held

__all__ = [
    "ERASURE_EVENT",
    "ErasureCause",
    "ErasureNotice",
    "Held",
    "held_by_transfers",
    "held_by_views",
    "send_erasure_requests",
    "request_erasures",
    "erasure_status",
    "list_for_recipient",
    "acknowledge",
    "escalate_overdue",
    "deletion_progress",
    "list_erasures",
    "outstanding_erasures",
]


ERASURE_EVENT = "subject.erasure_requested"


class ErasureCause(StrEnum):
    """Why a recipient must erase."""

    SUBJECT_DELETED = "subject_deleted"
    CONSENT_WITHDRAWN = "consent_withdrawn"


@dataclass(frozen=True)
class ErasureNotice:
    """One recipient asked to erase: the request's id and the acknowledgement deadline."""

    recipient_id: str
    erasure_id: str
    due_at: datetime

    def to_dict(self) -> dict[str, str]:
        """The form a deletion receipt lists (``due_at`` as ISO 8601)."""
        return {
            "recipient_id": self.recipient_id,
            "erasure_id": self.erasure_id,
            "due_at": self.due_at.isoformat(),
        }


def held_by_transfers(connection: Connection, subject_id: str) -> list[Held]:
    """Every allowed transfer of the subject, open or closed: each recipient may keep a copy."""
    return TransferRepository(connection).held_by_transfers(subject_id)


def held_by_views(connection: Connection, transfer_ids: Iterable[str]) -> list[Held]:
    """The recipients, transfers and order references behind the given views."""
    return TransferRepository(connection).held_by_views(transfer_ids)


def request_erasures(
    gh: Gatehouse,
    connection: Connection,
    *,
    subject_id: str,
    held: Iterable[Held],
    cause: ErasureCause,
    deletion_id: str | None = None,
    consent_id: str | None = None,
) -> list[dict[str, Any]]:
    """:func:`send_erasure_requests` in the caller's transaction on ``connection``; returns
    ``{"recipient_id", "erasure_id", "due_at"}`` for each recipient."""
    notices = send_erasure_requests(
        gh,
        SqlUnitOfWork.joining(connection),
        subject_id=subject_id,
        held=held,
        cause=cause,
        deletion_id=deletion_id,
        consent_id=consent_id,
    )
    return [notice.to_dict() for notice in notices]


def send_erasure_requests(
    gh: Gatehouse,
    uow: UnitOfWork,
    *,
    subject_id: str,
    held: Iterable[Held],
    cause: ErasureCause,
    deletion_id: str | None = None,
    consent_id: str | None = None,
) -> list[ErasureNotice]:
    """One erasure request and one signed webhook per recipient in ``held``, in the caller's
    unit of work; returns one notice per recipient, by recipient id."""
    now = gh.clock()
    subject = uow.subjects.get(subject_id)
    assert subject is not None
    due = now + timedelta(days=gh.packs.by_id(subject.rule_pack).deadlines.erasure_ack_days)
    by_recipient: dict[str, tuple[list[str], list[str]]] = {}
    for recipient_id, transfer_id, order_ref in held:
        ids, refs = by_recipient.setdefault(recipient_id, ([], []))
        if transfer_id not in ids:
            ids.append(transfer_id)
        if order_ref not in refs:
            refs.append(order_ref)
    notices = []
    for recipient_id, (transfer_ids, order_refs) in sorted(by_recipient.items()):
        erasure_id = new_id("era")
        uow.erasures.add_request(
            id=erasure_id,
            deletion_id=deletion_id,
            consent_id=consent_id,
            cause=cause.value,
            recipient_id=recipient_id,
            transfer_ids=transfer_ids,
            order_refs=order_refs,
            requested_at=now,
            due_at=due,
        )
        # No PII in the notice: the recipient finds the data by its own order references.
        uow.webhooks.enqueue(
            recipient_id=recipient_id,
            event_type=ERASURE_EVENT,
            webhook_id=erasure_id,
            data={
                "erasure_id": erasure_id,
                "cause": cause.value,
                "transfer_ids": transfer_ids,
                "order_refs": order_refs,
                "due_at": due.isoformat(),
                "acknowledge": f"/v1/recipient/erasures/{erasure_id}/ack",
            },
            at=now,
        )
        notices.append(ErasureNotice(recipient_id, erasure_id, due))
    return notices


def erasure_status(row: Row[Any], now: datetime) -> str:
    """acknowledged, overdue or pending."""
    if row.acknowledged_at is not None:
        return "acknowledged"
    return "overdue" if row.due_at <= now else "pending"


def list_for_recipient(
    gh: Gatehouse, recipient_id: str, *, status: str | None, after: str | None, limit: int
) -> tuple[list[Row[Any]], str | None]:
    """The recipient's own erasure requests, a page at a time."""
    with gh.engine.connect() as connection:
        rows = ErasureRepository(connection).requests(
            recipient_id=recipient_id, status=status, now=gh.clock(), after=after, limit=limit + 1
        )
    return split_page(rows, limit, lambda row: str(row.id))


def list_erasures(
    gh: Gatehouse, *, status: str | None, after: str | None, limit: int
) -> tuple[list[Row[Any]], str | None]:
    """Every erasure request (the operator's view), a page at a time."""
    with gh.engine.connect() as connection:
        rows = ErasureRepository(connection).requests(
            status=status, now=gh.clock(), after=after, limit=limit + 1
        )
    return split_page(rows, limit, lambda row: str(row.id))


def outstanding_erasures(gh: Gatehouse, *, overdue: bool, limit: int) -> list[Row[Any]]:
    """Unacknowledged erasure requests, overdue or still pending, earliest due date first."""
    with gh.engine.connect() as connection:
        return ErasureRepository(connection).outstanding(
            now=gh.clock(), overdue=overdue, limit=limit
        )


def acknowledge(
    gh: Gatehouse, recipient_id: str, erasure_id: str, attestation: str | None
) -> Row[Any]:
    """The recipient confirms it erased the data; another recipient's id is a 404."""
    now = gh.clock()
    with gh.engine.begin() as connection:
        repo = ErasureRepository(connection)
        row = repo.request(erasure_id)
        if row is None or row.recipient_id != recipient_id:
            raise NotFound(f"no erasure request {erasure_id!r}", code="erasure_not_found")
        if not repo.acknowledge(erasure_id, (attestation or "").strip() or None, now):
            raise Conflict("this erasure was acknowledged already", code="already_acknowledged")
        ledger.append(
            connection,
            kind="erasure.acknowledged",
            at=now,
            subject_id=None,
            recipient_id=recipient_id,
            payload={
                "erasure_id": erasure_id,
                "cause": row.cause,
                "deletion_id": row.deletion_id,
                "late": row.due_at <= now,
                "attested": bool(attestation and attestation.strip()),
            },
        )
        updated = repo.request(erasure_id)
        assert updated is not None
        return updated


def escalate_overdue(gh: Gatehouse) -> int:
    """Escalate every erasure past its deadline, once each; the worker runs this."""
    now = gh.clock()
    count = 0
    with gh.engine.begin() as connection:
        repo = ErasureRepository(connection)
        for row in repo.unescalated_overdue(now):
            if repo.mark_escalated(row.id, now):
                count += 1
                ledger.append(
                    connection,
                    kind="erasure.escalated",
                    at=now,
                    subject_id=None,
                    recipient_id=row.recipient_id,
                    payload={"erasure_id": row.id, "deletion_id": row.deletion_id},
                )
    return count


def deletion_progress(gh: Gatehouse, deletion_id: str) -> dict[str, Any]:
    """How many recipients were told to erase, and how many have confirmed."""
    now = gh.clock()
    with gh.engine.connect() as connection:
        repo = ErasureRepository(connection)
        deletion = repo.deletion(deletion_id)
        if deletion is None:
            raise NotFound(f"no deletion {deletion_id!r}", code="deletion_not_found")
        rows = repo.requests(deletion_id=deletion_id, limit=100_000)
    statuses = [erasure_status(row, now) for row in rows]
    return {
        "deletion_id": deletion_id,
        "deleted_at": deletion.at,
        "recipients": len(rows),
        "acknowledged": statuses.count("acknowledged"),
        "pending": statuses.count("pending"),
        "overdue": statuses.count("overdue"),
        "receipt": deletion.receipt,
        "items": [
            {
                "erasure_id": row.id,
                "recipient_id": row.recipient_id,
                "status": status,
                "due_at": row.due_at,
                "acknowledged_at": row.acknowledged_at,
            }
            for row, status in zip(rows, statuses, strict=True)
        ],
    }
