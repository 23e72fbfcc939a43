"""transfers keyed by their subject, and the foreign keys a distributed database can keep

``transfers`` takes the primary key ``(subject_id, id)``, as Citus requires of a table
distributed by ``subject_id`` (docs/scaling.md, section 6); a transfer is still read by its id
alone through a new index on it. The views and the rights requests that name a transfer now
point at it through the same pair, so each one's rows and its transfer share a node.

Three foreign keys go, because Citus cannot keep a key from a table on one node into a table
spread over many: ``safe_numbers.transfer_id``, ``customer_sessions.subject_id`` and
``deletions.subject_id``. Each row they guarded is written in the same transaction as the row
it names, by a use case that reads that row first, and subjects are never deleted (their keys
are shredded), so no row can come to name nothing.

Revision ID: 0032
Revises: 0031
"""

from __future__ import annotations

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

# (table, column, referred table): single-column keys into transfers and subjects.
_DROPPED = (
    ("views", "transfer_id", "transfers"),
    ("rights_requests", "transfer_id", "transfers"),
    ("safe_numbers", "transfer_id", "transfers"),
    ("customer_sessions", "subject_id", "subjects"),
    ("deletions", "subject_id", "subjects"),
)
# Tables whose transfer now is (subject_id, transfer_id) -> transfers (subject_id, id).
_BY_PAIR = ("views", "rights_requests")


def _drop_single_keys(tables: tuple[tuple[str, str, str], ...]) -> None:
    for table, column, referred in tables:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_{column}_{referred}", type_="foreignkey")


def _create_single_keys(tables: tuple[tuple[str, str, str], ...]) -> None:
    for table, column, referred in tables:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(
                f"fk_{table}_{column}_{referred}", referred, [column], ["id"]
            )


def upgrade() -> None:
    _drop_single_keys(_DROPPED)
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_constraint("pk_transfers", type_="primary")
        batch_op.create_primary_key("pk_transfers", ["subject_id", "id"])
        batch_op.create_index("ix_transfers_id", ["id"], unique=False)
    for table in _BY_PAIR:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(
                f"fk_{table}_subject_id_transfers",
                "transfers",
                ["subject_id", "transfer_id"],
                ["subject_id", "id"],
            )


def downgrade() -> None:
    for table in _BY_PAIR:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_subject_id_transfers", type_="foreignkey")
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_index("ix_transfers_id")
        batch_op.drop_constraint("pk_transfers", type_="primary")
        batch_op.create_primary_key("pk_transfers", ["id"])
    _create_single_keys(_DROPPED)
