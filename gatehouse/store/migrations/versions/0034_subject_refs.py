"""the marketplace's customer ids in a lookup table of their own

``subjects.external_ref_digest`` was unique, a key without the subject id that Citus cannot
hold on a table distributed by it (docs/scaling.md, section 6). It moves to
``subject_refs (external_ref_digest primary key, subject_id)``, one table on one node, which
the subjects' use case writes first, in the subject's transaction. A deleted subject's digest
was a random one, so that the tombstone could not be found by the customer's id; it has no
row here, which says the same. The downgrade gives each deleted subject a random digest again.

Revision ID: 0034
Revises: 0033
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subject_refs",
        sa.Column("external_ref_digest", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("external_ref_digest", name=op.f("pk_subject_refs")),
    )
    with op.batch_alter_table("subject_refs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subject_refs_subject_id"), ["subject_id"])
    op.execute(
        "INSERT INTO subject_refs (external_ref_digest, subject_id)"
        " SELECT external_ref_digest, id FROM subjects WHERE deleted_at IS NULL"
    )
    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.drop_constraint("uq_subjects_external_ref_digest", type_="unique")
        batch_op.drop_column("external_ref_digest")


def downgrade() -> None:
    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_ref_digest", sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE subjects SET external_ref_digest = (SELECT r.external_ref_digest"
        " FROM subject_refs AS r WHERE r.subject_id = subjects.id)"
    )
    # Deleted subjects: a random digest each, which no customer id hashes to.
    random_digest = (
        "lower(hex(randomblob(32)))"
        if op.get_bind().dialect.name == "sqlite"
        else "md5(random()::text || id) || md5(random()::text || id)"
    )
    op.execute(
        f"UPDATE subjects SET external_ref_digest = {random_digest}"
        " WHERE external_ref_digest IS NULL"
    )
    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.alter_column("external_ref_digest", existing_type=sa.String(64), nullable=False)
        batch_op.create_unique_constraint(
            "uq_subjects_external_ref_digest", ["external_ref_digest"]
        )
    op.drop_table("subject_refs")
