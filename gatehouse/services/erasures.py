"""Erasure requests to recipients: sending, listing, acknowledgement, escalation when overdue.

A request follows either a deletion of the customer's account or the withdrawal of the consent
the recipient's views rested on; both send the same request, webhook and deadline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from gatehouse.domain.errors import Conflict, NotFound
from gatehouse.domain.ids import new_id
from gatehouse.services.paging import split_page
from gatehouse.services.ports import WebhookEvent
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.store.records import ErasureRequest, Held

__all__ = [
    "ERASURE_EVENT",
    "ErasureCause",
    "ErasureNotice",
    "ErasureRequest",
    "ErasureProgress",
    "DeletionProgress",
    "Held",
    "send_erasure_requests",
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
    requests = [
        ErasureRequest(
            id=new_id("era"),
            deletion_id=deletion_id,
            consent_id=consent_id,
            cause=cause.value,
            recipient_id=recipient_id,
            transfer_ids=transfer_ids,
            order_refs=order_refs,
            requested_at=now,
            due_at=due,
        )
        for recipient_id, (transfer_ids, order_refs) in sorted(by_recipient.items())
    ]
    uow.erasures.add_requests(requests)
    # No PII in the notice: the recipient finds the data by its own order references.
    uow.webhooks.enqueue_many(
        [
            WebhookEvent(
                recipient_id=r.recipient_id,
                event_type=ERASURE_EVENT,
                webhook_id=r.id,
                data={
                    "erasure_id": r.id,
                    "cause": cause.value,
                    "transfer_ids": list(r.transfer_ids),
                    "order_refs": list(r.order_refs),
                    "due_at": due.isoformat(),
                    "acknowledge": f"/v1/recipient/erasures/{r.id}/ack",
                },
            )
            for r in requests
        ],
        now,
    )
    return [ErasureNotice(r.recipient_id, r.id, due) for r in requests]


def erasure_status(request: ErasureRequest, now: datetime) -> str:
    """acknowledged, overdue or pending."""
    if request.acknowledged_at is not None:
        return "acknowledged"
    return "overdue" if request.due_at <= now else "pending"


def list_for_recipient(
    gh: Gatehouse, recipient_id: str, *, status: str | None, after: str | None, limit: int
) -> tuple[list[ErasureRequest], str | None]:
    """The recipient's own erasure requests, a page at a time."""
    with gh.unit_of_work(read_only=True) as uow:
        page = uow.erasures.requests(
            recipient_id=recipient_id, status=status, now=gh.clock(), after=after, limit=limit + 1
        )
    return split_page(page, limit, lambda request: request.id)


def list_erasures(
    gh: Gatehouse, *, status: str | None, after: str | None, limit: int
) -> tuple[list[ErasureRequest], str | None]:
    """Every erasure request (the operator's view), a page at a time."""
    with gh.unit_of_work(read_only=True) as uow:
        page = uow.erasures.requests(status=status, now=gh.clock(), after=after, limit=limit + 1)
    return split_page(page, limit, lambda request: request.id)


def outstanding_erasures(gh: Gatehouse, *, overdue: bool, limit: int) -> list[ErasureRequest]:
    """Unacknowledged erasure requests, overdue or still pending, earliest due date first."""
    with gh.unit_of_work(read_only=True) as uow:
        return uow.erasures.outstanding(now=gh.clock(), overdue=overdue, limit=limit)


def acknowledge(
    gh: Gatehouse, recipient_id: str, erasure_id: str, attestation: str | None
) -> ErasureRequest:
    """The recipient confirms it erased the data; another recipient's id is a 404."""
    now = gh.clock()
    statement = (attestation or "").strip() or None
    with gh.unit_of_work() as uow:
        found = uow.erasures.request(erasure_id)
        if found is None or found.recipient_id != recipient_id:
            raise NotFound(f"no erasure request {erasure_id!r}", code="erasure_not_found")
        if not uow.erasures.acknowledge(erasure_id, statement, now):
            raise Conflict("this erasure was acknowledged already", code="already_acknowledged")
        uow.ledger.append(
            kind="erasure.acknowledged",
            at=now,
            subject_id=None,
            recipient_id=recipient_id,
            payload={
                "erasure_id": erasure_id,
                "cause": found.cause,
                "deletion_id": found.deletion_id,
                "late": found.due_at <= now,
                "attested": statement is not None,
            },
        )
        updated = uow.erasures.request(erasure_id)
    assert updated is not None
    return updated


def escalate_overdue(gh: Gatehouse) -> int:
    """Escalate every erasure past its deadline, once each; the worker runs this."""
    now = gh.clock()
    count = 0
    with gh.unit_of_work() as uow:
        for request in uow.erasures.unescalated_overdue(now):
            if uow.erasures.mark_escalated(request.id, now):
                count += 1
                uow.ledger.append(
                    kind="erasure.escalated",
                    at=now,
                    subject_id=None,
                    recipient_id=request.recipient_id,
                    payload={"erasure_id": request.id, "deletion_id": request.deletion_id},
                )
    return count


@dataclass(frozen=True)
class ErasureProgress:
    """Where one recipient's erasure request stands."""

    erasure_id: str
    recipient_id: str
    status: str
    due_at: datetime
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class DeletionProgress:
    """A deletion's receipt, and how many recipients were told to erase and have confirmed."""

    deletion_id: str
    deleted_at: datetime
    receipt: Mapping[str, Any]
    items: tuple[ErasureProgress, ...]

    def count(self, status: str) -> int:
        """How many of the requests are ``status`` (acknowledged, pending or overdue)."""
        return sum(item.status == status for item in self.items)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form the operator API returns."""
        return {
            "deletion_id": self.deletion_id,
            "deleted_at": self.deleted_at,
            "recipients": len(self.items),
            "acknowledged": self.count("acknowledged"),
            "pending": self.count("pending"),
            "overdue": self.count("overdue"),
            "receipt": dict(self.receipt),
            "items": [
                {
                    "erasure_id": item.erasure_id,
                    "recipient_id": item.recipient_id,
                    "status": item.status,
                    "due_at": item.due_at,
                    "acknowledged_at": item.acknowledged_at,
                }
                for item in self.items
            ],
        }


def deletion_progress(gh: Gatehouse, deletion_id: str) -> DeletionProgress:
    """How many recipients were told to erase, and how many have confirmed."""
    now = gh.clock()
    with gh.unit_of_work(read_only=True) as uow:
        deletion = uow.erasures.deletion(deletion_id)
        if deletion is None:
            raise NotFound(f"no deletion {deletion_id!r}", code="deletion_not_found")
        requests = uow.erasures.requests(deletion_id=deletion_id, limit=100_000)
    items = tuple(
        ErasureProgress(r.id, r.recipient_id, erasure_status(r, now), r.due_at, r.acknowledged_at)
        for r in requests
    )
    return DeletionProgress(deletion_id, deletion.at, deletion.receipt, items)
