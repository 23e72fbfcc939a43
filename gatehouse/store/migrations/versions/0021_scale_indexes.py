"""scale indexes

Indexes for the user-facing queries at a million customers and 180,000 recipients, each
holding only the rows its query wants, so the answer does not grow with history:

- ``ix_views_open_recipient``: a recipient's open views by transfer id, the page of
  ``GET /v1/recipient/transfers?status=open``; closed views are left out.
- ``ix_erasure_requests_open_due``: outstanding erasure requests by due date, for the
  console's panel and the escalation sweep; acknowledged ones are left out.
- ``ix_erasure_requests_open_recipient``: a recipient's outstanding erasure requests, read by
  the transfer decision and the recipient's standing.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_OPEN_VIEW = "closed_at IS NULL"
_OUTSTANDING = "acknowledged_at IS NULL"

# (name, table, columns, predicate)
_INDEXES = (
    ("ix_views_open_recipient", "views", ["recipient_id", "transfer_id"], _OPEN_VIEW),
    ("ix_erasure_requests_open_due", "erasure_requests", ["due_at", "id"], _OUTSTANDING),
    (
        "ix_erasure_requests_open_recipient",
        "erasure_requests",
        ["recipient_id", "due_at"],
        _OUTSTANDING,
    ),
)


def upgrade() -> None:
    for name, table, columns, predicate in _INDEXES:
        op.create_index(
            name,
            table,
            columns,
            unique=False,
            postgresql_where=sa.text(predicate),
            sqlite_where=sa.text(predicate),
        )


def downgrade() -> None:
    for name, table, _, _ in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
