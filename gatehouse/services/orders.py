"""Orders: created with their contents sealed in the vault, moved on by events."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row
from sqlalchemy.exc import IntegrityError

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
from gatehouse.services import ledger
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.view_closing import close_views
from gatehouse.store.orders import OrderRepository, TransferRepository
from gatehouse.store.recipients import RecipientRepository
from gatehouse.store.subjects import SubjectRepository
from gatehouse.store.tables import pii_fields
from gatehouse.vault import FieldCipher, KeyShredded, unwrap_key

__all__ = ["NewOrder", "create_order", "record_event", "order_scope", "order_contents"]


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


def _cipher(gh: Gatehouse, connection: Connection, subject_id: str) -> FieldCipher:
    wrapped = SubjectRepository(connection).wrapped_key(subject_id)
    if wrapped is None:
        raise KeyShredded(f"subject {subject_id} was erased", details={"subject_id": subject_id})
    return FieldCipher(subject_id, unwrap_key(wrapped, subject_id, gh.keyring))


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
        with gh.engine.begin() as connection:
            subject = SubjectRepository(connection).get(new.subject_id)
            if subject is None:
                raise NotFound(f"no subject with id {new.subject_id!r}", code="subject_not_found")
            if subject.deleted:
                raise KeyShredded(
                    f"subject {new.subject_id} was erased", details={"subject_id": new.subject_id}
                )
            if RecipientRepository(connection).get(new.recipient_id) is None:
                raise NotFound(
                    f"no recipient with id {new.recipient_id!r}", code="recipient_not_found"
                )
            cipher = _cipher(gh, connection, subject.id)
            OrderRepository(connection).add(
                id=order_id,
                subject_id=subject.id,
                recipient_id=new.recipient_id,
                external_ref=new.external_ref.strip(),
                customs_required=new.customs_required,
                has_delivery_note=note is not None,
                status=OrderStatus.CREATED.value,
                created_at=now,
            )
            scope = order_scope(order_id)
            sealed = [("items", items_json(items))] + ([("delivery_note", note)] if note else [])
            connection.execute(
                pii_fields.insert(),
                [
                    {
                        "subject_id": subject.id,
                        "scope": scope,
                        "field": name,
                        "ciphertext": cipher.encrypt(scope, name, value),
                    }
                    for name, value in sealed
                ],
            )
            ledger.append(
                connection,
                kind="order.created",
                at=now,
                subject_id=subject.id,
                recipient_id=new.recipient_id,
                payload={
                    "order_id": order_id,
                    "customs_required": new.customs_required,
                    "fields": [name for name, _ in sealed],
                },
            )
    except IntegrityError:
        raise duplicate from None
    return order_id


def order_contents(
    gh: Gatehouse, connection: Connection, order: Row[Any]
) -> tuple[list[dict[str, object]], str | None]:
    """Decrypt an order's items and delivery note (the caller decides what to release)."""
    cipher = _cipher(gh, connection, order.subject_id)
    scope = order_scope(order.id)
    blobs = SubjectRepository(connection).ciphertexts(order.subject_id, scope)
    items = json.loads(cipher.decrypt(scope, "items", blobs["items"]))
    note = (
        cipher.decrypt(scope, "delivery_note", blobs["delivery_note"])
        if "delivery_note" in blobs
        else None
    )
    return items, note


def record_event(gh: Gatehouse, order_id: str, event: OrderEvent) -> dict[str, object]:
    """Apply an order event and its effect on the order's open views."""
    now = gh.clock()
    with gh.engine.begin() as connection:
        orders = OrderRepository(connection)
        order = orders.get(order_id, lock=True)
        if order is None:
            raise NotFound(f"no order with id {order_id!r}", code="order_not_found")
        status = next_status(OrderStatus(order.status), event)
        changes: dict[str, Any] = {"status": status.value}
        column = {
            OrderEvent.DELIVERED: "delivered_at",
            OrderEvent.PURCHASE_CONFIRMED: "confirmed_at",
            OrderEvent.CANCELLED: "cancelled_at",
        }.get(event)
        if column:
            changes[column] = now
        orders.record_event(order_id, event.value, now, **changes)
        ledger.append(
            connection,
            kind=f"order.{event.value}",
            at=now,
            subject_id=order.subject_id,
            recipient_id=order.recipient_id,
            payload={"order_id": order_id},
        )
        transfers = TransferRepository(connection)
        open_views = transfers.open_views(order_id=order_id)
        if event is OrderEvent.CANCELLED:
            close_views(gh, connection, open_views, CloseReason.CANCELLED, now)
        elif event is OrderEvent.DELIVERED:
            for view in open_views:
                pack = gh.packs.by_id(_pack_id(connection, order.subject_id))
                transfers.set_expiry(view.transfer_id, view_expiry(pack.views, view.opened_at, now))
    return {"order_id": order_id, "status": status.value, "at": now}


def _pack_id(connection: Connection, subject_id: str) -> str:
    subject = SubjectRepository(connection).get(subject_id)
    assert subject is not None
    return subject.rule_pack
