"""fewer transfer indexes

Every decision inserts a ``transfers`` row, and each index is one more write on that path.
Two serve no query: ``ix_transfers_subject_id``, whose reads the index on
``(subject_id, decided_at)`` serves as well, and ``ix_transfers_refusal``, whose only reader,
the console, counts refusals from ``decision_counts`` since migration 0022.

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfers_subject_id"))
        batch_op.drop_index(batch_op.f("ix_transfers_refusal"))


def downgrade() -> None:
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transfers_refusal"), ["refusal"], unique=False)
        batch_op.create_index(batch_op.f("ix_transfers_subject_id"), ["subject_id"], unique=False)
