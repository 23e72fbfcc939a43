"""unmasked reads and order events keyed by their subject, with ids Gatehouse makes

``pii_reads`` and ``order_events`` take the primary key ``(subject_id, id)``, as Citus
requires of tables distributed by ``subject_id`` (docs/scaling.md, section 6). Their ids,
numbers the database gave each row, become text that Gatehouse makes: SQLite numbers rows only
through a key of one integer column. Rows keep their numbers as text, and are listed by time.
The downgrade numbers each table's rows again in that order and gives PostgreSQL its sequences
back.

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

# (table, the index on subject_id that the key's leading column replaces, or None)
_TABLES = (("pii_reads", "ix_pii_reads_subject_id"), ("order_events", None))
_NUMBER = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, index in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"pk_{table}", type_="primary")
            batch_op.alter_column(
                "id",
                existing_type=_NUMBER,
                type_=sa.String(length=40),
                existing_nullable=False,
                server_default=None,
                postgresql_using="id::varchar",
            )
            batch_op.create_primary_key(f"pk_{table}", ["subject_id", "id"])
            if index:
                batch_op.drop_index(index)
        if postgresql:
            op.execute(f"DROP SEQUENCE IF EXISTS {table}_id_seq")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, index in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("number", sa.BigInteger(), nullable=True))
        op.execute(
            f"UPDATE {table} SET number = (SELECT count(*) FROM {table} AS earlier"
            f" WHERE earlier.at < {table}.at"
            f" OR (earlier.at = {table}.at AND earlier.id <= {table}.id))"
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"pk_{table}", type_="primary")
            batch_op.drop_column("id")
            batch_op.alter_column(
                "number",
                new_column_name="id",
                existing_type=sa.BigInteger(),
                type_=_NUMBER,
                nullable=False,
            )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_primary_key(f"pk_{table}", ["id"])
            if index:
                batch_op.create_index(index, ["subject_id"], unique=False)
        if postgresql:
            sequence = f"{table}_id_seq"
            op.execute(f"CREATE SEQUENCE {sequence} OWNED BY {table}.id")
            op.execute(f"ALTER TABLE {table} ALTER COLUMN id SET DEFAULT nextval('{sequence}')")
            op.execute(
                f"SELECT setval('{sequence}', coalesce((SELECT max(id) FROM {table}), 0) + 1,"
                " false)"
            )
