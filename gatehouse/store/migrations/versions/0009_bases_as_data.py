"""bases as data: notice digests, required consents, cited provisions, onward transfers

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("onward_transfers", sa.JSON(), nullable=True))
    # Notices rendered before digests existed keep a null digest, so consents given to them
    # lapse: what they showed can no longer be proven equal to the current rendering.
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("required", sa.Boolean(), nullable=True))
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("legal_provision", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("legal_provision_text", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_column("legal_provision_text")
        batch_op.drop_column("legal_provision")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_column("required")
        batch_op.drop_column("content_digest")
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.drop_column("onward_transfers")
