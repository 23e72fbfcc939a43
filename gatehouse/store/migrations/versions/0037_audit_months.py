"""audit months: each calendar month's settled audit, kept and signed once its days are kept,
and its listed exceptions a page at a time

Revision ID: 0037
Revises: 0036
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatehouse.store.db

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Written by hand to match gatehouse/store/ledger_tables.py. The table starts empty: a
    # month is settled by `gatehouse ledger keep-days` or the worker once its days are kept.
    op.create_table(
        "audit_months",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("checkpoint_sequence", sa.BigInteger(), nullable=False),
        sa.Column("checkpoint_digest", sa.String(length=64), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("kept_at", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_audit_months")),
    )
    op.create_table(
        "audit_month_pages",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("page", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("finding", sa.String(length=20), nullable=False),
        sa.Column("rows", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("month", "page", "finding", name=op.f("pk_audit_month_pages")),
    )


def downgrade() -> None:
    op.drop_table("audit_month_pages")
    op.drop_table("audit_months")
