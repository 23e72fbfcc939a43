"""transfer totals and view windows

The privacy center's home page reads per-customer totals kept as transfers are decided and
views open and close, instead of aggregating the customer's whole history; both tables are
filled here from the transfers and views already recorded.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatehouse.store.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transfer_totals",
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("recipient_id", sa.String(length=40), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("basis", sa.String(length=40), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("transfers", sa.Integer(), nullable=False),
        sa.Column("last_at", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipients.id"],
            name=op.f("fk_transfer_totals_recipient_id_recipients"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_transfer_totals_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint(
            "subject_id",
            "recipient_id",
            "country",
            "purpose",
            "basis",
            "items",
            name=op.f("pk_transfer_totals"),
        ),
    )
    op.create_table(
        "view_windows",
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("recipient_id", sa.String(length=40), nullable=False),
        sa.Column("until", gatehouse.store.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipients.id"],
            name=op.f("fk_view_windows_recipient_id_recipients"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_view_windows_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("subject_id", "recipient_id", name=op.f("pk_view_windows")),
    )
    # The fields list's JSON text is what the application writes for the same list, so the
    # rows counted here and the ones counted from now on share their keys.
    op.execute(
        """
        INSERT INTO transfer_totals
            (subject_id, recipient_id, country, purpose, basis, items, transfers, last_at)
        SELECT subject_id, recipient_id, COALESCE(country, ''), purpose, COALESCE(basis, ''),
               CAST(fields AS TEXT), COUNT(*), MAX(decided_at)
        FROM transfers
        WHERE allowed
        GROUP BY subject_id, recipient_id, COALESCE(country, ''), purpose, COALESCE(basis, ''),
                 CAST(fields AS TEXT)
        """
    )
    op.execute(
        """
        INSERT INTO view_windows (subject_id, recipient_id, until)
        SELECT subject_id, recipient_id, MAX(COALESCE(closed_at, expires_at))
        FROM views
        GROUP BY subject_id, recipient_id
        """
    )


def downgrade() -> None:
    op.drop_table("view_windows")
    op.drop_table("transfer_totals")
