"""decision counts

The console's counts of decisions (refused by reason, allowed by country) from a summary that
every decision adds to, instead of a count over every transfer ever decided. Filled here from
the decisions already recorded, all in slot 0.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decision_counts",
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("refusal", sa.String(length=40), nullable=False),
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("decisions", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "allowed", "country", "refusal", "slot", name=op.f("pk_decision_counts")
        ),
    )
    op.execute(
        "INSERT INTO decision_counts (allowed, country, refusal, slot, decisions) "
        "SELECT allowed, coalesce(country, ''), coalesce(refusal, ''), 0, count(*) "
        "FROM transfers GROUP BY allowed, coalesce(country, ''), coalesce(refusal, '')"
    )


def downgrade() -> None:
    op.drop_table("decision_counts")
