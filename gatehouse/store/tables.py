"""Table definitions (SQLAlchemy Core). Alembic migrations must match these.

``metadata`` and the deletion and erasure tables are declared in ``schema`` and
``erasure_tables`` and re-exported here under their old names.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from gatehouse.store.db import UTCDateTime
from gatehouse.store.erasure_tables import deletions, erasure_requests, retention_records
from gatehouse.store.gateway_tables import order_events, orders, safe_numbers, transfers, views
from gatehouse.store.generations import fact_generations
from gatehouse.store.lookup_tables import order_refs, subject_refs
from gatehouse.store.schema import metadata
from gatehouse.store.summary_tables import transfer_totals, view_windows

__all__ = [
    "metadata",
    "api_keys",
    "recipients",
    "country_suspensions",
    "suspension_events",
    "terms_versions",
    "terms_acceptances",
    "subjects",
    "subject_refs",
    "subject_keys",
    "pii_fields",
    "blind_indexes",
    "vault_secrets",
    "pii_reads",
    "notices",
    "disclosures",
    "disclosure_recipients",
    "consents",
    "orders",
    "order_refs",
    "order_events",
    "transfers",
    "views",
    "safe_numbers",
    "deletions",
    "erasure_requests",
    "retention_records",
    "abuse_flags",
    "transfer_totals",
    "view_windows",
    "fact_generations",
]


recipients = Table(
    "recipients",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("legal_name", String(200)),
    Column("country", String(2), index=True),
    Column("contact_phone", String(20)),
    Column("contact_email", String(254)),
    Column("privacy_officer_name", String(200)),
    Column("privacy_officer_email", String(254)),
    Column("privacy_officer_phone", String(20)),
    Column("purposes", JSON, nullable=False),
    Column("retention_days", Integer),
    Column("certifications", JSON, nullable=False),
    Column("webhook_url", String(2000)),
    # The signing secret must be usable, so it is wrapped by the master key, not hashed.
    Column("webhook_secret_kek_id", String(32)),
    Column("webhook_secret_wrapped", LargeBinary),
    Column("status", String(20), nullable=False, index=True),
    Column("suspended_reason", String(500)),
    Column("accepted_terms_version", String(40)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # Art. 28-11: the recipient's own onward recipients, shown in every notice that names it.
    Column("onward_transfers", JSON),
)

# Keys are random 256-bit tokens, so a plain SHA-256 is enough: there is nothing to brute-force.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("audience", String(20), nullable=False),
    Column("recipient_id", String(40), ForeignKey("recipients.id")),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("label", String(200)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime()),
)

country_suspensions = Table(
    "country_suspensions",
    metadata,
    Column("country", String(2), primary_key=True),
    Column("reason", String(500)),
    Column("suspended_at", UTCDateTime(), nullable=False),
)

# Append-only: who was suspended or resumed, when and why (Art. 28-9 evidence).
suspension_events = Table(
    "suspension_events",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("target_type", String(20), nullable=False),
    Column("target", String(40), nullable=False),
    Column("action", String(20), nullable=False),
    Column("reason", String(500)),
    Column("at", UTCDateTime(), nullable=False),
)

terms_versions = Table(
    "terms_versions",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("version", String(40), nullable=False, unique=True),
    Column("clauses", JSON, nullable=False),
    Column("published_at", UTCDateTime(), nullable=False),
)

terms_acceptances = Table(
    "terms_acceptances",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("recipient_id", String(40), ForeignKey("recipients.id"), nullable=False, index=True),
    Column("version", String(40), ForeignKey("terms_versions.version"), nullable=False),
    Column("accepted_at", UTCDateTime(), nullable=False),
)

subjects = Table(
    "subjects",
    metadata,
    # The marketplace's own customer id is in ``subject_refs``, as a blind index.
    Column("id", String(40), primary_key=True),
    Column("residence_country", String(2), nullable=False),
    Column("locale", String(16), nullable=False),
    Column("rule_pack", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("deleted_at", UTCDateTime()),
)

# One wrapped data key per subject. Deleting the row is crypto-shredding.
subject_keys = Table(
    "subject_keys",
    metadata,
    Column("subject_id", String(40), ForeignKey("subjects.id"), primary_key=True),
    Column("kek_id", String(32), nullable=False, index=True),
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

pii_fields = Table(
    "pii_fields",
    metadata,
    Column("subject_id", String(40), ForeignKey("subjects.id"), primary_key=True),
    Column("scope", String(60), primary_key=True),
    Column("field", String(40), primary_key=True),
    Column("ciphertext", LargeBinary, nullable=False),
)

blind_indexes = Table(
    "blind_indexes",
    metadata,
    Column("subject_id", String(40), ForeignKey("subjects.id"), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("digest", String(64), nullable=False),
    Index("ix_blind_indexes_kind_digest", "kind", "digest"),
)

# Operator-wide secrets (such as the blind-index key), stored only wrapped by the master key.
vault_secrets = Table(
    "vault_secrets",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("kek_id", String(32), nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Every unmasked read of a subject by an operator, with its stated reason.
pii_reads = Table(
    "pii_reads",
    metadata,
    # Keyed by subject first, as its subject's other rows are (docs/scaling.md). The id is made
    # by Gatehouse, not numbered by the database: SQLite numbers rows only through a key of one
    # integer column.
    Column("subject_id", String(40), ForeignKey("subjects.id"), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("api_key_id", String(40), ForeignKey("api_keys.id"), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
)

# Every notice ever rendered, once, keyed by the hash of its content: a consent can always
# show the exact text that was agreed to.
notices = Table(
    "notices",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("kind", String(20), nullable=False),  # consent notice or published disclosure
    Column("locale", String(8), nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("flow", String(20), nullable=False),
    Column("pack_id", String(40), nullable=False),
    Column("pack_version", String(40), nullable=False),
    Column("recipients", JSON, nullable=False),  # recipient id -> fingerprint when rendered
    Column("countries", JSON, nullable=False),
    Column("body", JSON, nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # Hash of everything the notice showed that is not a recipient's own fact (pack version,
    # item labels and texts): a consent lapses when the current rendering's digest differs.
    Column("content_digest", String(64)),
    # Whether the order cannot proceed without this consent (R10); null for disclosures.
    Column("required", Boolean),
)

# Published disclosures (privacy-policy section or written notice): the basis for entrustment
# and storage under Art. 28-8(1) 3. Append-only; the newest per purpose is in force.
disclosures = Table(
    "disclosures",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("notice_hash", String(64), ForeignKey("notices.hash"), nullable=False),
    Column("purpose", String(40), nullable=False, index=True),
    Column("published_at", UTCDateTime(), nullable=False),
)

# Which recipients each disclosure names, so the transfer hot path finds a recipient's
# disclosures by index instead of reading every disclosure ever published.
disclosure_recipients = Table(
    "disclosure_recipients",
    metadata,
    Column("disclosure_id", String(40), ForeignKey("disclosures.id"), primary_key=True),
    Column("recipient_id", String(40), ForeignKey("recipients.id"), primary_key=True, index=True),
    Column("fingerprint", String(64), nullable=False),
)

# Append-only consent history: a withdrawal is a new row, never an edit.
consents = Table(
    "consents",
    metadata,
    # The order of a subject's answers is the order they were recorded, not their timestamps:
    # two API hosts' clocks may disagree, and a withdrawal must never sort before its grant.
    # ``seq`` numbers them 1, 2, 3 within the subject, under the lock on the subject's ledger
    # shard; keyed by subject first, as its subject's other rows are (docs/scaling.md).
    Column("seq", Integer, nullable=False, autoincrement=False),
    Column("id", String(40), nullable=False),
    Column("subject_id", String(40), ForeignKey("subjects.id"), nullable=False),
    Column("notice_hash", String(64), ForeignKey("notices.hash"), nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("channel", String(20), nullable=False),
    Column("withdraws", String(40)),
    Column("at", UTCDateTime(), nullable=False),
    # The privacy-policy version in force when the answer was recorded (None before any).
    Column("policy_version", Integer),
    PrimaryKeyConstraint("subject_id", "seq"),
    UniqueConstraint("subject_id", "id", name="uq_consents_subject_id_id"),
)

# Recipients flagged for read patterns that look like scraping.
abuse_flags = Table(
    "abuse_flags",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("recipient_id", String(40), ForeignKey("recipients.id"), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
)
