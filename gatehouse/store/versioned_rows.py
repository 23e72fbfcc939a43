"""Rows valid from one policy version to another: the register's and the entrustees'.

A row carries ``first_version`` and ``last_version`` (None while current), so a publish
writes only the rows that changed and any version's rows stay readable.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Table, select, update

__all__ = ["close_current", "current_hashes"]

# Bound parameters a statement: well under SQLite's and PostgreSQL's limits.
_CHUNK = 500


def current_hashes(connection: Connection, table: Table) -> dict[str, str]:
    """recipient id -> row hash of every row of ``table`` still current."""
    c = table.c
    rows = connection.execute(select(c.recipient_id, c.row_hash).where(c.last_version.is_(None)))
    return {r.recipient_id: r.row_hash for r in rows}


def close_current(
    connection: Connection, table: Table, recipient_ids: Iterable[str], last_version: int
) -> None:
    """End the current rows of ``recipient_ids`` in ``table`` at ``last_version``."""
    ids = list(recipient_ids)
    c = table.c
    for start in range(0, len(ids), _CHUNK):
        connection.execute(
            update(table)
            .where(c.recipient_id.in_(ids[start : start + _CHUNK]), c.last_version.is_(None))
            .values(last_version=last_version)
        )
