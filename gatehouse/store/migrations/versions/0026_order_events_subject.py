"""order events carry their subject

``order_events.subject_id``, filled from each event's order, and an index on
``(subject_id, order_id)`` in place of the one on ``order_id`` alone: an order's events then
live with the rest of its subject's rows, as the distribution plan in ``docs/scaling.md``
places them.

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_id", sa.String(length=40), nullable=True))
    op.execute(
        "UPDATE order_events SET subject_id = "
        "(SELECT orders.subject_id FROM orders WHERE orders.id = order_events.order_id)"
    )
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.alter_column("subject_id", existing_type=sa.String(length=40), nullable=False)
        batch_op.drop_index(batch_op.f("ix_order_events_order_id"))
        batch_op.create_index(
            "ix_order_events_subject_id_order_id", ["subject_id", "order_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.drop_index("ix_order_events_subject_id_order_id")
        batch_op.create_index(batch_op.f("ix_order_events_order_id"), ["order_id"], unique=False)
        batch_op.drop_column("subject_id")
