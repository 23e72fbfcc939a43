"""The scale run's ledger events in time order, across slices and across reruns.

An order's rows are written in their final state with its slice, but its later events (its
delivery, its view's close) happen in later slices. They wait here and are appended with the
slice they fall in, so each shard's entries run forward in time as a live ledger's do. A
rerun rebuilds what was waiting from the rows already written: every event stamped at or
after the slice it starts from.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from gatehouse.demo.scale_bulk import BulkRows, ShardBook
from gatehouse.store.schema import same_subject
from gatehouse.store.tables import orders, transfers, views

__all__ = ["Backlog", "Event", "created_payload", "decided_payload", "order_number"]

Event = tuple[datetime, int, str, str, str, dict[str, Any]]
"""(at, order number * 4 + step, kind, subject id, recipient id, payload): the first two
order events of one moment the same way on every run."""


def order_number(external_ref: str) -> int:
    """The generator's number of an order, from its external reference ``SO-<number>``."""
    return int(external_ref.removeprefix("SO-"))


def created_payload(order_id: str, customs: bool, has_note: bool) -> dict[str, Any]:
    """The ``order.created`` payload, as the orders use case writes it."""
    fields = ["items", "delivery_note"] if has_note else ["items"]
    return {"order_id": order_id, "customs_required": customs, "fields": fields}


def decided_payload(row: Any) -> dict[str, Any]:
    """The ``transfer.allowed``/``refused`` payload of a transfer row, as the gateway writes it."""
    return {
        "transfer_id": row.id,
        "order_id": row.order_id,
        "purpose": row.purpose,
        "flow": row.flow,
        "country": row.country,
        "basis": row.basis,
        "notice_hash": row.notice_hash,
        "fields": list(row.fields),
        "refusal": row.refusal,
        "legal_provision": None,
    }


class Backlog:
    """Events waiting for the slice they fall in."""

    def __init__(self, events: Iterable[Event] = ()) -> None:
        self._heap = list(events)
        heapq.heapify(self._heap)

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, events: Iterable[Event]) -> None:
        """Let ``events`` wait for their slice."""
        for event in events:
            heapq.heappush(self._heap, event)

    def release(self, rows: BulkRows, book: ShardBook, before: datetime | None) -> None:
        """Append, in time order, every event stamped before ``before`` (all when None)."""
        heap = self._heap
        while heap and (before is None or heap[0][0] < before):
            at, _, kind, subject_id, recipient_id, payload = heapq.heappop(heap)
            book.append(rows, kind, at, subject_id, recipient_id, payload)

    @classmethod
    def from_rows(
        cls, c: Connection, since: datetime, keep: Callable[[str], bool] = lambda _: True
    ) -> Backlog:
        """The events of the orders already written that are stamped at or after ``since``,
        of the subjects ``keep`` accepts (a part's own)."""
        events: list[Event] = []
        for row in c.execute(select(orders).where(orders.c.created_at >= since)):
            payload = created_payload(row.id, row.customs_required, row.has_delivery_note)
            number = order_number(row.external_ref) * 4
            events.append(
                (row.created_at, number, "order.created", row.subject_id, row.recipient_id, payload)
            )
        for row in c.execute(select(orders).where(orders.c.delivered_at >= since)):
            number = order_number(row.external_ref) * 4 + 2
            payload = {"order_id": row.id}
            events.append(
                (row.delivered_at, number, "order.delivered", row.subject_id, row.recipient_id,
                 payload)
            )  # fmt: skip
        decided = select(transfers, orders.c.external_ref).join(
            orders, same_subject(transfers, "order_id", orders)
        )
        for row in c.execute(decided.where(transfers.c.decided_at >= since)):
            kind = "transfer.allowed" if row.allowed else "transfer.refused"
            number = order_number(row.external_ref) * 4 + 1
            events.append(
                (row.decided_at, number, kind, row.subject_id, row.recipient_id,
                 decided_payload(row))
            )  # fmt: skip
        closed = select(views, orders.c.external_ref).join(
            orders, same_subject(views, "order_id", orders)
        )
        for row in c.execute(closed.where(views.c.closed_at >= since)):
            number = order_number(row.external_ref) * 4 + 3
            payload = {"transfer_id": row.transfer_id, "reason": row.close_reason}
            events.append(
                (row.closed_at, number, "view.closed", row.subject_id, row.recipient_id, payload)
            )
        return cls(event for event in events if keep(event[3]))
