"""Rights requests: their statutory clock and answer; the free texts are sealed elsewhere."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, insert, or_, select, update

from gatehouse.domain.requests import (
    Deadline,
    Outcome,
    RequestStatus,
    RequestType,
    Resolution,
    RightsRequest,
)
from gatehouse.store.customer_tables import rights_requests
from gatehouse.store.records import StoredRequest

__all__ = ["RequestRepository"]


def _to_stored(row: Row[Any]) -> StoredRequest:
    resolution = None
    if row.status == RequestStatus.RESOLVED.value:
        # The answer's text is sealed under the subject's key; the caller opens it.
        resolution = Resolution(
            outcome=Outcome(row.outcome),
            message=None,
            refusal_reason=row.refusal_reason,
            appeal_route=row.appeal_route,
            resolved_at=row.resolved_at,
        )
    request = RightsRequest(
        id=row.id,
        subject_id=row.subject_id,
        type=RequestType(row.type),
        transfer_id=row.transfer_id,
        deadline=Deadline(row.created_at, row.alert_at, row.due_at),
        resolution=resolution,
    )
    return StoredRequest(request=request, channel=row.channel)


class RequestRepository:
    """Reads and writes ``rights_requests`` rows on the caller's connection."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, request: RightsRequest, channel: str) -> None:
        """Store a new, pending request."""
        self._c.execute(
            insert(rights_requests).values(
                id=request.id,
                subject_id=request.subject_id,
                type=request.type.value,
                transfer_id=request.transfer_id,
                channel=channel,
                status=RequestStatus.PENDING.value,
                created_at=request.deadline.created_at,
                alert_at=request.deadline.alert_at,
                due_at=request.deadline.due_at,
            )
        )

    def get(self, request_id: str, *, lock: bool = False) -> StoredRequest | None:
        """One request, optionally locked for the rest of the transaction; None if absent."""
        query = select(rights_requests).where(rights_requests.c.id == request_id)
        if lock:
            query = query.with_for_update()
        row = self._c.execute(query).first()
        return None if row is None else _to_stored(row)

    def of_subject(
        self, subject_id: str, *, request_type: RequestType | None = None, newest_first: bool
    ) -> list[StoredRequest]:
        """The subject's requests (of one type, if given) by creation time."""
        created = rights_requests.c.created_at
        query = (
            select(rights_requests)
            .where(rights_requests.c.subject_id == subject_id)
            .order_by(created.desc() if newest_first else created, rights_requests.c.id)
        )
        if request_type is not None:
            query = query.where(rights_requests.c.type == request_type.value)
        return [_to_stored(row) for row in self._c.execute(query)]

    def page(
        self,
        *,
        status: RequestStatus | None,
        due_before: datetime | None,
        subject_id: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[StoredRequest]:
        """Up to ``limit`` requests in due order (then id), after the ``(due_at, id)`` given."""
        table = rights_requests.c
        query = select(rights_requests).order_by(table.due_at, table.id).limit(limit)
        if status is not None:
            query = query.where(table.status == status.value)
        if due_before is not None:
            query = query.where(table.due_at < due_before)
        if subject_id is not None:
            query = query.where(table.subject_id == subject_id)
        if after is not None:
            due, last_id = after
            query = query.where(
                or_(table.due_at > due, and_(table.due_at == due, table.id > last_id))
            )
        return [_to_stored(row) for row in self._c.execute(query)]

    def resolve(self, request_id: str, resolution: Resolution) -> bool:
        """Record the answer of a pending request; False when it was answered already."""
        done = self._c.execute(
            update(rights_requests)
            .where(
                rights_requests.c.id == request_id,
                rights_requests.c.status == RequestStatus.PENDING.value,
            )
            .values(
                status=RequestStatus.RESOLVED.value,
                outcome=resolution.outcome.value,
                refusal_reason=resolution.refusal_reason,
                appeal_route=resolution.appeal_route,
                resolved_at=resolution.resolved_at,
            )
        )
        return done.rowcount == 1
