"""Orders and the events that move them; the allowed transitions live here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from gatehouse.domain.errors import Conflict, InvalidInput

__all__ = ["OrderEvent", "OrderStatus", "OrderItem", "next_status", "validate_items", "items_json"]


class OrderStatus(StrEnum):
    """Where an order is in its life."""

    CREATED = "created"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    PURCHASE_CONFIRMED = "purchase_confirmed"
    CANCELLED = "cancelled"


class OrderEvent(StrEnum):
    """What the marketplace reports about an order."""

    SHIPPED = "shipped"
    DELIVERED = "delivered"
    PURCHASE_CONFIRMED = "purchase_confirmed"
    CANCELLED = "cancelled"


# From each status, the events that may follow. Delivery may be reported without a shipping
# event (some carriers only report delivery); nothing follows cancellation or confirmation.
_ALLOWED: dict[OrderStatus, set[OrderEvent]] = {
    OrderStatus.CREATED: {OrderEvent.SHIPPED, OrderEvent.DELIVERED, OrderEvent.CANCELLED},
    OrderStatus.SHIPPED: {OrderEvent.DELIVERED, OrderEvent.CANCELLED},
    OrderStatus.DELIVERED: {OrderEvent.PURCHASE_CONFIRMED, OrderEvent.CANCELLED},
    OrderStatus.PURCHASE_CONFIRMED: set(),
    OrderStatus.CANCELLED: set(),
}


def next_status(current: OrderStatus, event: OrderEvent) -> OrderStatus:
    """The status after ``event``, or ``Conflict`` when the event cannot follow."""
    if event not in _ALLOWED[current]:
        raise Conflict(
            f"an order that is {current.value} cannot become {event.value}",
            code="invalid_transition",
            details={"status": current.value, "event": event.value},
        )
    return OrderStatus(event.value)


@dataclass(frozen=True)
class OrderItem:
    """One line of an order."""

    sku: str
    name: str
    quantity: int


def validate_items(items: Sequence[OrderItem]) -> list[OrderItem]:
    """An order has 1 to 100 lines, each with a positive quantity."""
    if not 1 <= len(items) <= 100:
        raise InvalidInput("an order needs 1 to 100 items", code="invalid_items")
    for item in items:
        if not item.sku.strip() or not item.name.strip():
            raise InvalidInput("every item needs a sku and a name", code="invalid_items")
        if not 1 <= item.quantity <= 10_000:
            raise InvalidInput("item quantity must be 1 to 10000", code="invalid_items")
    return list(items)


def items_json(items: Sequence[OrderItem]) -> str:
    """Items as compact JSON, the form they are encrypted in."""
    return json.dumps(
        [{"sku": i.sku, "name": i.name, "quantity": i.quantity} for i in items],
        ensure_ascii=False,
        separators=(",", ":"),
    )
