"""consents keyed by their subject, numbered within it

``consents`` took its order from one number the database gave every answer, and its id was
unique across the table: neither key holds the subject id, which Citus requires of a table
distributed by it (docs/scaling.md, section 6). The key becomes ``(subject_id, seq)``, where
``seq`` numbers each subject's answers 1, 2, 3 in the order they were recorded (the old
numbers' order), and the id is unique within its subject. The downgrade numbers every answer
again across the table, in the order of time, subject and number, and gives PostgreSQL its
sequence back.

Revision ID: 0035
Revises: 0034
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

_NUMBER = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _renumber(partition: str, order: str) -> None:
    """Number the answers again; no key may hold ``seq`` meanwhile."""
    # UPDATE ... FROM and window functions: SQLite from 3.33, and PostgreSQL.
    op.execute(
        "UPDATE consents SET seq = numbered.n FROM (SELECT subject_id, seq,"
        f" row_number() OVER ({partition} ORDER BY {order}) AS n FROM consents) AS numbered"
        " WHERE numbered.subject_id = consents.subject_id AND numbered.seq = consents.seq"
    )


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_constraint("pk_consents", type_="primary")
        batch_op.alter_column("seq", existing_type=_NUMBER, type_=sa.Integer(), server_default=None)
    if postgresql:
        op.execute("DROP SEQUENCE IF EXISTS consents_seq_seq")
    _renumber("PARTITION BY subject_id", "seq")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_primary_key("pk_consents", ["subject_id", "seq"])
        batch_op.drop_constraint("uq_consents_id", type_="unique")
        batch_op.create_unique_constraint("uq_consents_subject_id_id", ["subject_id", "id"])
        batch_op.drop_index("ix_consents_subject_id")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_constraint("pk_consents", type_="primary")
    _renumber("", "at, subject_id, seq")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index("ix_consents_subject_id", ["subject_id"], unique=False)
        batch_op.drop_constraint("uq_consents_subject_id_id", type_="unique")
        batch_op.create_unique_constraint("uq_consents_id", ["id"])
        batch_op.alter_column("seq", existing_type=sa.Integer(), type_=_NUMBER)
        batch_op.create_primary_key("pk_consents", ["seq"])
    if postgresql:
        op.execute("CREATE SEQUENCE consents_seq_seq OWNED BY consents.seq")
        op.execute(
            "SELECT setval('consents_seq_seq', COALESCE((SELECT max(seq) FROM consents), 0) + 1,"
            " false)"
        )
        op.execute("ALTER TABLE consents ALTER COLUMN seq SET DEFAULT nextval('consents_seq_seq')")
