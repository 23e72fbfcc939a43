"""The latest dates of a subject's orders and complaints, for previewing retention periods.

A retention period runs from a record's last event, and which holds keep a record depends
only on which of its dates exist (see :func:`gatehouse.services.retention.hold_periods`). So
the records that end last are found among, per pattern of missing dates, the latest of each
date: a handful of rows whatever the number of orders.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, case, func, select

from gatehouse.domain.requests import RequestStatus, RequestType
from gatehouse.store.customer_tables import rights_requests
from gatehouse.store.tables import orders

__all__ = ["RetentionDateRepository"]


class RetentionDateRepository:
    """Aggregate reads of the dates retention counts from, on the caller's connection."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def latest_order_dates(
        self, subject_id: str
    ) -> list[tuple[datetime, datetime | None, datetime | None]]:
        """``(placed, delivered, cancelled)``: the latest of each date per pattern of missing ones.

        Orders are grouped by whether they were delivered and whether they were cancelled;
        a group's missing date stays None.
        """
        rows = self._c.execute(
            select(
                func.max(orders.c.created_at),
                func.max(orders.c.delivered_at),
                func.max(orders.c.cancelled_at),
            )
            .where(orders.c.subject_id == subject_id)
            .group_by(orders.c.delivered_at.is_(None), orders.c.cancelled_at.is_(None))
        ).all()
        return [(placed, delivered, cancelled) for placed, delivered, cancelled in rows]

    def latest_complaint_dates(self, subject_id: str) -> list[tuple[datetime, datetime | None]]:
        """``(filed, answered)``: the latest of each, for answered and for open complaints."""
        answered = rights_requests.c.status == RequestStatus.RESOLVED.value
        rows = self._c.execute(
            select(
                func.max(rights_requests.c.created_at),
                func.max(case((answered, rights_requests.c.resolved_at))),
            )
            .where(
                rights_requests.c.subject_id == subject_id,
                rights_requests.c.type == RequestType.COMPLAINT.value,
            )
            .group_by(answered)
        ).all()
        return [(filed, answered_at) for filed, answered_at in rows]
