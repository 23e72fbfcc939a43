"""customer: privacy-center sessions and data-subject requests

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatehouse.store.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Written by hand to match gatehouse/store/customer_tables.py; names follow the metadata's
    # naming convention so a later autogenerate sees no difference.
    op.create_table(
        "customer_sessions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("link_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.Column("idle_expires_at", gatehouse.store.db.UTCDateTime(), nullable=True),
        sa.Column("used_at", gatehouse.store.db.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", gatehouse.store.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_customer_sessions_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_customer_sessions_token_hash")),
    )
    op.create_index(
        op.f("ix_customer_sessions_subject_id"), "customer_sessions", ["subject_id"], unique=False
    )
    op.create_index(
        op.f("ix_customer_sessions_expires_at"), "customer_sessions", ["expires_at"], unique=False
    )
    op.create_table(
        "rights_requests",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("transfer_id", sa.String(length=40), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.Column("alert_at", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.Column("due_at", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("refusal_reason", sa.String(length=2000), nullable=True),
        sa.Column("appeal_route", sa.String(length=2000), nullable=True),
        sa.Column("resolved_at", gatehouse.store.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_rights_requests_subject_id_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["transfers.id"],
            name=op.f("fk_rights_requests_transfer_id_transfers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_requests")),
    )
    op.create_index(
        op.f("ix_rights_requests_subject_id"), "rights_requests", ["subject_id"], unique=False
    )
    op.create_index(
        "ix_rights_requests_status_due_at", "rights_requests", ["status", "due_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_rights_requests_status_due_at", table_name="rights_requests")
    op.drop_index(op.f("ix_rights_requests_subject_id"), table_name="rights_requests")
    op.drop_table("rights_requests")
    op.drop_index(op.f("ix_customer_sessions_expires_at"), table_name="customer_sessions")
    op.drop_index(op.f("ix_customer_sessions_subject_id"), table_name="customer_sessions")
    op.drop_table("customer_sessions")
