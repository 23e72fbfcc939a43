"""views and rights requests keyed by their subject

``views`` takes the primary key ``(subject_id, transfer_id)`` and ``rights_requests``
``(subject_id, id)``, as Citus requires of a table distributed by ``subject_id``
(docs/scaling.md, section 6). The key's leading ``subject_id`` replaces each table's index on
it; a view is still read by its transfer id and a request by its id, each through a new index.

Revision ID: 0030
Revises: 0029
"""

from __future__ import annotations

from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

# (table, the other key column): each table's key becomes (subject_id, that column).
_TABLES = (("views", "transfer_id"), ("rights_requests", "id"))


def upgrade() -> None:
    for table, column in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"pk_{table}", type_="primary")
            batch_op.create_primary_key(f"pk_{table}", ["subject_id", column])
            batch_op.drop_index(f"ix_{table}_subject_id")
            batch_op.create_index(f"ix_{table}_{column}", [column], unique=False)


def downgrade() -> None:
    for table, column in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_{column}")
            batch_op.create_index(f"ix_{table}_subject_id", ["subject_id"], unique=False)
            batch_op.drop_constraint(f"pk_{table}", type_="primary")
            batch_op.create_primary_key(f"pk_{table}", [column])
