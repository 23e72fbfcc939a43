"""Tables of deletion and erasure, on the shared ``metadata``: receipts, recipients' erasure
requests, and the separate retention store. The migrations must match these.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, LargeBinary, String, Table, Text, text

from gatehouse.store.db import UTCDateTime
from gatehouse.store.schema import metadata

__all__ = ["deletions", "erasure_requests", "retention_records"]

# One row per subject deletion: the receipt the customer keeps, and what the law kept.
deletions = Table(
    "deletions",
    metadata,
    Column("id", String(40), primary_key=True),
    # No foreign key: receipts stay on one node when subjects are spread over many
    # (docs/scaling.md); the deletion writes its receipt in the transaction that shreds the
    # subject's key, and subjects' rows are never deleted.
    Column("subject_id", String(40), nullable=False, unique=True),
    Column("requested_by", String(20), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("receipt", JSON, nullable=False),
)

# Each recipient that ever received the subject's data must erase it and say so: after a
# deletion (``deletion_id``), or after the consent its views rested on was withdrawn
# (``consent_id``, the withdrawn grant; no deletion then).
erasure_requests = Table(
    "erasure_requests",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("deletion_id", String(40), ForeignKey("deletions.id"), index=True),
    Column("recipient_id", String(40), ForeignKey("recipients.id"), nullable=False, index=True),
    Column("transfer_ids", JSON, nullable=False),
    Column("order_refs", JSON, nullable=False),
    Column("requested_at", UTCDateTime(), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False, index=True),
    Column("acknowledged_at", UTCDateTime()),
    Column("attestation", Text),
    Column("escalated_at", UTCDateTime()),
    Column("cause", String(20), nullable=False),  # subject_deleted | consent_withdrawn
    Column("consent_id", String(40)),
    # Acknowledged requests pile up forever; these hold only the outstanding ones. By due
    # date: the console's panel and the escalation sweep. By recipient: the transfer
    # decision's check of a recipient's open erasures, and its standing.
    Index(
        "ix_erasure_requests_open_due",
        "due_at",
        "id",
        postgresql_where=text("acknowledged_at IS NULL"),
        sqlite_where=text("acknowledged_at IS NULL"),
    ),
    Index(
        "ix_erasure_requests_open_recipient",
        "recipient_id",
        "due_at",
        postgresql_where=text("acknowledged_at IS NULL"),
        sqlite_where=text("acknowledged_at IS NULL"),
    ),
)

# The separate retention store (PIPA Art. 21(3)): records the law makes us keep after a
# deletion, each reduced to its hold's fields and sealed under its own key until its end date.
retention_records = Table(
    "retention_records",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("deletion_id", String(40), ForeignKey("deletions.id"), nullable=False, index=True),
    Column("hold", String(40), nullable=False),
    Column("statute", Text, nullable=False),
    Column("fields", JSON, nullable=False),
    Column("kept_until", UTCDateTime(), nullable=False, index=True),
    Column("kek_id", String(32)),
    Column("wrapped_key", LargeBinary),
    Column("ciphertext", LargeBinary),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("destroyed_at", UTCDateTime()),
)
