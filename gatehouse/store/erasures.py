"""Deletions, the erasure requests they send, and the separate retention store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from gatehouse.store.erasure_tables import deletions, erasure_requests
from gatehouse.store.generations import ERASURES, bump
from gatehouse.store.records import Deletion, ErasureRequest

__all__ = ["ErasureRepository"]


def _to_request(row: Row[Any]) -> ErasureRequest:
    return ErasureRequest(
        id=row.id,
        deletion_id=row.deletion_id,
        consent_id=row.consent_id,
        cause=row.cause,
        recipient_id=row.recipient_id,
        transfer_ids=list(row.transfer_ids),
        order_refs=list(row.order_refs),
        requested_at=row.requested_at,
        due_at=row.due_at,
        acknowledged_at=row.acknowledged_at,
        attestation=row.attestation,
        escalated_at=row.escalated_at,
    )


class ErasureRepository:
    """Deletion receipts and per-recipient erasure requests."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add_deletion(self, **values: Any) -> None:
        """Store a deletion and its receipt."""
        self._c.execute(insert(deletions).values(**values))

    def deletion(self, deletion_id: str) -> Deletion | None:
        """One deletion, or None."""
        row = self._c.execute(select(deletions).where(deletions.c.id == deletion_id)).first()
        if row is None:
            return None
        return Deletion(row.id, row.subject_id, row.requested_by, row.at, dict(row.receipt))

    def add_requests(self, requests: Sequence[ErasureRequest]) -> None:
        """Ask each recipient of ``requests`` to erase: one insert, one generation bump."""
        if not requests:
            return
        rows = [
            {
                "id": r.id,
                "deletion_id": r.deletion_id,
                "consent_id": r.consent_id,
                "cause": r.cause,
                "recipient_id": r.recipient_id,
                "transfer_ids": list(r.transfer_ids),
                "order_refs": list(r.order_refs),
                "requested_at": r.requested_at,
                "due_at": r.due_at,
            }
            for r in requests
        ]
        self._c.execute(insert(erasure_requests).values(rows))
        bump(self._c, ERASURES)

    def request(self, erasure_id: str) -> ErasureRequest | None:
        """One erasure request, or None."""
        row = self._c.execute(
            select(erasure_requests).where(erasure_requests.c.id == erasure_id)
        ).first()
        return None if row is None else _to_request(row)

    def requests(
        self,
        *,
        recipient_id: str | None = None,
        deletion_id: str | None = None,
        status: str | None = None,
        now: datetime | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[ErasureRequest]:
        """Erasure requests by recipient or deletion; status pending, acknowledged or overdue."""
        query = select(erasure_requests).order_by(erasure_requests.c.id).limit(limit)
        if recipient_id is not None:
            query = query.where(erasure_requests.c.recipient_id == recipient_id)
        if deletion_id is not None:
            query = query.where(erasure_requests.c.deletion_id == deletion_id)
        if status == "acknowledged":
            query = query.where(erasure_requests.c.acknowledged_at.is_not(None))
        elif status in ("pending", "overdue"):
            query = query.where(erasure_requests.c.acknowledged_at.is_(None))
            if status == "overdue" and now is not None:
                query = query.where(erasure_requests.c.due_at <= now)
        if after:
            query = query.where(erasure_requests.c.id > after)
        return [_to_request(row) for row in self._c.execute(query)]

    def outstanding(self, *, now: datetime, overdue: bool, limit: int) -> list[ErasureRequest]:
        """Unacknowledged requests past (or within) their deadline, the earliest due first.

        The id breaks ties, so the list is stable. Ids are random, so ``requests`` (ordered by
        id for its cursor) would return an arbitrary ``limit`` of a longer backlog; a panel
        that shows a few must show the worst.
        """
        query = (
            select(erasure_requests)
            .where(erasure_requests.c.acknowledged_at.is_(None))
            .order_by(erasure_requests.c.due_at, erasure_requests.c.id)
            .limit(limit)
        )
        late = erasure_requests.c.due_at <= now
        query = query.where(late if overdue else ~late)
        return [_to_request(row) for row in self._c.execute(query)]

    def acknowledge(self, erasure_id: str, attestation: str | None, at: datetime) -> bool:
        """Record the recipient's confirmation; False when it was confirmed already."""
        result = self._c.execute(
            update(erasure_requests)
            .where(
                erasure_requests.c.id == erasure_id, erasure_requests.c.acknowledged_at.is_(None)
            )
            .values(acknowledged_at=at, attestation=attestation)
        )
        if result.rowcount == 1:
            bump(self._c, ERASURES)
        return result.rowcount == 1

    def open_dues(self, recipient_id: str) -> list[datetime]:
        """The deadlines of the recipient's unacknowledged erasures, earliest first."""
        rows = self._c.execute(
            select(erasure_requests.c.due_at)
            .where(
                erasure_requests.c.recipient_id == recipient_id,
                erasure_requests.c.acknowledged_at.is_(None),
            )
            .order_by(erasure_requests.c.due_at)
        )
        return [row.due_at for row in rows]

    def overdue_counts(self, recipient_ids: Sequence[str], now: datetime) -> dict[str, int]:
        """Unacknowledged erasures past their deadline, per recipient (one query)."""
        if not recipient_ids:
            return {}
        rows = self._c.execute(
            select(erasure_requests.c.recipient_id, func.count())
            .where(
                erasure_requests.c.recipient_id.in_(list(recipient_ids)),
                erasure_requests.c.acknowledged_at.is_(None),
                erasure_requests.c.due_at <= now,
            )
            .group_by(erasure_requests.c.recipient_id)
        )
        return {row[0]: int(row[1]) for row in rows}

    def unescalated_overdue(self, now: datetime, limit: int = 500) -> list[ErasureRequest]:
        """Overdue requests not yet escalated, by id."""
        rows = self._c.execute(
            select(erasure_requests)
            .where(
                erasure_requests.c.acknowledged_at.is_(None),
                erasure_requests.c.due_at <= now,
                erasure_requests.c.escalated_at.is_(None),
            )
            .order_by(erasure_requests.c.id)
            .limit(limit)
        )
        return [_to_request(row) for row in rows]

    def mark_escalated(self, erasure_id: str, at: datetime) -> bool:
        """Escalate once."""
        result = self._c.execute(
            update(erasure_requests)
            .where(erasure_requests.c.id == erasure_id, erasure_requests.c.escalated_at.is_(None))
            .values(escalated_at=at)
        )
        return result.rowcount == 1
