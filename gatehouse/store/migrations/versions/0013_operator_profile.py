"""operator profile

The operator's profile (the controller, its privacy officer, rights-request channels, the
figures the domestic-agent rule weighs and the domestic agent), one append-only row per version.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatehouse.store.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operator_profiles",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_operator_profiles")),
    )


def downgrade() -> None:
    op.drop_table("operator_profiles")
