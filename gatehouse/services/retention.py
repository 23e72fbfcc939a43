"""The separate retention store: records kept after a deletion, sealed until their end date.

Which holds keep a record of an order or a complaint, and from when until when, is decided
once, by :func:`hold_periods`: the deletion engine seals records with it and the deletion
confirmation page previews them with it (:func:`retention_preview`), so the date a customer
is promised before deleting is the date the receipt then records.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from gatehouse.domain.ids import new_id
from gatehouse.domain.policy import RetentionHold, RulePack
from gatehouse.domain.requests import RightsRequest
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import require_live_subject
from gatehouse.store.records import StoredOrder
from gatehouse.store.retention_records import RetentionRecord
from gatehouse.vault import (
    FieldCipher,
    KeyShredded,
    WrappedKey,
    new_data_key,
    unwrap_key,
    wrap_key,
)

__all__ = [
    "ORDER_HOLDS",
    "COMPLAINT_HOLDS",
    "ORDER_FACTS",
    "COMPLAINT_FACTS",
    "OrderDates",
    "ComplaintDates",
    "HoldPeriod",
    "HoldPreview",
    "RetainedRecord",
    "SealedRecord",
    "order_dates",
    "complaint_dates",
    "hold_periods",
    "retained_fields",
    "retention_preview",
    "retention_context",
    "seal",
    "read_record",
    "destroy_expired",
    "kept_until",
]

_SCOPE = "retention"

ORDER_HOLDS = ("contracts", "payments")
"""The holds that keep records of an order: every order is a contract, a delivered one also
a record of payment and supply."""

COMPLAINT_HOLDS = ("complaints",)
"""The holds that keep records of a complaint."""

ORDER_FACTS = (
    "order_ref",
    "items",
    "ordered_at",
    "cancelled_at",
    "delivered_at",
    "name",
    "address",
)
"""The facts the deletion engine hands to an order's holds; a hold keeps those it lists."""

COMPLAINT_FACTS = ("request_ref", "type", "message", "resolved_at", "name", "email")
"""The facts the deletion engine hands to a complaint's hold."""

_FACTS = {
    **dict.fromkeys(ORDER_HOLDS, ORDER_FACTS),
    **dict.fromkeys(COMPLAINT_HOLDS, COMPLAINT_FACTS),
}


@dataclass(frozen=True)
class OrderDates:
    """The dates of an order that its retention periods count from."""

    ordered_at: datetime
    delivered_at: datetime | None = None
    cancelled_at: datetime | None = None


@dataclass(frozen=True)
class ComplaintDates:
    """The dates of a complaint that its retention period counts from."""

    filed_at: datetime
    answered_at: datetime | None = None


@dataclass(frozen=True)
class HoldPeriod:
    """One hold's record of an order or a complaint: kept from ``start`` until ``end``."""

    hold: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class HoldPreview:
    """A hold as the customer sees it before deleting: what it keeps, and until when.

    ``until`` is the latest end over the customer's records under the hold, or None when
    the customer has none.
    """

    name: str
    hold: RetentionHold
    fields: tuple[str, ...]
    until: datetime | None


@dataclass(frozen=True)
class RetainedRecord:
    """A record a deletion kept, as its receipt lists it: never the record's contents."""

    record_id: str
    hold: str
    # The hold's name by language, as the rule pack labels it.
    label: Mapping[str, str]
    statute: str
    fields: tuple[str, ...]
    kept_until: datetime

    def to_dict(self) -> dict[str, Any]:
        """The receipt's JSON form (``kept_until`` as ISO 8601)."""
        return {
            "record_id": self.record_id,
            "hold": self.hold,
            "label": dict(self.label),
            "statute": self.statute,
            "fields": list(self.fields),
            "kept_until": self.kept_until.isoformat(),
        }


class SealedRecord(Protocol):
    """What opening a retention record needs (a stored record, or a row of its table)."""

    @property
    def id(self) -> str: ...

    @property
    def hold(self) -> str: ...

    @property
    def kek_id(self) -> str | None: ...

    @property
    def wrapped_key(self) -> bytes | None: ...

    @property
    def ciphertext(self) -> bytes | None: ...


def retention_context(record_id: str) -> str:
    """The vault context binding a retention record's key to the record."""
    return f"retention:{record_id}"


def kept_until(hold: RetentionHold, start: datetime) -> datetime:
    """The statutory end date: ``hold.months`` after ``start`` (months counted as 30.44 days)."""
    return start + timedelta(days=round(hold.months * 30.44))


def order_dates(order: StoredOrder) -> OrderDates:
    """The retention dates of a stored order."""
    return OrderDates(order.created_at, order.delivered_at, order.cancelled_at)


def complaint_dates(request: RightsRequest) -> ComplaintDates:
    """The retention dates of a complaint: when it was filed, and answered if it was."""
    answered = request.resolution.resolved_at if request.resolution else None
    return ComplaintDates(request.deadline.created_at, answered)


def hold_periods(pack: RulePack, dates: OrderDates | ComplaintDates) -> list[HoldPeriod]:
    """The pack's holds that keep a record of this order or complaint, each with its period.

    The statutory period runs from the transaction, not from the deletion: an order's from
    its last event (cancelled, else delivered, else placed), a complaint's from its answer,
    or from its filing while it is unanswered.
    """
    if isinstance(dates, OrderDates):
        start = dates.cancelled_at or dates.delivered_at or dates.ordered_at
        names = ORDER_HOLDS if dates.delivered_at else ORDER_HOLDS[:1]
    else:
        start = dates.answered_at or dates.filed_at
        names = COMPLAINT_HOLDS
    return [
        HoldPeriod(name, start, kept_until(pack.retention_holds[name], start))
        for name in names
        if name in pack.retention_holds
    ]


def retained_fields(pack: RulePack, hold_name: str) -> list[str]:
    """The fields of a retention hold that a deletion can actually keep, in the pack's order.

    A hold may list fields Gatehouse never holds (a payment amount, say); promising to keep
    those would be untrue, so pages show this list instead of the pack's.
    """
    hold = pack.retention_holds.get(hold_name)
    supplied = _FACTS.get(hold_name, ())
    return [name for name in hold.fields if name in supplied] if hold else []


def retention_preview(gh: Gatehouse, subject_id: str) -> list[HoldPreview]:
    """What a deletion of this live subject would keep now, per hold, and until when.

    Each date comes from :func:`hold_periods`, the deletion engine's own rule, so it is the
    date the deletion receipt would record. The rule is applied to the latest dates per
    pattern of missing ones (see :mod:`gatehouse.store.retention_dates`): which holds apply
    depends only on which dates exist, and a later date never ends a record sooner, so those
    give each hold's last end, in the same time for ten orders or thousands.
    """
    with gh.unit_of_work(read_only=True) as uow:
        subject = require_live_subject(uow.subjects, subject_id)
        dates = uow.retention_dates
        latest: list[OrderDates | ComplaintDates] = [
            OrderDates(placed, delivered, cancelled)
            for placed, delivered, cancelled in dates.latest_order_dates(subject_id)
        ]
        latest += [
            ComplaintDates(filed, answered)
            for filed, answered in dates.latest_complaint_dates(subject_id)
        ]
    pack = gh.packs.by_id(subject.rule_pack)
    ends: dict[str, datetime] = {}
    for item in latest:
        for period in hold_periods(pack, item):
            ends[period.hold] = max(period.end, ends.get(period.hold, period.end))
    return [
        HoldPreview(
            name, pack.retention_holds[name], tuple(retained_fields(pack, name)), ends.get(name)
        )
        for name in (*ORDER_HOLDS, *COMPLAINT_HOLDS)
        if name in pack.retention_holds
    ]


def seal(
    gh: Gatehouse,
    *,
    pack: RulePack,
    period: HoldPeriod,
    deletion_id: str,
    values: Mapping[str, Any],
) -> tuple[RetentionRecord, RetainedRecord] | None:
    """Seal the hold's fields of ``values`` as a new record, kept until the period's end:
    the record to store, and what the deletion receipt lists.

    Fields outside the hold are never sealed. None when none of the hold's fields apply.
    Nothing is written: the caller stores the records, many in one statement.
    """
    hold_name = period.hold
    hold = pack.retention_holds[hold_name]
    kept = {name: values[name] for name in hold.fields if values.get(name) is not None}
    if not kept:
        return None
    record_id = new_id("ret")
    key = new_data_key()
    # Its own key, not the subject's: the subject's key is shredded in the same transaction.
    blob = FieldCipher(record_id, key).encrypt(
        _SCOPE, hold_name, json.dumps(kept, ensure_ascii=False, default=str)
    )
    wrapped = wrap_key(key, retention_context(record_id), gh.keyring)
    fields = tuple(sorted(kept))
    record = RetentionRecord(
        id=record_id,
        deletion_id=deletion_id,
        hold=hold_name,
        statute=hold.statute,
        fields=list(fields),
        kept_until=period.end,
        kek_id=wrapped.kek_id,
        wrapped_key=wrapped.blob,
        ciphertext=blob,
        created_at=gh.clock(),
    )
    listed = RetainedRecord(
        record_id=record_id,
        hold=hold_name,
        label=dict(hold.label.root),
        statute=hold.statute,
        fields=fields,
        kept_until=period.end,
    )
    return record, listed


def read_record(gh: Gatehouse, record: SealedRecord) -> dict[str, Any]:
    """Open a live retention record (for a dispute or an audit); ``KeyShredded`` once it
    was destroyed."""
    if record.kek_id is None or record.wrapped_key is None or record.ciphertext is None:
        raise KeyShredded(
            f"retention record {record.id} was destroyed", details={"record_id": record.id}
        )
    wrapped = WrappedKey(record.kek_id, record.wrapped_key)
    key = unwrap_key(wrapped, retention_context(record.id), gh.keyring)
    text = FieldCipher(record.id, key).decrypt(_SCOPE, record.hold, record.ciphertext)
    data: dict[str, Any] = json.loads(text)
    return data


def destroy_expired(gh: Gatehouse) -> int:
    """Destroy every record past its end date, and record each destruction in the ledger."""
    now = gh.clock()
    count = 0
    with gh.unit_of_work() as uow:
        for record in uow.retention_records.due_for_destruction(now):
            if uow.retention_records.destroy(record.id, now):
                count += 1
                uow.ledger.append(
                    kind="retention.destroyed",
                    at=now,
                    subject_id=None,
                    recipient_id=None,
                    payload={
                        "record_id": record.id,
                        "deletion_id": record.deletion_id,
                        "hold": record.hold,
                        "kept_until": record.kept_until.isoformat(),
                    },
                )
    return count
