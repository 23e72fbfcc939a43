"""Erasure requests to recipients: listing, acknowledgement, and escalation when overdue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row

from gatehouse.domain.errors import Conflict, NotFound
from gatehouse.services import ledger
from gatehouse.services.paging import split_page
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.erasures import ErasureRepository

__all__ = [
    "erasure_status",
    "list_for_recipient",
    "acknowledge",
    "escalate_overdue",
    "deletion_progress",
    "list_erasures",
]


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
