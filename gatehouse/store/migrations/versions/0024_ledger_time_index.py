"""ledger time index

``ix_ledger_entries_shard_at``: a shard's entries by time, so the audit of one month finds
the month's first and last positions in each shard without reading the shard from its start,
then reads only the entries between them.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_ledger_entries_shard_at", "ledger_entries", ["shard", "at", "seq"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_shard_at", table_name="ledger_entries")
