"""orders keyed by their subject, with a recipient's order numbers in a lookup table

``orders`` takes the primary key ``(subject_id, id)``, as Citus requires of a table
distributed by ``subject_id`` (docs/scaling.md, section 6); an order is still read by its id
alone through a new index on it. Its number, unique per recipient, could no longer be unique
there, since that key lacks the subject: ``order_refs (recipient_id, external_ref)`` holds it,
one table on one node, filled here from the orders and written with each new order. The order
events, transfers and views that name an order now name it through ``(subject_id, order_id)``.

Revision ID: 0033
Revises: 0032
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

_NAMING = ("order_events", "transfers", "views")


def upgrade() -> None:
    op.create_table(
        "order_refs",
        sa.Column("recipient_id", sa.String(length=40), nullable=False),
        sa.Column("external_ref", sa.String(length=200), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["recipients.id"], name=op.f("fk_order_refs_recipient_id_recipients")
        ),
        sa.PrimaryKeyConstraint("recipient_id", "external_ref", name=op.f("pk_order_refs")),
    )
    op.execute(
        "INSERT INTO order_refs (recipient_id, external_ref, subject_id, order_id)"
        " SELECT recipient_id, external_ref, subject_id, id FROM orders"
    )
    for table in _NAMING:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_order_id_orders", type_="foreignkey")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint("uq_orders_recipient_external_ref", type_="unique")
        batch_op.drop_constraint("pk_orders", type_="primary")
        batch_op.create_primary_key("pk_orders", ["subject_id", "id"])
        batch_op.drop_index("ix_orders_subject_id")
        batch_op.create_index("ix_orders_id", ["id"], unique=False)
    for table in _NAMING:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(
                f"fk_{table}_subject_id_orders",
                "orders",
                ["subject_id", "order_id"],
                ["subject_id", "id"],
            )


def downgrade() -> None:
    for table in _NAMING:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_subject_id_orders", type_="foreignkey")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_id")
        batch_op.create_index("ix_orders_subject_id", ["subject_id"], unique=False)
        batch_op.drop_constraint("pk_orders", type_="primary")
        batch_op.create_primary_key("pk_orders", ["id"])
        batch_op.create_unique_constraint(
            "uq_orders_recipient_external_ref", ["recipient_id", "external_ref"]
        )
    for table in _NAMING:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(
                f"fk_{table}_order_id_orders", "orders", ["order_id"], ["id"]
            )
    op.drop_table("order_refs")
