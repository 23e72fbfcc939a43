"""portal sessions: server-side sign-ins of the recipient portal

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatehouse.store.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Written by hand to match gatehouse/store/web_tables.py; names follow the metadata's
    # naming convention so a later autogenerate sees no difference.
    op.create_table(
        "portal_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("recipient_id", sa.String(length=40), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", gatehouse.store.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["key_id"], ["api_keys.id"], name=op.f("fk_portal_sessions_key_id_api_keys")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipients.id"],
            name=op.f("fk_portal_sessions_recipient_id_recipients"),
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_portal_sessions")),
    )
    op.create_index(
        op.f("ix_portal_sessions_recipient_id"), "portal_sessions", ["recipient_id"], unique=False
    )
    op.create_index(
        op.f("ix_portal_sessions_expires_at"), "portal_sessions", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_portal_sessions_expires_at"), table_name="portal_sessions")
    op.drop_index(op.f("ix_portal_sessions_recipient_id"), table_name="portal_sessions")
    op.drop_table("portal_sessions")
