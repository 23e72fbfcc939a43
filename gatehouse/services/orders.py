"""Orders: created with their contents sealed in the vault, moved on by events."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from gatehouse.domain.errors import Conflict, NotFound
from gatehouse.domain.ids import new_id
from gatehouse.domain.orders import (
    OrderEvent,
    OrderItem,
    OrderStatus,
    items_json,
    next_status,
    validate_items,
)
from gatehouse.domain.views import CloseReason, view_expiry
from gatehouse.services.ports import DuplicateKey, Subjects
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import require_live_subject, subject_cipher
from gatehouse.services.view_closing import close_views_in
from gatehouse.store.records import StoredOrder
from gatehouse.vault import FieldCipher, KeyShredded

__all__ = [
    "NewOrder",
    "OrderRef",
    "OrderEventResult",
    "create_order",
    "record_event",
    "order_scope",
    "sealed_contents",
    "sealed_contents_of",
]

# The order column each event stamps with its time.
_STAMPS = {
    OrderEvent.DELIVERED: "delivered_at",
    OrderEvent.PURCHASE_CONFIRMED: "confirmed_at",
    OrderEvent.CANCELLED: "cancelled_at",
}


def order_scope(order_id: str) -> str:
    """The vault scope of an order's encrypted fields (sealed under the subject's key)."""
    return f"order:{order_id}"


@dataclass(frozen=True)
class NewOrder:
    """An order as the marketplace reports it."""

    subject_id: str
    recipient_id: str
    external_ref: str
    items: Sequence[OrderItem]
    delivery_note: str | None
    customs_required: bool


@dataclass(frozen=True)
class OrderEventResult:
    """Where an order stands after an event."""

    order_id: str
    status: str
    at: datetime


class OrderRef(Protocol):
    """What opening an order's contents needs (a stored order or a database row)."""

    @property
    def id(self) -> str: ...

    @property
    def subject_id(self) -> str: ...


def _cipher(gh: Gatehouse, subjects: Subjects, subject_id: str) -> FieldCipher:
    cipher = subject_cipher(gh, subjects, subject_id)
    if cipher is None:
        raise KeyShredded(f"subject {subject_id} was erased", details={"subject_id": subject_id})
    return cipher


def create_order(gh: Gatehouse, new: NewOrder) -> str:
    """Store an order; items and delivery note are encrypted like the rest of the PII."""
    items = validate_items(new.items)
    note = (new.delivery_note or "").strip() or None
    order_id = new_id("ord")
    now = gh.clock()
    duplicate = Conflict(
        "this recipient already has an order with that external_ref", code="duplicate_order"
    )
    try:
        with gh.unit_of_work() as uow:
            subject = require_live_subject(uow.subjects, new.subject_id)
            if uow.recipients.get(new.recipient_id) is None:
                raise NotFound(
                    f"no recipient with id {new.recipient_id!r}", code="recipient_not_found"
                )
            cipher = _cipher(gh, uow.subjects, subject.id)
            uow.orders.add(
                StoredOrder(
                    id=order_id,
                    subject_id=subject.id,
                    recipient_id=new.recipient_id,
                    external_ref=new.external_ref.strip(),
                    customs_required=new.customs_required,
                    has_delivery_note=note is not None,
                    status=OrderStatus.CREATED.value,
                    created_at=now,
                    delivered_at=None,
                    confirmed_at=None,
                    cancelled_at=None,
                )
            )
            scope = order_scope(order_id)
            sealed = {"items": items_json(items)} | ({"delivery_note": note} if note else {})
            uow.subjects.add_ciphertexts(
                subject.id,
                scope,
                {name: cipher.encrypt(scope, name, value) for name, value in sealed.items()},
            )
            uow.ledger.append(
                kind="order.created",
                at=now,
                subject_id=subject.id,
                recipient_id=new.recipient_id,
                payload={
                    "order_id": order_id,
                    "customs_required": new.customs_required,
                    "fields": list(sealed),
                },
            )
    except DuplicateKey:
        raise duplicate from None
    return order_id


def sealed_contents(
    cipher: FieldCipher, subjects: Subjects, order: OrderRef
) -> tuple[list[dict[str, object]], str | None]:
    """Decrypt an order's items and delivery note with the subject's cipher."""
    scope = order_scope(order.id)
    return _opened(cipher, scope, subjects.ciphertexts(order.subject_id, scope))


def sealed_contents_of(
    cipher: FieldCipher, subjects: Subjects, subject_id: str, orders: Sequence[OrderRef]
) -> dict[str, tuple[list[dict[str, object]], str | None]]:
    """:func:`sealed_contents` of each of the subject's ``orders``, by order id, read with one
    query however many orders there are."""
    if any(order.subject_id != subject_id for order in orders):
        raise ValueError("every order must be the subject's own")
    scopes = {order.id: order_scope(order.id) for order in orders}
    blobs = subjects.ciphertexts_in(subject_id, scopes.values())
    return {
        order_id: _opened(cipher, scope, blobs.get(scope, {})) for order_id, scope in scopes.items()
    }


def _opened(
    cipher: FieldCipher, scope: str, blobs: Mapping[str, bytes]
) -> tuple[list[dict[str, object]], str | None]:
    items = json.loads(cipher.decrypt(scope, "items", blobs["items"]))
    note = (
        cipher.decrypt(scope, "delivery_note", blobs["delivery_note"])
        if "delivery_note" in blobs
        else None
    )
    return items, note


def record_event(gh: Gatehouse, order_id: str, event: OrderEvent) -> OrderEventResult:
    """Apply an order event and its effect on the order's open views."""
    now = gh.clock()
    with gh.unit_of_work() as uow:
        order = uow.orders.get(order_id, lock=True)
        if order is None:
            raise NotFound(f"no order with id {order_id!r}", code="order_not_found")
        status = next_status(OrderStatus(order.status), event)
        changes: dict[str, Any] = {"status": status.value}
        stamp = _STAMPS.get(event)
        if stamp:
            changes[stamp] = now
        uow.orders.record_event(order.subject_id, order_id, event.value, now, **changes)
        uow.ledger.append(
            kind=f"order.{event.value}",
            at=now,
            subject_id=order.subject_id,
            recipient_id=order.recipient_id,
            payload={"order_id": order_id},
        )
        open_views = uow.transfers.open_views(order_id=order_id)
        if event is OrderEvent.CANCELLED:
            close_views_in(gh, uow, open_views, CloseReason.CANCELLED, now)
        elif event is OrderEvent.DELIVERED and open_views:
            subject = uow.subjects.get(order.subject_id)
            assert subject is not None
            pack = gh.packs.by_id(subject.rule_pack)
            for view in open_views:
                uow.transfers.set_expiry(
                    view.transfer_id, view_expiry(pack.views, view.opened_at, now)
                )
    return OrderEventResult(order_id=order_id, status=status.value, at=now)
