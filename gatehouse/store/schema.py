"""The one MetaData every table is declared on, whichever module declares it, and the join
that keeps two subject-owned tables on one node (``same_subject``).

It lives apart from the tables so that table modules can share it without importing each
other; ``gatehouse.store.tables`` re-exports it under its old name.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, MetaData, Table, and_

__all__ = ["metadata", "same_subject"]

# Explicit names keep constraints and indexes identical on SQLite and PostgreSQL, and let the
# migrations name them.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def same_subject(child: Table, column: str, parent: Table) -> ColumnElement[bool]:
    """Join ``child`` to the ``parent`` row its ``column`` names, on the subject first.

    Both tables are spread over the nodes by subject (docs/scaling.md): a join that names the
    subject stays on one node, where one on the row's id alone would have to ask every node.
    """
    return and_(child.c.subject_id == parent.c.subject_id, child.c[column] == parent.c.id)
