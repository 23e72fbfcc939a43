"""A privacy-policy version's documents, one row per language, and its entrustees' rows.

A version's document is stored compact (see :mod:`gatehouse.domain.policy_pages`): its long
tables keep their columns and row count, not their rows. The rows are kept like the
register's, as row versions: each entrustee's cells (every language, both tables) are
stored once per change, valid from the version that introduced them to the one before the
version that changed or removed them, so a publish writes only the rows that changed and a
page of a version is a keyset read of the rows valid at it. Migration 0025 must match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    and_,
    func,
    insert,
    select,
    true,
    tuple_,
)

from gatehouse.store.schema import metadata
from gatehouse.store.versioned_rows import close_current, current_hashes

__all__ = [
    "EntrusteeRow",
    "EntrusteeSlice",
    "PolicyDocumentRepository",
    "ordered_key",
    "policy_documents",
    "policy_entrustees",
]


def ordered_key(length: int) -> String:
    """A string column that sorts by code point everywhere, as Python sorts the document.

    SQLite compares bytes already; PostgreSQL follows the database's collation unless told.
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


policy_documents = Table(
    "policy_documents",
    metadata,
    Column("version", Integer, nullable=False),
    Column("language", String(8), nullable=False),
    # gatehouse.domain.privacy_policy.document_content of the compact document.
    Column("content", JSON, nullable=False),
    PrimaryKeyConstraint("version", "language", name="pk_policy_documents"),
)

policy_entrustees = Table(
    "policy_entrustees",
    metadata,
    Column("recipient_id", ordered_key(40), nullable=False),
    Column("first_version", Integer, nullable=False),
    # The last version the row belongs to; NULL while it is current.
    Column("last_version", Integer),
    Column("row_hash", String(64), nullable=False),
    # The name folded as the document orders it; pages follow (name_key, recipient_id).
    Column("name_key", ordered_key(200), nullable=False),
    # Whether the overseas-transfer section lists it too (an entrustee abroad).
    Column("abroad", Boolean, nullable=False),
    # {language: {section key: [cells]}}
    Column("cells", JSON, nullable=False),
    PrimaryKeyConstraint("recipient_id", "first_version", name="pk_policy_entrustees"),
    # Both carry the version range, so a page skips rows of other versions in the index.
    Index(
        "ix_policy_entrustees_order", "name_key", "recipient_id", "first_version", "last_version"
    ),
    Index(
        "ix_policy_entrustees_abroad",
        "abroad",
        "name_key",
        "recipient_id",
        "first_version",
        "last_version",
    ),
    Index("ix_policy_entrustees_open", "last_version", "recipient_id"),
)


@dataclass(frozen=True)
class EntrusteeRow:
    """One entrustee's rows in every language, as one version published them."""

    recipient_id: str
    name_key: str
    abroad: bool
    row_hash: str
    cells: dict[str, Any]


@dataclass(frozen=True)
class EntrusteeSlice:
    """Which entrustees of a version to read, in (name, id) order."""

    version: int
    # Only those the overseas-transfer section lists.
    abroad: bool = False
    # Already folded like name_key.
    search: str | None = None
    after: tuple[str, str] | None = None


# Above any version number: a current row (last_version NULL) is valid at every version.
_OPEN_END = 2**31 - 1


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(where: EntrusteeSlice) -> list[ColumnElement[bool]]:
    e = policy_entrustees.c
    # One expression for the open end, as for the register: an OR defeats the index.
    conditions = [
        e.first_version <= where.version,
        func.coalesce(e.last_version, _OPEN_END) >= where.version,
    ]
    if where.abroad:
        conditions.append(e.abroad == true())
    if where.search:
        conditions.append(e.name_key.like(f"%{_escape_like(where.search)}%", escape="\\"))
    if where.after is not None:
        conditions.append(tuple_(e.name_key, e.recipient_id) > tuple_(*where.after))
    return conditions


class PolicyDocumentRepository:
    """Compact documents and entrustee row versions, on one connection."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add_documents(self, version: int, contents: dict[str, dict[str, Any]]) -> None:
        """Store version ``version``'s compact document in each language."""
        self._c.execute(
            insert(policy_documents),
            [{"version": version, "language": lang, "content": c} for lang, c in contents.items()],
        )

    def document(self, version: int, language: str) -> dict[str, Any] | None:
        """The compact document of ``version`` in ``language``; None if stored otherwise."""
        content = self._c.execute(
            select(policy_documents.c.content).where(
                policy_documents.c.version == version, policy_documents.c.language == language
            )
        ).scalar_one_or_none()
        return None if content is None else dict(content)

    def languages(self, version: int) -> list[str]:
        """The languages ``version`` has compact documents in (none for an older version)."""
        rows = self._c.execute(
            select(policy_documents.c.language)
            .where(policy_documents.c.version == version)
            .order_by(policy_documents.c.language)
        )
        return [r.language for r in rows]

    def current_hashes(self) -> dict[str, str]:
        """recipient id -> row hash of every entrustee row still current."""
        return current_hashes(self._c, policy_entrustees)

    def close_rows(self, recipient_ids: Iterable[str], last_version: int) -> None:
        """End the current rows of ``recipient_ids`` at ``last_version``."""
        close_current(self._c, policy_entrustees, recipient_ids, last_version)

    def add_rows(self, rows: Sequence[EntrusteeRow], first_version: int) -> None:
        """Add rows current from ``first_version`` on."""
        for start in range(0, len(rows), 1000):
            self._c.execute(
                insert(policy_entrustees),
                [
                    {
                        "recipient_id": r.recipient_id,
                        "first_version": first_version,
                        "last_version": None,
                        "row_hash": r.row_hash,
                        "name_key": r.name_key,
                        "abroad": r.abroad,
                        "cells": r.cells,
                    }
                    for r in rows[start : start + 1000]
                ],
            )

    def page(self, where: EntrusteeSlice, limit: int) -> list[EntrusteeRow]:
        """Up to ``limit`` entrustees valid at the version, after ``where.after``."""
        e = policy_entrustees.c
        rows = self._c.execute(
            select(e.recipient_id, e.name_key, e.abroad, e.row_hash, e.cells)
            .where(and_(*_conditions(where)))
            .order_by(e.name_key, e.recipient_id)
            .limit(limit)
        )
        return [
            EntrusteeRow(r.recipient_id, r.name_key, bool(r.abroad), r.row_hash, dict(r.cells))
            for r in rows
        ]
