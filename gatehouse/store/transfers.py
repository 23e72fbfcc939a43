"""Transfer decisions and the views of the allowed ones."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Row, Select, select, update

from gatehouse.store.driver_rows import DriverRow, DriverStatement, json_text, stamp
from gatehouse.store.records import Held, OpenView, StoredTransfer, StoredView, TransferDecision
from gatehouse.store.safe_numbers import SafeNumberPool
from gatehouse.store.schema import same_subject
from gatehouse.store.tables import orders, recipients, transfers, views
from gatehouse.store.transfer_totals import (
    TotalKey,
    count_decisions,
    count_transfers,
    recompute_windows,
    total_key,
    widen_windows,
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


_TRANSFER_COLUMNS = (
    "id",
    "order_id",
    "subject_id",
    "recipient_id",
    "country",
    "purpose",
    "flow",
    "allowed",
    "basis",
    "refusal",
    "notice_hash",
    "fields",
    "decided_at",
    "legal_provision",
    "legal_provision_text",
)
_VIEW_COLUMNS = (
    "transfer_id",
    "order_id",
    "subject_id",
    "recipient_id",
    "purpose",
    "consent_notice",
    "safe_number",
    "opened_at",
    "expires_at",
)
# The driver's own executemany: SQLAlchemy's processed each value of each row in Python, which
# cost more than SQLite's inserts themselves for a batch of transfers.
_ADD_TRANSFERS = DriverStatement(transfers, _TRANSFER_COLUMNS, json_columns=("fields",))
_ADD_VIEWS = DriverStatement(views, _VIEW_COLUMNS)


@lru_cache(maxsize=256)
def _fields_text(fields: tuple[str, ...]) -> str:
    # A purpose releases one of a few field lists: each is encoded once, not once a row.
    return json_text(list(fields))


def _transfer_rows(connection: Connection, decided: Sequence[StoredTransfer]) -> list[DriverRow]:
    at = stamp(connection)
    return [
        (
            t.id,
            t.order_id,
            t.subject_id,
            t.recipient_id,
            t.country,
            t.purpose,
            t.flow,
            t.allowed,
            t.basis,
            t.refusal,
            t.notice_hash,
            _fields_text(tuple(t.fields)),
            at(t.decided_at),
            t.legal_provision,
            t.legal_provision_text,
        )
        for t in decided
    ]


def _view_rows(connection: Connection, opened: Sequence[OpenView]) -> list[DriverRow]:
    at = stamp(connection)
    return [
        (
            v.transfer_id,
            v.order_id,
            v.subject_id,
            v.recipient_id,
            v.purpose,
            v.consent_notice,
            v.safe_number,
            at(v.opened_at),
            at(v.expires_at),
        )
        for v in opened
    ]


def _total_key(transfer: StoredTransfer) -> TotalKey:
    return total_key(
        subject_id=transfer.subject_id,
        recipient_id=transfer.recipient_id,
        country=transfer.country,
        purpose=transfer.purpose,
        basis=transfer.basis,
        fields=transfer.fields,
    )


def _views_with_orders() -> Select[Any]:
    return select(
        views,
        orders.c.external_ref,
        orders.c.customs_required,
        orders.c.delivered_at,
        orders.c.confirmed_at,
        orders.c.status.label("order_status"),
    ).join(orders, same_subject(views, "order_id", orders))


class TransferRepository:
    """Transfer decisions and the views of the allowed ones."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add_transfers(self, decided: Sequence[StoredTransfer]) -> None:
        """Record decisions, each counted for the console and, when allowed, in its subject's
        totals: three statements however many (the transfers, the counts, the totals), each
        given its rows at once."""
        if not decided:
            return
        _ADD_TRANSFERS.run(self._c, _transfer_rows(self._c, decided))
        count_decisions(self._c, [(t.subject_id, t.allowed, t.country, t.refusal) for t in decided])
        count_transfers(self._c, [(_total_key(t), t.decided_at) for t in decided if t.allowed])

    def add_views(self, opened: Sequence[OpenView]) -> None:
        """Open views for allowed transfers, and widen each recipient's window to them: two
        statements however many."""
        if not opened:
            return
        _ADD_VIEWS.run(self._c, _view_rows(self._c, opened))
        widen_windows(self._c, [(v.subject_id, v.recipient_id, v.expires_at) for v in opened])

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
            .outerjoin(views, same_subject(views, "transfer_id", transfers))
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
            .join(orders, same_subject(views, "order_id", orders))
            .where(views.c.transfer_id.in_(wanted))
            .order_by(views.c.recipient_id, views.c.transfer_id)
        ).all()
        return [(row[0], row[1], row[2]) for row in rows]

    def held_by_transfers(self, subject_id: str) -> list[Held]:
        """Every allowed transfer of the subject, open or closed: each recipient may keep a copy."""
        rows = self._c.execute(
            select(transfers.c.recipient_id, transfers.c.id, orders.c.external_ref)
            .join(orders, same_subject(transfers, "order_id", orders))
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
