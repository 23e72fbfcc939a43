"""ledger subtrees: the roots of each shard's complete aligned subtrees, for proofs

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Written by hand to match gatehouse/store/ledger_tables.py. The table starts empty: the
    # next checkpoint stores the subtrees of every complete block it covers.
    op.create_table(
        "ledger_subtrees",
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("shard", "level", "index", name=op.f("pk_ledger_subtrees")),
    )


def downgrade() -> None:
    op.drop_table("ledger_subtrees")
