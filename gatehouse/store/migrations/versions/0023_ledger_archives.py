"""ledger archives: the Parquet files that hold ranges of entries moved out of the hot table

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatehouse.store.db

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Written by hand to match gatehouse/store/ledger_tables.py. The table starts empty:
    # nothing is archived until `gatehouse ledger archive` runs.
    op.create_table(
        "ledger_archives",
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("first_seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("file_name", sa.String(length=80), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("archived_at", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("shard", "first_seq", name=op.f("pk_ledger_archives")),
        # With the shard, so the key fits the table's distribution by shard on Citus; the
        # name is made from the shard and the range, so it is unique all the same.
        sa.UniqueConstraint("shard", "file_name", name=op.f("uq_ledger_archives_shard")),
    )


def downgrade() -> None:
    op.drop_table("ledger_archives")
