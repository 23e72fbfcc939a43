"""Orders and their events; transfer decisions, views and safe numbers are in ``transfers``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, select, update

from gatehouse.domain.subjects import Subject
from gatehouse.store.records import StoredOrder
from gatehouse.store.tables import order_events, orders, subjects

# Re-exported: transfers and safe numbers lived here once.
from gatehouse.store.transfers import SafeNumberPool, TransferRepository

__all__ = ["OrderRepository", "TransferRepository", "SafeNumberPool"]


def _to_order(row: Row[Any]) -> StoredOrder:
    return StoredOrder(
        id=row.id,
        subject_id=row.subject_id,
        recipient_id=row.recipient_id,
        external_ref=row.external_ref,
        customs_required=row.customs_required,
        has_delivery_note=row.has_delivery_note,
        status=row.status,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        confirmed_at=row.confirmed_at,
        cancelled_at=row.cancelled_at,
    )


# Orders with their subjects in one statement, built once: the transfer decision's first read,
# one statement for a whole group or batch.
_WITH_SUBJECT = (
    select(
        orders,
        subjects.c.residence_country.label("s_residence_country"),
        subjects.c.locale.label("s_locale"),
        subjects.c.rule_pack.label("s_rule_pack"),
        subjects.c.created_at.label("s_created_at"),
        subjects.c.deleted_at.label("s_deleted_at"),
    )
    .join(subjects, subjects.c.id == orders.c.subject_id)
    .where(orders.c.id.in_(bindparam("order_ids", expanding=True)))
)


class OrderRepository:
    """Order rows and their append-only events."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, order: StoredOrder) -> None:
        """Insert an order."""
        self._c.execute(insert(orders).values(**asdict(order)))

    def get(self, order_id: str, *, lock: bool = False) -> StoredOrder | None:
        """The order, optionally locked for the rest of the transaction."""
        query = select(orders).where(orders.c.id == order_id)
        if lock:
            query = query.with_for_update()
        row = self._c.execute(query).first()
        return None if row is None else _to_order(row)

    def with_subjects(self, order_ids: Sequence[str]) -> dict[str, tuple[StoredOrder, Subject]]:
        """The orders among ``order_ids`` that exist, each with its subject, by order id."""
        wanted = sorted(set(order_ids))
        if not wanted:
            return {}
        found = {}
        for row in self._c.execute(_WITH_SUBJECT, {"order_ids": wanted}):
            subject = Subject(
                id=row.subject_id,
                residence_country=row.s_residence_country,
                locale=row.s_locale,
                rule_pack=row.s_rule_pack,
                created_at=row.s_created_at,
                deleted_at=row.s_deleted_at,
            )
            found[row.id] = (_to_order(row), subject)
        return found

    def of_subject(self, subject_id: str) -> list[StoredOrder]:
        """Every order of the subject, oldest first."""
        rows = self._c.execute(
            select(orders)
            .where(orders.c.subject_id == subject_id)
            .order_by(orders.c.created_at, orders.c.id)
        )
        return [_to_order(row) for row in rows]

    def record_event(self, order_id: str, event: str, at: datetime, **changes: Any) -> None:
        """Append an event and apply its effect on the order row."""
        self._c.execute(insert(order_events).values(order_id=order_id, type=event, at=at))
        self._c.execute(update(orders).where(orders.c.id == order_id).values(**changes))
