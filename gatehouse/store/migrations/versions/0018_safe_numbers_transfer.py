"""safe numbers by transfer

A view closing releases its safe number by transfer id; without an index that scanned the
whole pool, which keeps a row for every transfer ever allowed.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("safe_numbers") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_safe_numbers_transfer_id"), ["transfer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("safe_numbers") as batch_op:
        batch_op.drop_index(batch_op.f("ix_safe_numbers_transfer_id"))
