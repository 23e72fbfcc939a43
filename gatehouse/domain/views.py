"""Views: what a recipient sees of a transfer, and the window in which it may see it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from gatehouse.domain.contact import RoadAddress
from gatehouse.domain.errors import GatehouseError
from gatehouse.domain.policy import Purpose, Views
from gatehouse.domain.transforms import TransformContext, get_transform

__all__ = [
    "CloseReason",
    "ViewClosed",
    "ViewSource",
    "released_fields",
    "build_recipient_fields",
    "view_expiry",
    "close_reason",
]


class ViewClosed(GatehouseError):
    """The view's window has ended (maps to 410 with the reason)."""

    code = "view_closed"


class CloseReason(StrEnum):
    """Why a view is closed; the recipient is told this with its 410."""

    DELIVERED_WINDOW_ENDED = "delivered_window_ended"
    MAX_WINDOW_ENDED = "max_window_ended"
    CANCELLED = "order_cancelled"
    RECIPIENT_SUSPENDED = "recipient_suspended"
    COUNTRY_SUSPENDED = "country_suspended"
    SUBJECT_DELETED = "subject_deleted"
    CONSENT_WITHDRAWN = "consent_withdrawn"


@dataclass(frozen=True)
class ViewSource:
    """The real values a view is computed from, decrypted only for the moment of reading."""

    name: str
    phone: str
    address: RoadAddress
    delivery_note: str | None
    customs_code: str | None


# A purpose's "address" covers the three stored address parts.
_ADDRESS_PARTS = (
    ("postal_code", "postal_code"),
    ("line1", "address_line1"),
    ("line2", "address_line2"),
)


def _rules(purpose: Purpose, confirmed: bool) -> dict[str, str]:
    rules = dict(purpose.fields)
    if confirmed:
        # After purchase confirmation, the stronger masks replace the purpose's own.
        rules.update({k: v for k, v in purpose.after_confirmation.items() if k in rules})
    return rules


def released_fields(
    purpose: Purpose, *, customs_required: bool, has_delivery_note: bool
) -> list[str]:
    """The fields a transfer for ``purpose`` releases, in the purpose's order."""
    fields = []
    for name, transform in purpose.fields.items():
        if transform == "drop":
            continue
        if transform == "customs_only" and not customs_required:
            continue
        if name == "delivery_note" and not has_delivery_note:
            continue
        fields.append(name)
    return fields


def build_recipient_fields(
    purpose: Purpose, source: ViewSource, ctx: TransformContext, *, confirmed: bool
) -> dict[str, object]:
    """Apply the purpose's transforms: only released fields appear, in their released form."""
    raw: Mapping[str, str | None] = {
        "name": source.name,
        "phone": source.phone,
        "delivery_note": source.delivery_note,
        "customs_code": source.customs_code,
    }
    out: dict[str, object] = {}
    for name, transform_name in _rules(purpose, confirmed).items():
        transform = get_transform(transform_name)
        if name == "address":
            parts = {
                key: transform.apply(stored, getattr(source.address, key), ctx)
                for key, stored in _ADDRESS_PARTS
            }
            if any(value is not None for value in parts.values()):
                out["address"] = parts
            continue
        value = transform.apply(name, raw.get(name), ctx)
        if value is not None:
            out[name] = value
    return out


def view_expiry(views: Views, opened_at: datetime, delivered_at: datetime | None) -> datetime:
    """Delivery + N days, but never later than the maximum window from opening."""
    hard_stop = opened_at + timedelta(days=views.max_days)
    if delivered_at is None:
        return hard_stop
    return min(hard_stop, delivered_at + timedelta(days=views.close_days_after_delivery))


def close_reason(
    views: Views,
    *,
    now: datetime,
    opened_at: datetime,
    expires_at: datetime,
    delivered_at: datetime | None,
    order_cancelled: bool,
    recipient_suspended: bool,
    country_suspended: bool,
    subject_deleted: bool,
) -> CloseReason | None:
    """Why an open view must close now, or None while it may stay open."""
    if subject_deleted:
        return CloseReason.SUBJECT_DELETED
    if order_cancelled:
        return CloseReason.CANCELLED
    if recipient_suspended:
        return CloseReason.RECIPIENT_SUSPENDED
    if country_suspended:
        return CloseReason.COUNTRY_SUSPENDED
    if now >= expires_at:
        if delivered_at is not None and expires_at < opened_at + timedelta(days=views.max_days):
            return CloseReason.DELIVERED_WINDOW_ENDED
        return CloseReason.MAX_WINDOW_ENDED
    return None
