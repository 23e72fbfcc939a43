"""policy disclosures

What each privacy-policy version discloses under Art. 28-8(1) 3: per recipient, purpose and
flow, the recipient's fingerprint and the disclosure wording's digest as published.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_disclosures",
        sa.Column("recipient_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("flow", sa.String(length=20), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("content_digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint(
            "recipient_id", "version", "purpose", "flow", name="pk_policy_disclosures"
        ),
    )


def downgrade() -> None:
    op.drop_table("policy_disclosures")
