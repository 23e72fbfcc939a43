"""ledger: entries, shard heads, signed checkpoints and ledger facts

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatehouse.store.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Written by hand to match gatehouse/store/ledger_tables.py; names follow the metadata's
    # naming convention so a later autogenerate sees no difference.
    op.create_table(
        "ledger_entries",
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=True),
        sa.Column("recipient_id", sa.String(length=40), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("shard", "seq", name=op.f("pk_ledger_entries")),
    )
    op.create_index(
        op.f("ix_ledger_entries_subject_id"), "ledger_entries", ["subject_id"], unique=False
    )
    op.create_index(
        op.f("ix_ledger_entries_recipient_id"), "ledger_entries", ["recipient_id"], unique=False
    )
    op.create_table(
        "ledger_shards",
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("shard", name=op.f("pk_ledger_shards")),
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("sequence", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_ledger_checkpoints")),
    )
    op.create_table(
        "ledger_meta",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_ledger_meta")),
    )


def downgrade() -> None:
    op.drop_table("ledger_meta")
    op.drop_table("ledger_checkpoints")
    op.drop_table("ledger_shards")
    op.drop_index(op.f("ix_ledger_entries_recipient_id"), table_name="ledger_entries")
    op.drop_index(op.f("ix_ledger_entries_subject_id"), table_name="ledger_entries")
    op.drop_table("ledger_entries")
