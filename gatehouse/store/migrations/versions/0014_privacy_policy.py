"""privacy policy

Published privacy-policy versions (append-only) and the register of recipients each version
disclosed, kept as row versions; the consent history records the policy version in force
beside the notice hash. On PostgreSQL a trigram index serves the register's name search.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatehouse.store.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_versions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("register_digest", sa.String(length=64), nullable=False),
        sa.Column("register_count", sa.Integer(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("material", sa.Boolean(), nullable=False),
        sa.Column("published_at", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.Column("effective_at", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.Column("profile_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_policy_versions")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_policy_versions_content_hash")),
    )
    op.create_table(
        "policy_register",
        sa.Column("recipient_id", sa.String(length=40), nullable=False),
        sa.Column("first_version", sa.Integer(), nullable=False),
        sa.Column("last_version", sa.Integer(), nullable=True),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("row", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("recipient_id", "first_version", name="pk_policy_register"),
    )
    # The version range rides in both, so a version's count by country or name is index-only.
    op.create_index(
        "ix_policy_register_order",
        "policy_register",
        ["country", "name_key", "recipient_id", "first_version", "last_version"],
    )
    op.create_index(
        "ix_policy_register_name",
        "policy_register",
        ["name_key", "recipient_id", "first_version", "last_version"],
    )
    op.create_index("ix_policy_register_open", "policy_register", ["last_version", "recipient_id"])
    if op.get_bind().dialect.name == "postgresql":
        # A substring search cannot use a B-tree; trigrams let PostgreSQL find '%name%' by index.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_policy_register_trgm ON policy_register "
            "USING gin (name_key gin_trgm_ops)"
        )
    with op.batch_alter_table("consents") as batch:
        batch.add_column(sa.Column("policy_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consents") as batch:
        batch.drop_column("policy_version")
    op.drop_table("policy_register")
    op.drop_table("policy_versions")
