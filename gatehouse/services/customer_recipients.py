"""Who has my data, per recipient: every recipient of the customer's allowed transfers.

The privacy center must name every recipient that holds the customer's data, with what it
received, why and on what basis, however many transfers there were. Listing the transfers to
group them made a page's time grow with the customer's history, so the grouping is done by
the database here: its rows grow with the distinct (recipient, country, purpose, basis, items)
combinations, which the rule pack bounds, never with the number of transfers. The
transfers themselves are paged by :func:`gatehouse.services.customer_transfers.transfers_of`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Text, and_, case, cast, func, select

from gatehouse.services.customer_profile import live_subject
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.tables import recipients, transfers, views

__all__ = ["RecipientSummary", "TransferSummary", "transfer_summary"]


@dataclass(frozen=True)
class RecipientSummary:
    """One recipient and everything it received from the customer, over all transfers.

    ``until`` is the latest moment any of its views is or was open until (None when it has
    no view); ``open`` whether one is open now.
    """

    recipient_id: str
    kind: str
    legal_name: str | None
    country: str | None
    contact_phone: str | None
    contact_email: str | None
    officer_name: str | None
    officer_email: str | None
    officer_phone: str | None
    transfers: int
    last_at: datetime
    fields: tuple[str, ...]
    purposes: tuple[str, ...]
    bases: tuple[str, ...]
    until: datetime | None
    open: bool


@dataclass(frozen=True)
class TransferSummary:
    """The customer's allowed transfers in aggregate: per recipient, per country, in all."""

    recipients: tuple[RecipientSummary, ...]
    by_country: dict[str, int]
    total: int


@dataclass
class _Share:
    """A recipient's totals while the grouped rows are read."""

    country: str | None
    last_at: datetime
    transfers: int = 0
    fields: list[str] = field(default_factory=list)
    purposes: list[str] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)

    def add(self, row: Row[Any]) -> None:
        """Count one group of transfers (rows come newest first)."""
        self.transfers += int(row.transfers)
        for into, values in (
            (self.fields, json.loads(row.items)),
            (self.purposes, [row.purpose]),
            (self.bases, [row.basis]),
        ):
            into.extend(v for v in dict.fromkeys(values) if v is not None and v not in into)


def transfer_summary(gh: Gatehouse, subject_id: str) -> TransferSummary:
    """Every recipient of the live subject's allowed transfers, and the counts by country.

    Recipients come ordered by country, then name; items, purposes and bases each in the
    order of the recipient's latest transfer that had them.
    """
    now = gh.clock()
    # JSON has no equality in PostgreSQL; its text does, and the same list is stored alike.
    items = cast(transfers.c.fields, Text)
    grouped = (
        select(
            transfers.c.recipient_id,
            transfers.c.country,
            transfers.c.purpose,
            transfers.c.basis,
            items.label("items"),
            func.count().label("transfers"),
            func.max(transfers.c.decided_at).label("last_at"),
        )
        .where(transfers.c.subject_id == subject_id, transfers.c.allowed.is_(True))
        .group_by(
            transfers.c.recipient_id,
            transfers.c.country,
            transfers.c.purpose,
            transfers.c.basis,
            items,
        )
    )
    # The views apart, by recipient: joining them to every transfer cost more than the counts.
    open_now = and_(views.c.closed_at.is_(None), views.c.expires_at > now)
    windows = (
        select(
            views.c.recipient_id,
            func.max(func.coalesce(views.c.closed_at, views.c.expires_at)).label("until"),
            func.max(case((open_now, 1), else_=0)).label("open"),
        )
        .where(views.c.subject_id == subject_id)
        .group_by(views.c.recipient_id)
    )
    with gh.engine.connect() as connection:
        live_subject(connection, subject_id)
        rows = list(connection.execute(grouped))
        access = {row.recipient_id: row for row in connection.execute(windows)}
        ids = sorted({row.recipient_id for row in rows})
        details = {
            row.id: row
            for row in connection.execute(select(recipients).where(recipients.c.id.in_(ids)))
        }
    # Newest first, so each recipient's country and lists follow its latest transfers.
    rows.sort(key=lambda row: (row.last_at, row.recipient_id), reverse=True)
    by_country: dict[str, int] = {}
    shares: dict[str, _Share] = {}
    for row in rows:
        code = str(row.country or "??")
        by_country[code] = by_country.get(code, 0) + int(row.transfers)
        shares.setdefault(row.recipient_id, _Share(row.country, row.last_at)).add(row)
    summaries = [
        RecipientSummary(
            recipient_id=recipient_id,
            kind=details[recipient_id].kind,
            legal_name=details[recipient_id].legal_name,
            country=share.country,
            contact_phone=details[recipient_id].contact_phone,
            contact_email=details[recipient_id].contact_email,
            officer_name=details[recipient_id].privacy_officer_name,
            officer_email=details[recipient_id].privacy_officer_email,
            officer_phone=details[recipient_id].privacy_officer_phone,
            transfers=share.transfers,
            last_at=share.last_at,
            fields=tuple(share.fields),
            purposes=tuple(share.purposes),
            bases=tuple(share.bases),
            until=access[recipient_id].until if recipient_id in access else None,
            open=recipient_id in access and bool(access[recipient_id].open),
        )
        for recipient_id, share in shares.items()
    ]
    summaries.sort(key=lambda s: (s.country or "", s.legal_name or "", s.recipient_id))
    return TransferSummary(
        recipients=tuple(summaries),
        by_country=dict(sorted(by_country.items())),
        total=sum(by_country.values()),
    )
