"""audit days: each whole day's audit fold, kept and signed once a checkpoint covers it

Revision ID: 0036
Revises: 0035
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatehouse.store.db

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Written by hand to match gatehouse/store/ledger_tables.py. The table starts empty: the
    # days are folded by `gatehouse audit keep-days` or the worker, after a checkpoint.
    op.create_table(
        "audit_days",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("checkpoint_sequence", sa.BigInteger(), nullable=False),
        sa.Column("checkpoint_digest", sa.String(length=64), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("kept_at", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_audit_days")),
    )


def downgrade() -> None:
    op.drop_table("audit_days")
