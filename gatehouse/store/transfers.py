"""Transfer decisions and the views of the allowed ones."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, insert, select, update

from gatehouse.store.records import Held, OpenView, StoredTransfer, StoredView, TransferDecision
from gatehouse.store.safe_numbers import SafeNumberPool
from gatehouse.store.tables import orders, recipients, transfers, views
from gatehouse.store.transfer_totals import (
    count_decision,
    count_transfer,
    recompute_windows,
    widen_window,
)

# The pool lives in its own module; it is named here too for the callers that import it here.
__all__ = ["TransferRepository", "SafeNumberPool"]


def _to_view(row: Row[Any]) -> OpenView:
    return OpenView(
        transfer_id=row.transfer_id,
        order_id=row.order_id,
        subject_id=row.subject_id,
        recipient_id=row.recipient_id,
        purpose=row.purpose,
        consent_notice=row.consent_notice,
        safe_number=row.safe_number,
        opened_at=row.opened_at,
        expires_at=row.expires_at,
    )


def _to_stored_view(row: Row[Any]) -> StoredView:
    # The view's own columns read as an open view's, then what closing and the order add.
    return StoredView(
        **vars(_to_view(row)),
        closed_at=row.closed_at,
        close_reason=row.close_reason,
        external_ref=row.external_ref,
        customs_required=row.customs_required,
        delivered_at=row.delivered_at,
        confirmed_at=row.confirmed_at,
        order_status=row.order_status,
    )


def _to_transfer(row: Row[Any]) -> StoredTransfer:
    return StoredTransfer(
        id=row.id,
        order_id=row.order_id,
        subject_id=row.subject_id,
        recipient_id=row.recipient_id,
        country=row.country,
        purpose=row.purpose,
        flow=row.flow,
        allowed=row.allowed,
        basis=row.basis,
        refusal=row.refusal,
        notice_hash=row.notice_hash,
        fields=list(row.fields),
        decided_at=row.decided_at,
        legal_provision=row.legal_provision,
        legal_provision_text=row.legal_provision_text,
    )


def _views_with_orders() -> Select[Any]:
    return select(
        views,
        orders.c.external_ref,
        orders.c.customs_required,
        orders.c.delivered_at,
        orders.c.confirmed_at,
        orders.c.status.label("order_status"),
    ).join(orders, orders.c.id == views.c.order_id)


class TransferRepository:
    """Transfer decisions and the views of the allowed ones."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add_transfer(self, transfer: StoredTransfer) -> None:
        """Record a decision, and count it for the console."""
        # The statement is built once and given its values, as on every hot-path write.
        self._c.execute(
            _ADD_TRANSFER,
            {
                "id": transfer.id,
                "order_id": transfer.order_id,
                "subject_id": transfer.subject_id,
                "recipient_id": transfer.recipient_id,
                "country": transfer.country,
                "purpose": transfer.purpose,
                "flow": transfer.flow,
                "allowed": transfer.allowed,
                "basis": transfer.basis,
                "refusal": transfer.refusal,
                "notice_hash": transfer.notice_hash,
                "fields": list(transfer.fields),
                "decided_at": transfer.decided_at,
                "legal_provision": transfer.legal_provision,
                "legal_provision_text": transfer.legal_provision_text,
            },
        )
        count_decision(
            self._c,
            subject_id=transfer.subject_id,
            allowed=transfer.allowed,
            country=transfer.country,
            refusal=transfer.refusal,
        )

    def count_allowed(self, transfer: StoredTransfer) -> None:
        """Add an allowed transfer to its subject's totals, in one upsert."""
        count_transfer(
            self._c,
            subject_id=transfer.subject_id,
            recipient_id=transfer.recipient_id,
            country=transfer.country,
            purpose=transfer.purpose,
            basis=transfer.basis,
            fields=transfer.fields,
            decided_at=transfer.decided_at,
        )

    def add_view(self, view: OpenView) -> None:
        """Open a view for an allowed transfer, and widen its recipient's window to it."""
        self._c.execute(
            _ADD_VIEW,
            {
                "transfer_id": view.transfer_id,
                "order_id": view.order_id,
                "subject_id": view.subject_id,
                "recipient_id": view.recipient_id,
                "purpose": view.purpose,
                "consent_notice": view.consent_notice,
                "safe_number": view.safe_number,
                "opened_at": view.opened_at,
                "expires_at": view.expires_at,
            },
        )
        widen_window(
            self._c,
            subject_id=view.subject_id,
            recipient_id=view.recipient_id,
            expires_at=view.expires_at,
        )

    def view(self, transfer_id: str) -> StoredView | None:
        """One view, open or closed, with its order's facts; or None."""
        row = self._c.execute(
            _views_with_orders().where(views.c.transfer_id == transfer_id)
        ).first()
        return None if row is None else _to_stored_view(row)

    def views_of_recipient(
        self, recipient_id: str, *, open_at: datetime | None, after: str | None, limit: int
    ) -> list[StoredView]:
        """A page of the recipient's views; with ``open_at``, only those still open then."""
        query = (
            _views_with_orders()
            .where(views.c.recipient_id == recipient_id)
            .order_by(views.c.transfer_id)
            .limit(limit)
        )
        if open_at is not None:
            query = query.where(views.c.closed_at.is_(None), views.c.expires_at > open_at)
        if after:
            query = query.where(views.c.transfer_id > after)
        return [_to_stored_view(row) for row in self._c.execute(query)]

    def open_views(
        self,
        *,
        subject_id: str | None = None,
        recipient_id: str | None = None,
        order_id: str | None = None,
        consent_notice: str | None = None,
    ) -> list[OpenView]:
        """Views not yet marked closed, matching every filter given, by transfer id."""
        query = select(views).where(views.c.closed_at.is_(None)).order_by(views.c.transfer_id)
        for column, value in (
            ("subject_id", subject_id),
            ("recipient_id", recipient_id),
            ("order_id", order_id),
            ("consent_notice", consent_notice),
        ):
            if value is not None:
                query = query.where(views.c[column] == value)
        return [_to_view(row) for row in self._c.execute(query)]

    def open_views_in_country(self, country: str) -> list[OpenView]:
        """Open views of every recipient in ``country``, by transfer id."""
        rows = self._c.execute(
            select(views)
            .join(recipients, recipients.c.id == views.c.recipient_id)
            .where(views.c.closed_at.is_(None), recipients.c.country == country)
            .order_by(views.c.transfer_id)
        )
        return [_to_view(row) for row in rows]

    def expired_open_views(self, now: datetime, limit: int = 1000) -> list[OpenView]:
        """Open views whose window has ended (for the sweep), by transfer id."""
        rows = self._c.execute(
            select(views)
            .where(views.c.closed_at.is_(None), views.c.expires_at <= now)
            .order_by(views.c.transfer_id)
            .limit(limit)
        )
        return [_to_view(row) for row in rows]

    def belongs_to(self, transfer_id: str, subject_id: str) -> bool:
        """Whether ``transfer_id`` is a transfer of ``subject_id``."""
        row = self._c.execute(
            select(transfers.c.id).where(
                transfers.c.id == transfer_id, transfers.c.subject_id == subject_id
            )
        ).first()
        return row is not None

    def decisions_of(self, subject_id: str) -> list[TransferDecision]:
        """Every decision about the subject, refused ones too, oldest first, with its view."""
        rows = self._c.execute(
            select(
                transfers,
                recipients.c.legal_name.label("recipient_name"),
                views.c.expires_at.label("view_expires_at"),
                views.c.closed_at.label("view_closed_at"),
            )
            .join(recipients, recipients.c.id == transfers.c.recipient_id)
            .outerjoin(views, views.c.transfer_id == transfers.c.id)
            .where(transfers.c.subject_id == subject_id)
            .order_by(transfers.c.decided_at, transfers.c.id)
        )
        return [
            TransferDecision(
                **vars(_to_transfer(row)),
                recipient_name=row.recipient_name,
                view_expires_at=row.view_expires_at,
                view_closed_at=row.view_closed_at,
            )
            for row in rows
        ]

    def held_by_views(self, transfer_ids: Iterable[str]) -> list[Held]:
        """The recipients, transfers and order references behind the given views."""
        wanted = sorted(set(transfer_ids))
        if not wanted:
            return []
        rows = self._c.execute(
            select(views.c.recipient_id, views.c.transfer_id, orders.c.external_ref)
            .join(orders, orders.c.id == views.c.order_id)
            .where(views.c.transfer_id.in_(wanted))
            .order_by(views.c.recipient_id, views.c.transfer_id)
        ).all()
        return [(row[0], row[1], row[2]) for row in rows]

    def held_by_transfers(self, subject_id: str) -> list[Held]:
        """Every allowed transfer of the subject, open or closed: each recipient may keep a copy."""
        rows = self._c.execute(
            select(transfers.c.recipient_id, transfers.c.id, orders.c.external_ref)
            .join(orders, orders.c.id == transfers.c.order_id)
            .where(transfers.c.subject_id == subject_id, transfers.c.allowed.is_(True))
            .order_by(transfers.c.recipient_id, transfers.c.id)
        ).all()
        return [(row[0], row[1], row[2]) for row in rows]

    def close_views(self, transfer_ids: Sequence[str], reason: str, at: datetime) -> set[str]:
        """Close the open views among ``transfer_ids`` in one statement, and recompute their
        windows in another; the ids closed now."""
        if not transfer_ids:
            return set()
        closed = self._c.execute(
            update(views)
            .where(views.c.transfer_id.in_(list(transfer_ids)), views.c.closed_at.is_(None))
            .values(closed_at=at, close_reason=reason)
            .returning(views.c.transfer_id, views.c.subject_id, views.c.recipient_id)
        ).all()
        recompute_windows(self._c, {(row.subject_id, row.recipient_id) for row in closed})
        return {row.transfer_id for row in closed}

    def set_expiry(self, transfer_id: str, expires_at: datetime) -> None:
        """Move an open view's expiry (delivery shortens the window)."""
        moved = self._c.execute(
            update(views)
            .where(views.c.transfer_id == transfer_id, views.c.closed_at.is_(None))
            .values(expires_at=expires_at)
            .returning(views.c.subject_id, views.c.recipient_id)
        ).all()
        recompute_windows(self._c, {(row.subject_id, row.recipient_id) for row in moved})

    def list_transfers(
        self,
        *,
        recipient_id: str | None,
        subject_id: str | None,
        country: str | None,
        since: datetime | None,
        after: str | None,
        limit: int,
    ) -> list[StoredTransfer]:
        """A page of decisions matching every filter given, ordered by id for stable cursors."""
        query = select(transfers).order_by(transfers.c.id).limit(limit)
        for column, value in (
            ("recipient_id", recipient_id),
            ("subject_id", subject_id),
            ("country", country),
        ):
            if value is not None:
                query = query.where(transfers.c[column] == value)
        if since is not None:
            query = query.where(transfers.c.decided_at >= since)
        if after:
            query = query.where(transfers.c.id > after)
        return [_to_transfer(row) for row in self._c.execute(query)]


_ADD_TRANSFER = insert(transfers)
_ADD_VIEW = insert(views)
