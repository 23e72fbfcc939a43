"""The overseas-transfer register's queries: recipients abroad, with their transfers in a period.

A recipient is listed when it may receive data (active) or when it received data in the
period, whatever its status now. Pages are keyset-paged on the primary key, so each page is
one index range scan however deep the cursor is; a name search is a bounded substring match.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)

from gatehouse.domain.recipients import RecipientStatus
from gatehouse.store.tables import recipients, transfers

__all__ = ["OverseasRegisterRepository", "RegisterRecipient", "RegisterWindow"]


@dataclass(frozen=True)
class RegisterWindow:
    """Which recipients the register covers: abroad (not in ``home``), in ``[since, until)``."""

    since: datetime
    until: datetime
    home: tuple[str, ...]
    country: str | None = None
    search: str | None = None


@dataclass(frozen=True)
class RegisterRecipient:
    """One listed recipient, and how many allowed transfers it received in the period."""

    id: str
    kind: str
    legal_name: str | None
    country: str | None
    contact_phone: str | None
    contact_email: str | None
    officer_name: str | None
    officer_email: str | None
    officer_phone: str | None
    purposes: tuple[str, ...]
    retention_days: int | None
    status: str
    transfers: int


def _received(window: RegisterWindow) -> ColumnElement[bool]:
    return and_(
        transfers.c.recipient_id == recipients.c.id,
        transfers.c.allowed.is_(true()),
        transfers.c.decided_at >= window.since,
        transfers.c.decided_at < window.until,
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _listed(window: RegisterWindow) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        recipients.c.country.is_not(None),
        recipients.c.country.not_in(window.home),
        or_(recipients.c.status == "active", exists().where(_received(window))),
    ]
    if window.country is not None:
        conditions.append(recipients.c.country == window.country)
    if window.search:
        pattern = f"%{_escape_like(window.search.lower())}%"
        conditions.append(func.lower(recipients.c.legal_name).like(pattern, escape="\\"))
    return conditions


class OverseasRegisterRepository:
    """Reads the register from the recipients and the transfers."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def page(
        self, window: RegisterWindow, *, after: str | None, limit: int
    ) -> list[RegisterRecipient]:
        """Up to ``limit`` listed recipients with an id after ``after``, ordered by id."""
        count = (
            select(func.count())
            .select_from(transfers)
            .where(_received(window))
            .correlate(recipients)
            .scalar_subquery()
        )
        conditions = _listed(window)
        if after is not None:
            conditions.append(recipients.c.id > after)
        rows = self._c.execute(
            select(
                recipients.c.id,
                recipients.c.kind,
                recipients.c.legal_name,
                recipients.c.country,
                recipients.c.contact_phone,
                recipients.c.contact_email,
                recipients.c.privacy_officer_name,
                recipients.c.privacy_officer_email,
                recipients.c.privacy_officer_phone,
                recipients.c.purposes,
                recipients.c.retention_days,
                recipients.c.status,
                count.label("transfers"),
            )
            .where(*conditions)
            .order_by(recipients.c.id)
            .limit(limit)
        ).all()
        return [
            RegisterRecipient(
                id=row.id,
                kind=row.kind,
                legal_name=row.legal_name,
                country=row.country,
                contact_phone=row.contact_phone,
                contact_email=row.contact_email,
                officer_name=row.privacy_officer_name,
                officer_email=row.privacy_officer_email,
                officer_phone=row.privacy_officer_phone,
                purposes=tuple(row.purposes or ()),
                retention_days=row.retention_days,
                status=row.status,
                transfers=int(row.transfers),
            )
            for row in rows
        ]

    def counts_by_country(self, window: RegisterWindow) -> dict[str, tuple[int, int]]:
        """Per country: (listed recipients, those that received data in the period).

        One statement, three grouped parts added up: every recipient abroad per country (a
        walk of the country index), less the inactive ones that received nothing (few, by
        the status index), and the recipients that received data (by the transfers' time
        index), so no part reads the whole recipients table.
        """
        received_ids = select(transfers.c.recipient_id).where(
            transfers.c.allowed.is_(true()),
            transfers.c.decided_at >= window.since,
            transfers.c.decided_at < window.until,
        )
        abroad = [recipients.c.country.is_not(None), recipients.c.country.not_in(window.home)]
        inactive = [s.value for s in RecipientStatus if s is not RecipientStatus.ACTIVE]
        parts = union_all(
            select(
                recipients.c.country.label("country"),
                func.count().label("listed"),
                literal(0).label("got"),
            )
            .where(*abroad)
            .group_by(recipients.c.country),
            select(recipients.c.country, -func.count(), literal(0))
            .where(
                *abroad,
                recipients.c.status.in_(inactive),
                ~exists().where(_received(window)),
            )
            .group_by(recipients.c.country),
            select(recipients.c.country, literal(0), func.count())
            .where(*abroad, recipients.c.id.in_(received_ids))
            .group_by(recipients.c.country),
        ).subquery()
        rows = self._c.execute(
            select(parts.c.country, func.sum(parts.c.listed), func.sum(parts.c.got))
            .group_by(parts.c.country)
            .having(func.sum(parts.c.listed) > 0)
            .order_by(parts.c.country)
        ).all()
        return {str(code): (int(listed), int(got)) for code, listed, got in rows}
