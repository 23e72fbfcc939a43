"""incidents

Breach incidents (「개인정보 보호법」 제34조): the scope, the blast radius taken from the views,
the report flag, the 72-hour deadline and the steps taken on it.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatehouse.store.db

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("discovered_at", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.Column("notify_by", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.Column("affected_subjects", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("report_required", sa.Boolean(), nullable=False),
        sa.Column("report_reasons", sa.JSON(), nullable=False),
        sa.Column("self_protection", sa.Text(), nullable=True),
        sa.Column("countermeasures", sa.Text(), nullable=True),
        sa.Column("subjects_notified_at", gatehouse.store.db.UTCDateTime(), nullable=True),
        sa.Column("regulator_reported_at", gatehouse.store.db.UTCDateTime(), nullable=True),
        sa.Column("closed_at", gatehouse.store.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index(
        op.f("ix_incidents_discovered_at"), "incidents", ["discovered_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_incidents_discovered_at"), table_name="incidents")
    op.drop_table("incidents")
