"""Tables of the customer side, on the shared ``metadata``. Migration 0006 must match these."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, ForeignKeyConstraint, Index, String, Table

from gatehouse.store.db import UTCDateTime
from gatehouse.store.tables import metadata

__all__ = ["customer_sessions", "rights_requests"]

# Sign-in links and the cookie sessions opened from them. Only the SHA-256 of each token is
# kept, so a copy of the database signs no one in. A link row ("link") lives 15 minutes and is
# used once; a cookie row ("cookie") slides its idle expiry up to its absolute expiry.
customer_sessions = Table(
    "customer_sessions",
    metadata,
    Column("id", String(40), primary_key=True),
    # No foreign key: sessions stay on one node when subjects are spread over many
    # (docs/scaling.md); a session is opened only for a subject the use case has just read.
    Column("subject_id", String(40), nullable=False, index=True),
    Column("kind", String(10), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    # The link a cookie session was opened from, for the audit trail of a sign-in.
    Column("link_id", String(40)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
    Column("idle_expires_at", UTCDateTime()),
    Column("used_at", UTCDateTime()),
    Column("revoked_at", UTCDateTime()),
)

# Data-subject requests and complaints. Free text the customer or the operator wrote to the
# customer is sealed in ``pii_fields`` under the subject's key (scope ``request:<id>``), so it
# is shredded with the subject; what stays here is what the statutory clock needs.
rights_requests = Table(
    "rights_requests",
    metadata,
    # Keyed by subject first, as its subject's other rows are (docs/scaling.md); the operator
    # resolves a request by its id alone, through the index on it.
    Column("subject_id", String(40), ForeignKey("subjects.id"), primary_key=True),
    Column("id", String(40), primary_key=True, index=True),
    Column("type", String(20), nullable=False),
    Column("transfer_id", String(40)),
    Column("channel", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("alert_at", UTCDateTime(), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("outcome", String(30)),
    # The grounds of a refusal and the route to object: the operator must be able to show them
    # after the account is gone, so they are kept as given and must not name the customer.
    Column("refusal_reason", String(2000)),
    Column("appeal_route", String(2000)),
    Column("resolved_at", UTCDateTime()),
    # The operator's queue reads by status in due order.
    Index("ix_rights_requests_status_due_at", "status", "due_at"),
    # The transfer a request is about, on the request's own node (docs/scaling.md).
    ForeignKeyConstraint(["subject_id", "transfer_id"], ["transfers.subject_id", "transfers.id"]),
)
