"""Per-customer totals the privacy center reads instead of aggregating the customer's history.

Both are kept up to date in the transaction that changes what they sum (see
:mod:`gatehouse.store.transfer_totals`), so reading them costs the same however many transfers
the customer has. Migration 0012 must match these.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text

from gatehouse.store.db import UTCDateTime
from gatehouse.store.schema import metadata

__all__ = ["transfer_totals", "view_windows"]

# The customer's allowed transfers counted by recipient, country, purpose, basis and items (the
# fields list as its JSON text). A missing country or basis is '' here: a key has no NULLs.
transfer_totals = Table(
    "transfer_totals",
    metadata,
    Column("subject_id", String(40), ForeignKey("subjects.id"), primary_key=True),
    Column("recipient_id", String(40), ForeignKey("recipients.id"), primary_key=True),
    Column("country", String(2), primary_key=True),
    Column("purpose", String(40), primary_key=True),
    Column("basis", String(40), primary_key=True),
    Column("items", Text, primary_key=True),
    Column("transfers", Integer, nullable=False),
    Column("last_at", UTCDateTime(), nullable=False),
)

# Per recipient of the customer's views: the latest moment any of them is or was open until,
# max(coalesce(closed_at, expires_at)) over those views.
view_windows = Table(
    "view_windows",
    metadata,
    Column("subject_id", String(40), ForeignKey("subjects.id"), primary_key=True),
    Column("recipient_id", String(40), ForeignKey("recipients.id"), primary_key=True),
    Column("until", UTCDateTime(), nullable=False),
)
