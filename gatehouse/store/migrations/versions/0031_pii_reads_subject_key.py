"""operators' unmasked reads keyed by their subject

``pii_reads`` takes the primary key ``(subject_id, id)``, as Citus requires of a table
distributed by ``subject_id`` (docs/scaling.md, section 6). Its id, a number the database gave
each row, becomes text that Gatehouse makes: SQLite numbers rows only through a key of one
integer column. Rows kept their numbers as text; a customer's reads are listed by time. The
downgrade numbers the rows again in that order.

Revision ID: 0031
Revises: 0030
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

_SEQUENCE = "pii_reads_id_seq"


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("pii_reads", schema=None) as batch_op:
        batch_op.drop_constraint("pk_pii_reads", type_="primary")
        batch_op.alter_column(
            "id",
            existing_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            type_=sa.String(length=40),
            existing_nullable=False,
            server_default=None,
            postgresql_using="id::varchar",
        )
        batch_op.create_primary_key("pk_pii_reads", ["subject_id", "id"])
        batch_op.drop_index("ix_pii_reads_subject_id")
    if postgresql:
        op.execute(f"DROP SEQUENCE IF EXISTS {_SEQUENCE}")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("pii_reads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE pii_reads SET number = (SELECT count(*) FROM pii_reads AS earlier"
        " WHERE earlier.at < pii_reads.at"
        " OR (earlier.at = pii_reads.at AND earlier.id <= pii_reads.id))"
    )
    with op.batch_alter_table("pii_reads", schema=None) as batch_op:
        batch_op.drop_constraint("pk_pii_reads", type_="primary")
        batch_op.drop_column("id")
        batch_op.alter_column(
            "number",
            new_column_name="id",
            existing_type=sa.BigInteger(),
            type_=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        )
    with op.batch_alter_table("pii_reads", schema=None) as batch_op:
        batch_op.create_primary_key("pk_pii_reads", ["id"])
        batch_op.create_index("ix_pii_reads_subject_id", ["subject_id"], unique=False)
    if postgresql:
        op.execute(f"CREATE SEQUENCE {_SEQUENCE} OWNED BY pii_reads.id")
        op.execute(f"ALTER TABLE pii_reads ALTER COLUMN id SET DEFAULT nextval('{_SEQUENCE}')")
        op.execute(
            f"SELECT setval('{_SEQUENCE}', coalesce((SELECT max(id) FROM pii_reads), 0) + 1, false)"
        )
