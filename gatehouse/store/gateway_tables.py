"""The gateway's tables: orders, their events, the transfer decisions, the views recipients
read, and the safe numbers leased to them. Re-exported by ``gatehouse.store.tables``.

Every one but ``safe_numbers`` is keyed by the subject first (docs/scaling.md).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)

from gatehouse.store.db import UTCDateTime
from gatehouse.store.schema import metadata

__all__ = ["order_events", "orders", "safe_numbers", "transfers", "views"]

orders = Table(
    "orders",
    metadata,
    Column("id", String(40), nullable=False, index=True),
    Column("subject_id", String(40), ForeignKey("subjects.id"), nullable=False),
    Column("recipient_id", String(40), ForeignKey("recipients.id"), nullable=False, index=True),
    Column("external_ref", String(200), nullable=False),
    Column("customs_required", Boolean, nullable=False),
    Column("has_delivery_note", Boolean, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("delivered_at", UTCDateTime()),
    Column("confirmed_at", UTCDateTime()),
    Column("cancelled_at", UTCDateTime()),
    # Keyed by subject first, as its subject's other rows are (docs/scaling.md); an order is
    # read by its id through the index on it, and its number is unique per recipient through
    # ``order_refs``.
    PrimaryKeyConstraint("subject_id", "id"),
)

order_events = Table(
    "order_events",
    metadata,
    # The order's subject, so the events live with the subject's other rows (docs/scaling.md),
    # and lead the key; the id is made by Gatehouse, as for pii_reads.
    Column("subject_id", String(40), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("order_id", String(40), nullable=False),
    Column("type", String(30), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_order_events_subject_id_order_id", "subject_id", "order_id"),
    ForeignKeyConstraint(["subject_id", "order_id"], ["orders.subject_id", "orders.id"]),
)

# Every decision, allowed or refused.
transfers = Table(
    "transfers",
    metadata,
    Column("id", String(40), nullable=False, index=True),
    Column("order_id", String(40), nullable=False, index=True),
    Column("subject_id", String(40), ForeignKey("subjects.id"), nullable=False),
    Column("recipient_id", String(40), ForeignKey("recipients.id"), nullable=False, index=True),
    Column("country", String(2)),
    Column("purpose", String(40), nullable=False),
    Column("flow", String(20), nullable=False),
    Column("allowed", Boolean, nullable=False),
    Column("basis", String(40)),
    # Not indexed: the console counts refusals from decision_counts, never from here.
    Column("refusal", String(40)),
    Column("notice_hash", String(64)),
    Column("fields", JSON, nullable=False),
    Column("decided_at", UTCDateTime(), nullable=False, index=True),
    # The rule pack's key of the statute or treaty provision a LAW_TREATY transfer cites, and
    # the provision's citation and text as the pack held them when the transfer was decided.
    Column("legal_provision", String(80)),
    Column("legal_provision_text", Text),
    # The privacy center lists a customer's newest transfers first: with this index that is
    # a short walk however long the customer's history, not a sort of all of it.
    Index("ix_transfers_subject_id_decided_at", "subject_id", "decided_at"),
    # Keyed by subject first, as its subject's other rows are (docs/scaling.md); a transfer is
    # read by its id alone through the index on it.
    PrimaryKeyConstraint("subject_id", "id"),
    ForeignKeyConstraint(["subject_id", "order_id"], ["orders.subject_id", "orders.id"]),
)

# The recipient's window on an allowed transfer.
views = Table(
    "views",
    metadata,
    # Keyed by subject first, as its subject's other rows are (docs/scaling.md); a recipient
    # reads a view by its transfer id alone, through the index on it.
    Column("subject_id", String(40), ForeignKey("subjects.id"), primary_key=True),
    Column("transfer_id", String(40), primary_key=True, index=True),
    Column("order_id", String(40), nullable=False, index=True),
    Column("recipient_id", String(40), ForeignKey("recipients.id"), nullable=False, index=True),
    Column("purpose", String(40), nullable=False),
    Column("consent_notice", String(64)),
    Column("safe_number", String(20)),
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("closed_at", UTCDateTime()),
    Column("close_reason", String(40)),
    ForeignKeyConstraint(["subject_id", "transfer_id"], ["transfers.subject_id", "transfers.id"]),
    ForeignKeyConstraint(["subject_id", "order_id"], ["orders.subject_id", "orders.id"]),
    # A recipient's open views a page at a time, by transfer id (GET /v1/recipient/transfers):
    # closed views are not in it, so a seller's years of closed views are never walked.
    Index(
        "ix_views_open_recipient",
        "recipient_id",
        "transfer_id",
        postgresql_where=text("closed_at IS NULL"),
        sqlite_where=text("closed_at IS NULL"),
    ),
)

# Safe numbers (0505-XXXX-XXXX) leased to views; the real number stays in the vault.
safe_numbers = Table(
    "safe_numbers",
    metadata,
    Column("number", String(20), primary_key=True),
    # Indexed: a view closing releases its number by transfer id. No foreign key: this table
    # stays on one node when transfers are spread over many (docs/scaling.md), and the lease is
    # written in its transfer's transaction.
    Column("transfer_id", String(40), index=True),
    Column("leased_at", UTCDateTime(), nullable=False),
    Column("released_at", UTCDateTime()),
    Column("reusable_after", UTCDateTime()),
)
