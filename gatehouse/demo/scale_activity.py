"""The scale run's orders: each with its transfer decision, view, safe number and events.

A slice of the history at a time. Each order is written as the orders, transfers and sweep
use cases would have left it by the end of the history: items sealed under the customer's
key; the decision the rule pack gives (a consented seller is allowed on SEPARATE_CONSENT, a
refused consent or a seller without one gives no_lawful_basis, a seller that never accepted
the terms is not eligible, a suspended one is suspended); the view with its 0505 number;
delivery; and the close of the view once its window ended. Their ledger events are handed
to :mod:`scale_events`, which appends each with the slice it falls in.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from gatehouse.demo.scale_bulk import BulkRows, Row, decision_key
from gatehouse.demo.scale_events import Event, created_payload
from gatehouse.demo.scale_parts import WHOLE, Part
from gatehouse.demo.scale_people import Customer, stable_id
from gatehouse.demo.scale_world import FLOW, PURPOSE, Standing, WorldRecipient
from gatehouse.domain.decision import Refusal
from gatehouse.domain.orders import OrderItem, items_json
from gatehouse.domain.policy import RulePack
from gatehouse.domain.views import close_reason, released_fields, view_expiry
from gatehouse.services.orders import order_scope
from gatehouse.store.tables import (
    order_events,
    order_refs,
    orders,
    pii_fields,
    safe_numbers,
    transfers,
    views,
)
from gatehouse.store.transfer_totals import items_text
from gatehouse.vault import FieldCipher

__all__ = ["Pick", "Slice", "slice_picks", "slice_sizes", "write_slice"]

_SAFE_NUMBERS = 90_000_000
_SAFE_STEP = 102_947  # coprime with 90,000,000: every transfer gets its own number
_ORDER_COLUMNS = (
    "id", "subject_id", "recipient_id", "external_ref", "customs_required", "has_delivery_note",
    "status", "created_at", "delivered_at",
)  # fmt: skip
_TRANSFER_COLUMNS = (
    "id", "order_id", "subject_id", "recipient_id", "country", "purpose", "flow", "allowed",
    "basis", "refusal", "notice_hash", "fields", "decided_at",
)  # fmt: skip
_VIEW_COLUMNS = (
    "transfer_id", "order_id", "subject_id", "recipient_id", "purpose", "consent_notice",
    "safe_number", "opened_at", "expires_at", "closed_at", "close_reason",
)  # fmt: skip
_NOTES = ("문 앞에 놓아 주세요", "경비실에 맡겨 주세요", "부재 시 연락 주세요")
_GOODS = ("생활용품", "주방용품", "의류", "전자기기 액세서리", "완구", "문구")


@dataclass
class Slice:
    """One slice of the history: which orders, when, and the summaries they add to."""

    number: int
    first: int
    count: int
    start: datetime
    end: datetime
    totals: dict[Row, tuple[int, datetime]] = field(default_factory=dict)
    windows: dict[tuple[str, str], datetime] = field(default_factory=dict)
    decisions: dict[tuple[bool, str, str, int], int] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)


def slice_sizes(total: int, slices: int) -> list[int]:
    """How many orders each slice holds: ``total`` spread evenly."""
    return [total // slices + (1 if k < total % slices else 0) for k in range(slices)]


def _safe_number(global_index: int) -> str:
    n = (global_index * _SAFE_STEP + 12_345) % _SAFE_NUMBERS
    return f"0505-{1000 + n // 10_000:04d}-{n % 10_000:04d}"


def _customer(rnd: random.Random, count: int) -> int:
    # Most orders come from everyone alike, so most customers have a handful of transfers;
    # one customer in a hundred is a heavy buyer with well over fifty.
    if rnd.random() < 0.12:
        return rnd.randrange(max(count // 100, 1)) * 100
    return rnd.randrange(count)


def _decision(
    pack: RulePack, customer: Customer, recipient: WorldRecipient, position: int | None
) -> tuple[str | None, str | None]:
    """(basis, refusal) as :func:`gatehouse.domain.decision.decide` gives them here, checked
    in its order: eligibility, suspension, the kind's flows, then a basis (only a consent,
    since no entrustee here is certified, disclosed or in an adequate country)."""
    if recipient.standing == Standing.NO_TERMS:
        return None, Refusal.RECIPIENT_NOT_ELIGIBLE.value
    if recipient.standing == Standing.SUSPENDED:
        return None, Refusal.RECIPIENT_SUSPENDED.value
    if FLOW not in pack.kind_flows.get(recipient.kind, []):
        return None, Refusal.FLOW_NOT_PERMITTED.value
    consented = dict(customer.sellers).get(position) if position is not None else None
    if consented:
        return "SEPARATE_CONSENT", None
    return None, Refusal.NO_LAWFUL_BASIS.value


@dataclass(frozen=True)
class Pick:
    """One order of a slice as the slice's shared stream draws it: its number, time, buyer
    and seller (with the seller's position among the active sellers, if it is one)."""

    number: int
    at: datetime
    customer: Customer
    recipient: WorldRecipient
    position: int | None


def slice_picks(
    part: Slice,
    customers: Sequence[Customer],
    sellers: Sequence[WorldRecipient],
    everyone: Sequence[WorldRecipient],
    seed: int,
) -> Iterator[Pick]:
    """Every order of the slice, in time order: the draws every part makes alike."""
    rnd = random.Random(seed * 101 + part.number)
    span = (part.end - part.start).total_seconds()
    times = sorted(part.start + timedelta(seconds=span * rnd.random()) for _ in range(part.count))
    positions = {seller.id: position for position, seller in enumerate(sellers)}
    for offset, at in enumerate(times):
        customer = customers[_customer(rnd, len(customers))]
        position: int | None
        if rnd.random() < 0.92:
            chosen = rnd.choice(customer.sellers)[0]
            position, recipient = chosen, sellers[chosen]
        else:
            recipient = rnd.choice(everyone)
            position = positions.get(recipient.id)
        yield Pick(part.first + offset, at, customer, recipient, position)


def write_slice(
    rows: BulkRows,
    part: Slice,
    pack: RulePack,
    customers: Sequence[Customer],
    sellers: Sequence[WorldRecipient],
    everyone: Sequence[WorldRecipient],
    history_end: datetime,
    seed: int,
    owner: Part = WHOLE,
) -> None:
    """Queue the rows of the slice's orders that ``owner`` owns; their ledger events are left
    in ``part.events`` for the caller to append in time order."""
    purpose = pack.purposes[PURPOSE]
    for pick in slice_picks(part, customers, sellers, everyone, seed):
        if not owner.owns(pick.customer.id):
            continue
        _order(
            rows,
            part,
            # Each order's details from its own stream, so a part draws only its own orders.
            random.Random(seed * 1_000_003 + pick.number),
            pack,
            purpose,
            pick.customer,
            pick.recipient,
            pick.position,
            pick.at,
            history_end,
            seed,
            pick.number,
        )


def _order(
    rows: BulkRows,
    part: Slice,
    rnd: random.Random,
    pack: RulePack,
    purpose: Any,
    customer: Customer,
    recipient: WorldRecipient,
    position: int | None,
    at: datetime,
    history_end: datetime,
    seed: int,
    number: int,
) -> None:
    order_id = stable_id("ord", seed, number)
    transfer_id = stable_id("trf", seed, number)
    customs = rnd.random() < 0.3
    note = rnd.choice(_NOTES) if rnd.random() < 0.4 else None
    items = [OrderItem(f"SKU-{rnd.randint(10_000, 99_999)}", rnd.choice(_GOODS), rnd.randint(1, 3))]
    cipher = FieldCipher(customer.id, customer.data_key)
    scope = order_scope(order_id)
    sealed = {"items": items_json(items)} | ({"delivery_note": note} if note else {})
    for name, value in sealed.items():
        rows.add(
            pii_fields,
            ("subject_id", "scope", "field", "ciphertext"),
            (customer.id, scope, name, cipher.encrypt(scope, name, value)),
        )
    subject_id, recipient_id = customer.id, recipient.id
    part.events.append(
        (at, number * 4, "order.created", subject_id, recipient_id,
         created_payload(order_id, customs, note is not None))
    )  # fmt: skip
    basis, refusal = _decision(pack, customer, recipient, position)
    allowed = basis is not None
    decided = at + timedelta(seconds=2)
    fields = (
        released_fields(purpose, customs_required=customs, has_delivery_note=note is not None)
        if allowed
        else []
    )
    notice_hash = recipient.notice_hash if allowed else None
    rows.add(
        transfers,
        _TRANSFER_COLUMNS,
        (transfer_id, order_id, subject_id, recipient_id, recipient.country, PURPOSE, FLOW,
         allowed, basis, refusal, notice_hash, fields, decided),
    )  # fmt: skip
    counted = decision_key(subject_id, allowed, recipient.country, refusal)
    part.decisions[counted] = part.decisions.get(counted, 0) + 1
    part.events.append(
        (decided, number * 4 + 1, "transfer.allowed" if allowed else "transfer.refused",
         subject_id, recipient_id,
         {"transfer_id": transfer_id, "order_id": order_id, "purpose": PURPOSE, "flow": FLOW,
          "country": recipient.country, "basis": basis, "notice_hash": notice_hash,
          "fields": fields, "refusal": refusal, "legal_provision": None})
    )  # fmt: skip
    delivered: datetime | None = None
    if allowed:
        delivered = _view(
            rows,
            part,
            rnd,
            pack,
            customer,
            recipient,
            order_id,
            transfer_id,
            decided,
            history_end,
            number,
        )
        key = (
            subject_id,
            recipient_id,
            recipient.country,
            PURPOSE,
            basis or "",
            items_text(fields),
        )
        count, last = part.totals.get(key, (0, decided))
        part.totals[key] = (count + 1, max(last, decided))
    reference = f"SO-{number:09d}"
    rows.add(
        orders,
        _ORDER_COLUMNS,
        (order_id, subject_id, recipient_id, reference, customs, note is not None,
         "delivered" if delivered else "created", at, delivered),
    )  # fmt: skip
    rows.add(
        order_refs,
        ("recipient_id", "external_ref", "subject_id", "order_id"),
        (recipient_id, reference, subject_id, order_id),
    )


def _view(
    rows: BulkRows,
    part: Slice,
    rnd: random.Random,
    pack: RulePack,
    customer: Customer,
    recipient: WorldRecipient,
    order_id: str,
    transfer_id: str,
    opened: datetime,
    history_end: datetime,
    number: int,
) -> datetime | None:
    """The view of an allowed transfer, its delivery and its close; returns when delivered."""
    delivered: datetime | None = opened + timedelta(hours=rnd.uniform(36, 300))
    if rnd.random() < 0.15 or (delivered is not None and delivered >= history_end):
        delivered = None  # not delivered yet, or lost on the way
    subject_id, recipient_id = customer.id, recipient.id
    if delivered is not None:
        # An order is delivered once: its event's id is the order's, under the events' prefix.
        rows.add(
            order_events,
            ("subject_id", "id", "order_id", "type", "at"),
            (subject_id, "oev_" + order_id.removeprefix("ord_"), order_id, "delivered", delivered),
        )
        part.events.append(
            (delivered, number * 4 + 2, "order.delivered", subject_id, recipient_id,
             {"order_id": order_id})
        )  # fmt: skip
    expires = view_expiry(pack.views, opened, delivered)
    closed: datetime | None = None
    reason = None
    if expires < history_end:
        # The sweep closes it on its next run after the window ends.
        closed = min(expires + timedelta(seconds=rnd.uniform(1, 600)), history_end)
        why = close_reason(
            pack.views, now=closed, opened_at=opened, expires_at=expires,
            delivered_at=delivered, order_cancelled=False, recipient_suspended=False,
            country_suspended=False, subject_deleted=False,
        )  # fmt: skip
        reason = None if why is None else why.value
    number_text = None
    if pack.purposes[PURPOSE].fields.get("phone") == "safe_number":
        number_text = _safe_number(number)
        cooldown = timedelta(days=pack.views.safe_number_cooldown_days)
        rows.add(
            safe_numbers,
            ("number", "transfer_id", "leased_at", "released_at", "reusable_after"),
            (
                number_text,
                transfer_id,
                opened,
                closed,
                None if closed is None else closed + cooldown,
            ),
        )
    rows.add(
        views,
        _VIEW_COLUMNS,
        (transfer_id, order_id, subject_id, recipient_id, PURPOSE, recipient.notice_hash,
         number_text, opened, expires, closed, reason),
    )  # fmt: skip
    if closed is not None:
        part.events.append(
            (closed, number * 4 + 3, "view.closed", subject_id, recipient_id,
             {"transfer_id": transfer_id, "reason": reason})
        )  # fmt: skip
    until = closed or expires
    pair = (subject_id, recipient_id)
    part.windows[pair] = max(part.windows.get(pair, until), until)
    return delivered
