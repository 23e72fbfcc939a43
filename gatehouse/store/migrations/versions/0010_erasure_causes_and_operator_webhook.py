"""erasure causes and the operator's webhook

Erasure requests may now follow a consent withdrawal as well as a deletion, and the operator
registers its own endpoint to hear of deletions.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatehouse.store.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operator_webhooks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret_kek_id", sa.String(length=32), nullable=False),
        sa.Column("secret_wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_operator_webhooks")),
    )
    op.create_table(
        "operator_events",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("deletion_id", sa.String(length=40), nullable=True),
        sa.Column("kek_id", sa.String(length=32), nullable=True),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.Column("delivered_at", gatehouse.store.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["deletion_id"],
            ["deletions.id"],
            name=op.f("fk_operator_events_deletion_id_deletions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_events")),
    )
    # Every request stored so far came from a deletion.
    with op.batch_alter_table("erasure_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "cause", sa.String(length=20), nullable=False, server_default="subject_deleted"
            )
        )
        batch_op.add_column(sa.Column("consent_id", sa.String(length=40), nullable=True))
        batch_op.alter_column("deletion_id", existing_type=sa.String(length=40), nullable=True)
    with op.batch_alter_table("erasure_requests", schema=None) as batch_op:
        batch_op.alter_column("cause", existing_type=sa.String(length=20), server_default=None)


def downgrade() -> None:
    # Requests that follow a withdrawal have no deletion to hang on, so they cannot go back.
    op.execute("DELETE FROM erasure_requests WHERE deletion_id IS NULL")
    with op.batch_alter_table("erasure_requests", schema=None) as batch_op:
        batch_op.alter_column("deletion_id", existing_type=sa.String(length=40), nullable=False)
        batch_op.drop_column("consent_id")
        batch_op.drop_column("cause")
    op.drop_table("operator_events")
    op.drop_table("operator_webhooks")
