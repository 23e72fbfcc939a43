"""Orders and their events; transfer decisions, views and safe numbers are in ``transfers``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, insert, select, update

from gatehouse.domain.ids import new_id
from gatehouse.domain.subjects import Subject
from gatehouse.store.notices import CONSENT_COLUMNS, consent_from_row
from gatehouse.store.records import DecisionRead, StoredOrder
from gatehouse.store.tables import consents, notices, order_events, order_refs, orders, subjects

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


# Orders with their subjects and the subjects' consent histories in one statement, built once:
# everything a transfer decision reads per order, one statement for a whole group or batch.
# A row per consent (one, with empty consent columns, for a subject who never answered);
# the repeated order and subject columns are cheaper than a second round trip.
def _for_decision(*, many: bool) -> Select[Any]:
    # One order (a transfer alone) is a plain key: SQLAlchemy renders an expanding list
    # afresh at every execution, which cost more than the read on the single transfer's path.
    wanted = (
        orders.c.id.in_(bindparam("order_ids", expanding=True))
        if many
        else orders.c.id == bindparam("order_id")
    )
    return (
        select(
            orders,
            subjects.c.residence_country.label("s_residence_country"),
            subjects.c.locale.label("s_locale"),
            subjects.c.rule_pack.label("s_rule_pack"),
            subjects.c.created_at.label("s_created_at"),
            subjects.c.deleted_at.label("s_deleted_at"),
            *CONSENT_COLUMNS,
        )
        .join(subjects, subjects.c.id == orders.c.subject_id)
        .outerjoin(consents, consents.c.subject_id == orders.c.subject_id)
        .outerjoin(notices, notices.c.hash == consents.c.notice_hash)
        .where(wanted)
        .order_by(orders.c.id, consents.c.seq)
    )


_FOR_DECISION = {many: _for_decision(many=many) for many in (False, True)}


def _decision_read(rows: Sequence[Row[Any]]) -> DecisionRead:
    first = rows[0]
    subject = Subject(
        id=first.subject_id,
        residence_country=first.s_residence_country,
        locale=first.s_locale,
        rule_pack=first.s_rule_pack,
        created_at=first.s_created_at,
        deleted_at=first.s_deleted_at,
    )
    history = tuple(consent_from_row(row) for row in rows if row.consent_id is not None)
    return DecisionRead(order=_to_order(first), subject=subject, consents=history)


class OrderRepository:
    """Order rows and their append-only events."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, order: StoredOrder) -> None:
        """Insert an order, and its number in the recipient's numbers first: a number the
        recipient already used fails there, before anything else is written."""
        self._c.execute(
            insert(order_refs).values(
                recipient_id=order.recipient_id,
                external_ref=order.external_ref,
                subject_id=order.subject_id,
                order_id=order.id,
            )
        )
        self._c.execute(insert(orders).values(**asdict(order)))

    def get(self, order_id: str, *, lock: bool = False) -> StoredOrder | None:
        """The order, optionally locked for the rest of the transaction."""
        query = select(orders).where(orders.c.id == order_id)
        if lock:
            query = query.with_for_update()
        row = self._c.execute(query).first()
        return None if row is None else _to_order(row)

    def for_decision(self, order_ids: Sequence[str]) -> dict[str, DecisionRead]:
        """The orders among ``order_ids`` that exist, by order id, each with its subject and
        the subject's consent history."""
        wanted = sorted(set(order_ids))
        if not wanted:
            return {}
        rows: dict[str, list[Row[Any]]] = {}
        many = len(wanted) > 1
        values = {"order_ids": wanted} if many else {"order_id": wanted[0]}
        for row in self._c.execute(_FOR_DECISION[many], values):
            rows.setdefault(row.id, []).append(row)
        return {order_id: _decision_read(group) for order_id, group in rows.items()}

    def of_subject(self, subject_id: str) -> list[StoredOrder]:
        """Every order of the subject, oldest first."""
        rows = self._c.execute(
            select(orders)
            .where(orders.c.subject_id == subject_id)
            .order_by(orders.c.created_at, orders.c.id)
        )
        return [_to_order(row) for row in rows]

    def record_event(
        self, subject_id: str, order_id: str, event: str, at: datetime, **changes: Any
    ) -> None:
        """Append an event to the subject's order and apply its effect on the order row."""
        self._c.execute(
            insert(order_events).values(
                subject_id=subject_id, id=new_id("oev"), order_id=order_id, type=event, at=at
            )
        )
        self._c.execute(
            update(orders)
            .where(orders.c.subject_id == subject_id, orders.c.id == order_id)
            .values(**changes)
        )
