"""Totals the pages read instead of aggregating history: per customer for the privacy center,
and over all decisions for the operator console.

All are kept up to date in the transaction that changes what they sum (see
:mod:`gatehouse.store.transfer_totals`), so reading them costs the same however many transfers
the customer has. Migrations 0012 and 0022 must match these.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Integer, String, Table, Text

from gatehouse.store.db import UTCDateTime
from gatehouse.store.schema import metadata

__all__ = ["DECISION_SLOTS", "decision_counts", "transfer_totals", "view_windows"]

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

# Every decision, allowed or refused, counted by outcome, destination country and refusal code
# ('' for none), for the console's panels: a count over ``transfers`` itself would read every
# decision ever made. Each key has DECISION_SLOTS rows, a decision going to the slot of its
# subject's hash, so concurrent transfers on PostgreSQL seldom wait on one row's lock.
DECISION_SLOTS = 16
decision_counts = Table(
    "decision_counts",
    metadata,
    Column("allowed", Boolean, primary_key=True),
    Column("country", String(2), primary_key=True),
    Column("refusal", String(40), primary_key=True),
    Column("slot", Integer, primary_key=True, autoincrement=False),
    Column("decisions", BigInteger, nullable=False),
)
