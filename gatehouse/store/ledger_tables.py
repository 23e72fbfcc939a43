"""Ledger tables (SQLAlchemy Core), on the shared ``metadata``. Migrations 0002, 0020, 0023
and 0036 must match these.

Entries keep their fields exactly as they were hashed: ``at`` is the ledger's own text form
(:func:`gatehouse.ledger.format_at`), not a database timestamp, so a reloaded entry rebuilds the
same canonical bytes on every backend.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from gatehouse.domain.suspension_spans import SUSPENSION_KINDS
from gatehouse.store.db import UTCDateTime
from gatehouse.store.tables import metadata

__all__ = [
    "ID_LENGTH",
    "KIND_LENGTH",
    "SUSPENSIONS",
    "ledger_entries",
    "ledger_shards",
    "ledger_checkpoints",
    "ledger_meta",
    "ledger_subtrees",
    "ledger_archives",
    "audit_days",
    "audit_months",
    "audit_month_pages",
]

KIND_LENGTH = 60
ID_LENGTH = 40  # as long as the subject and recipient ids they hold

# One row per entry; (shard, seq) is the chain position, so a duplicate append cannot commit.
SUSPENSION_ENTRY_KINDS = tuple(SUSPENSION_KINDS)
# Written as text, so the queries that use the index can repeat it word for word: a partial
# index serves only a query whose condition implies its own.
SUSPENSIONS = text("kind IN (" + ", ".join(f"'{kind}'" for kind in SUSPENSION_ENTRY_KINDS) + ")")

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("shard", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(KIND_LENGTH), nullable=False),
    Column("at", String(32), nullable=False),
    Column("subject_id", String(ID_LENGTH), index=True),
    Column("recipient_id", String(ID_LENGTH), index=True),
    Column("payload", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    # A window of time in a shard (the audit's month) is found without reading the shard.
    Index("ix_ledger_entries_shard_at", "shard", "at", "seq"),
    # The audit replays every suspension ever made: a few rows among millions, indexed
    # alone so that no append on the hot path writes to this index.
    Index(
        "ix_ledger_entries_suspensions",
        "shard",
        "seq",
        postgresql_where=SUSPENSIONS,
        sqlite_where=SUSPENSIONS,
    ),
)

# Each shard's head and Merkle frontier (``ShardState.to_dict()``). Its row is the lock that
# serialises appends to one shard, and is written in the same transaction as the entry.
ledger_shards = Table(
    "ledger_shards",
    metadata,
    Column("shard", Integer, primary_key=True, autoincrement=False),
    Column("state", JSON, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# Signed checkpoints (``Checkpoint.to_dict()``); published, so never updated.
ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("sequence", BigInteger, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("body", JSON, nullable=False),
)

# Facts fixed when the ledger is created, such as its shard count: changing that later would
# move subjects to other shards and make checkpoints incomparable.
ledger_meta = Table(
    "ledger_meta",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)

# Roots of each shard's complete, aligned Merkle subtrees of 2^level leaves (level >= 10),
# written when a checkpoint first covers them: an inclusion proof reads O(log n) of these and
# one block of leaves instead of the whole shard. Recomputed and compared by the verifier.
ledger_subtrees = Table(
    "ledger_subtrees",
    metadata,
    Column("shard", Integer, primary_key=True, autoincrement=False),
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("index", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
)

# One row per archive file: a contiguous range of a shard's entries moved out of
# ``ledger_entries`` into a Parquet file, written in the transaction that deletes them.
ledger_archives = Table(
    "ledger_archives",
    metadata,
    Column("shard", Integer, primary_key=True, autoincrement=False),
    Column("first_seq", BigInteger, primary_key=True, autoincrement=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("file_name", String(80), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("row_count", BigInteger, nullable=False),
    Column("root", String(64), nullable=False),
    Column("last_hash", String(64), nullable=False),
    Column("archived_at", UTCDateTime(), nullable=False),
    UniqueConstraint("shard", "file_name", name="uq_ledger_archives_shard"),
)


# One row per whole UTC day whose audit fold was kept: the fold's JSON, the checkpoint it was
# verified against, and the ledger key's signature over the three, so that a report of whole
# days merges these instead of reading the days' entries again.
audit_days = Table(
    "audit_days",
    metadata,
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD
    Column("checkpoint_sequence", BigInteger, nullable=False),
    Column("checkpoint_digest", String(64), nullable=False),
    Column("state", Text, nullable=False),
    Column("signature", String(100), nullable=False),
    Column("kept_at", UTCDateTime(), nullable=False),
)


# One row per calendar month whose days are all kept: the month's findings settled once, at
# its end (the days' folds merged and their duties paired), signed like a kept day, so that
# the report of a month reads one row instead of merging its days again.
audit_months = Table(
    "audit_months",
    metadata,
    Column("month", String(7), primary_key=True),  # YYYY-MM
    Column("checkpoint_sequence", BigInteger, nullable=False),
    Column("checkpoint_digest", String(64), nullable=False),
    Column("state", Text, nullable=False),
    Column("signature", String(100), nullable=False),
    Column("kept_at", UTCDateTime(), nullable=False),
)


# A settled month's listed exceptions, a page at a time, each page's SHA-256 in the month's
# signed state: a report that shows the first rows reads and checks those pages alone.
audit_month_pages = Table(
    "audit_month_pages",
    metadata,
    Column("month", String(7), primary_key=True),
    Column("page", Integer, primary_key=True, autoincrement=False),
    Column("finding", String(20), primary_key=True),
    Column("rows", Text, nullable=False),
)
