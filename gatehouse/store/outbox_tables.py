"""Outbox and webhook tables (SQLAlchemy Core), on the shared ``metadata``.

Migrations 0004 (outbox, previous secrets) and 0010 (the operator's webhook) must match these.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
)

from gatehouse.store.db import UTCDateTime
from gatehouse.store.tables import metadata

__all__ = [
    "JOB_ID_LENGTH",
    "KIND_LENGTH",
    "DEDUPE_KEY_LENGTH",
    "WORKER_ID_LENGTH",
    "ERROR_LENGTH",
    "outbox_jobs",
    "webhook_previous_secrets",
    "operator_webhooks",
    "operator_events",
]

JOB_ID_LENGTH = 40
KIND_LENGTH = 60
DEDUPE_KEY_LENGTH = 200
WORKER_ID_LENGTH = 100
ERROR_LENGTH = 300

# Background work, written in the same transaction as the change that causes it, so a job
# exists exactly when that change committed. Payloads carry ids, never personal data.
outbox_jobs = Table(
    "outbox_jobs",
    metadata,
    Column("id", String(JOB_ID_LENGTH), primary_key=True),
    Column("kind", String(KIND_LENGTH), nullable=False),
    Column("payload", JSON, nullable=False),
    # Unique, yet nullable: jobs without a key never collide (NULLs are distinct).
    Column("dedupe_key", String(DEDUPE_KEY_LENGTH), unique=True),
    Column("status", String(10), nullable=False),  # pending | running | done | dead
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("run_at", UTCDateTime(), nullable=False),
    Column("locked_by", String(WORKER_ID_LENGTH)),
    Column("locked_until", UTCDateTime()),
    # A short reason such as "HTTP 503" or an exception type: never a response body or PII.
    Column("last_error", String(ERROR_LENGTH)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Index("ix_outbox_jobs_status_run_at", "status", "run_at"),
)

# The webhook secret a recipient had before its last rotation, honoured (signed with too)
# until ``expires_at`` so the recipient can switch without losing a delivery. Wrapped by the
# master key like the current secret, never stored in the clear.
webhook_previous_secrets = Table(
    "webhook_previous_secrets",
    metadata,
    Column("recipient_id", String(40), ForeignKey("recipients.id"), primary_key=True),
    Column("kek_id", String(32), nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

# The marketplace's own endpoint (one row), told when a customer deletes the account so it can
# close the account too. Its signing secret is wrapped by the master key, never kept in clear.
operator_webhooks = Table(
    "operator_webhooks",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("secret_kek_id", String(32), nullable=False),
    Column("secret_wrapped", LargeBinary, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# Events queued for the operator's endpoint. Their data names the marketplace's customer, so it
# is sealed under a key of its own and destroyed once delivered; the outbox job holds only the id.
operator_events = Table(
    "operator_events",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("event_type", String(100), nullable=False),
    Column("deletion_id", String(40), ForeignKey("deletions.id")),
    Column("kek_id", String(32)),
    Column("wrapped_key", LargeBinary),
    Column("ciphertext", LargeBinary),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("delivered_at", UTCDateTime()),
)
