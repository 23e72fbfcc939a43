"""fact generations

One row of counters that the writes of cached facts bump in their own transaction, so every
process knows when its in-memory copy of the registry or of the open erasures is stale.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "fact_generations",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("registry", sa.BigInteger(), nullable=False),
        sa.Column("erasures", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fact_generations")),
    )
    op.bulk_insert(table, [{"id": 1, "registry": 0, "erasures": 0}])


def downgrade() -> None:
    op.drop_table("fact_generations")
