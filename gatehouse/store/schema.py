"""The one MetaData every table is declared on, whichever module declares it.

It lives apart from the tables so that table modules can share it without importing each
other; ``gatehouse.store.tables`` re-exports it under its old name.
"""

from __future__ import annotations

from sqlalchemy import MetaData

__all__ = ["metadata"]

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
