"""What the privacy center reads of one customer's allowed transfers: pages and aggregates.

A customer asks who got their data, lately and in all. Pages are keyset-paged newest first,
and the per-recipient view reads totals kept as transfers are decided and views open and
close (:mod:`gatehouse.store.transfer_totals`), so neither grows with the customer's history
beyond the rows asked for.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, func, or_, select

from gatehouse.store.schema import same_subject
from gatehouse.store.summary_tables import transfer_totals, view_windows
from gatehouse.store.tables import orders, transfers, views

__all__ = [
    "TransferListing",
    "TransferGroup",
    "RecipientWindow",
    "CustomerTransferRepository",
]


@dataclass(frozen=True)
class TransferListing:
    """One allowed transfer as the customer's list shows it: with its order number and view."""

    id: str
    order_id: str
    order_ref: str
    recipient_id: str
    country: str | None
    purpose: str
    flow: str
    basis: str | None
    notice_hash: str | None
    fields: Sequence[str]
    decided_at: datetime
    # The view's window; all None for a transfer without a view.
    view_expires_at: datetime | None
    view_closed_at: datetime | None
    close_reason: str | None


@dataclass(frozen=True)
class TransferGroup:
    """Allowed transfers to one recipient that share a country, purpose, basis and items."""

    recipient_id: str
    country: str | None
    purpose: str
    basis: str | None
    fields: Sequence[str]
    transfers: int
    last_at: datetime


@dataclass(frozen=True)
class RecipientWindow:
    """How long a recipient's views of the customer are or were open, and whether one is now."""

    recipient_id: str
    until: datetime
    open: bool


_ALLOWED = transfers.c.allowed.is_(True)


class CustomerTransferRepository:
    """Reads of one customer's allowed transfers, on the caller's connection."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def page(
        self,
        subject_id: str,
        *,
        before: tuple[datetime, str] | None,
        limit: int,
        transfer_id: str | None = None,
    ) -> list[TransferListing]:
        """Up to ``limit`` allowed transfers, newest first, after the ``(decided_at, id)``
        ``before``; with ``transfer_id``, that one transfer if it is the subject's."""
        newest = (transfers.c.decided_at.desc(), transfers.c.id.desc())
        # The page's ids first, from the transfers alone, and only then the joins: joining every
        # transfer of the customer to sort them made a page's time grow with their history.
        page = (
            select(transfers.c.id)
            .where(transfers.c.subject_id == subject_id, _ALLOWED)
            .order_by(*newest)
            .limit(limit)
        )
        if transfer_id is not None:
            page = page.where(transfers.c.id == transfer_id)
        if before is not None:
            decided, last_id = before
            page = page.where(
                or_(
                    transfers.c.decided_at < decided,
                    and_(transfers.c.decided_at == decided, transfers.c.id < last_id),
                )
            )
        query = (
            select(
                transfers,
                orders.c.external_ref.label("order_ref"),
                views.c.expires_at.label("view_expires_at"),
                views.c.closed_at.label("view_closed_at"),
                views.c.close_reason,
            )
            .join(orders, same_subject(transfers, "order_id", orders))
            .outerjoin(views, same_subject(views, "transfer_id", transfers))
            .where(transfers.c.subject_id == subject_id, transfers.c.id.in_(page.scalar_subquery()))
            .order_by(*newest)
        )
        return [
            TransferListing(
                id=row.id,
                order_id=row.order_id,
                order_ref=row.order_ref,
                recipient_id=row.recipient_id,
                country=row.country,
                purpose=row.purpose,
                flow=row.flow,
                basis=row.basis,
                notice_hash=row.notice_hash,
                fields=list(row.fields),
                decided_at=row.decided_at,
                view_expires_at=row.view_expires_at,
                view_closed_at=row.view_closed_at,
                close_reason=row.close_reason,
            )
            for row in self._c.execute(query)
        ]

    def count_by_country(self, subject_id: str) -> dict[str | None, int]:
        """How many allowed transfers went to each country (None: no country recorded)."""
        rows = self._c.execute(
            select(transfers.c.country, func.count())
            .where(transfers.c.subject_id == subject_id, _ALLOWED)
            .group_by(transfers.c.country)
        )
        return {country: int(count) for country, count in rows}

    def order_refs(self, subject_id: str, transfer_ids: Collection[str]) -> dict[str, str]:
        """The order number of each of the subject's transfers among ``transfer_ids``."""
        if not transfer_ids:
            return {}
        rows = self._c.execute(
            select(transfers.c.id, orders.c.external_ref)
            .join(orders, same_subject(transfers, "order_id", orders))
            .where(transfers.c.subject_id == subject_id, transfers.c.id.in_(sorted(transfer_ids)))
        )
        return {str(transfer_id): str(ref) for transfer_id, ref in rows}

    def groups(self, subject_id: str) -> list[TransferGroup]:
        """The subject's allowed transfers grouped by recipient, country, purpose, basis and
        items, as counted when each was decided: the rows grow with those combinations, which
        the rule pack bounds, never with the number of transfers."""
        rows = self._c.execute(
            select(transfer_totals).where(transfer_totals.c.subject_id == subject_id)
        )
        return [
            TransferGroup(
                recipient_id=row.recipient_id,
                country=row.country or None,
                purpose=row.purpose,
                basis=row.basis or None,
                fields=list(json.loads(row.items)),
                transfers=int(row.transfers),
                last_at=row.last_at,
            )
            for row in rows
        ]

    def windows(self, subject_id: str, now: datetime) -> dict[str, RecipientWindow]:
        """Per recipient of the subject's views: the latest end of any, and whether one is
        open at ``now``.

        A view is open at ``now`` when it is not closed and expires after ``now``; then the
        window, the latest of each view's closing or else expiry, is after ``now`` too. And a
        window after ``now`` is such a view's, for a view is closed at the clock's time of
        closing, never after the ``now`` of a later read; so ``until > now`` is "one is open".
        """
        rows = self._c.execute(
            select(view_windows.c.recipient_id, view_windows.c.until).where(
                view_windows.c.subject_id == subject_id
            )
        )
        return {
            row.recipient_id: RecipientWindow(row.recipient_id, row.until, row.until > now)
            for row in rows
        }
