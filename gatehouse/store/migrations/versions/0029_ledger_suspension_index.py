"""ledger suspension index: the audit's replay of every suspension reads its few rows alone

The audit replays every suspension and resumption up to its window's end. Without an index
on them that read went through the whole of ``ledger_entries``; this partial index holds
only those entries, so no append on the hot path writes to it.

Revision ID: 0029
Revises: 0028
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

# As gatehouse/store/ledger_tables.py words it, written out: this revision keeps its meaning
# whatever the kinds become.
SUSPENSIONS = sa.text(
    "kind IN ('recipient.suspended', 'recipient.resumed', 'country.suspended', 'country.resumed')"
)


def upgrade() -> None:
    op.create_index(
        "ix_ledger_entries_suspensions",
        "ledger_entries",
        ["shard", "seq"],
        unique=False,
        postgresql_where=SUSPENSIONS,
        sqlite_where=SUSPENSIONS,
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_suspensions", table_name="ledger_entries")
