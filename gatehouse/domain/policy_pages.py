"""The privacy policy's long tables, kept apart from the rest of the document.

The entrustment and overseas-transfer sections list every entrustee, one row each: about
11,000 at 180,000 recipients. A version is hashed whole when it is published, but stored
*compact*: those tables keep their columns, labels and row count, and their rows are stored
once per entrustee and shown a page at a time. :func:`compact` and :func:`with_rows` are the
two halves of that split: what one removes the other puts back, so the whole document (for
an export, or the change log) is the compact one with every row returned to it, and hashes
as the original did. :func:`with_page` shows one page instead, keeping the table's total.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from gatehouse.domain.privacy_policy import PolicyDocument, Section, Table

__all__ = [
    "ABROAD_SECTION",
    "NAME_COLUMN",
    "PAGED_TABLES",
    "Row",
    "compact",
    "fold_name",
    "paged_rows",
    "with_page",
    "with_rows",
]

# Section key -> the table in it that lists every entrustee, in (name, id) order.
PAGED_TABLES: Mapping[str, str] = {
    "entrustment": "entrustees",
    "overseas_transfer": "entrustees",
}

# The section whose table lists only the entrustees abroad; the other lists every one.
ABROAD_SECTION = "overseas_transfer"
# The column of both tables that holds the entrustee's name, which orders them.
NAME_COLUMN = 1
_NAME_KEY_LENGTH = 200

Row = tuple[str, ...]


def fold_name(name: str) -> str:
    """A name folded for search and order: NFKC, case-folded, spaces collapsed."""
    folded = " ".join(unicodedata.normalize("NFKC", name).casefold().split())
    return folded[:_NAME_KEY_LENGTH]


def _paged(section: Section) -> Table | None:
    name = PAGED_TABLES.get(section.key)
    return None if name is None else section.table(name)


def paged_rows(document: PolicyDocument) -> dict[str, tuple[Row, ...]]:
    """Section key -> the rows of its long table, as the document holds them."""
    found = {}
    for section in document.sections:
        table = _paged(section)
        if table is not None:
            found[section.key] = table.rows
    return found


def compact(document: PolicyDocument) -> PolicyDocument:
    """``document`` with each long table emptied of its rows, keeping how many it had."""
    return _each_table(
        document, lambda section, table: replace(table, rows=(), total=len(table.rows))
    )


def with_page(document: PolicyDocument, rows: Mapping[str, Sequence[Row]]) -> PolicyDocument:
    """A compact ``document`` showing ``rows[section]`` as one page of each long table.

    Each table keeps its total; a section left out of ``rows`` shows an empty page.
    """
    return _each_table(
        document, lambda section, table: replace(table, rows=_rows(rows.get(section.key, ())))
    )


def with_rows(document: PolicyDocument, rows: Mapping[str, Sequence[Row]]) -> PolicyDocument:
    """A compact ``document`` made whole again: each long table holding all of its rows."""
    return _each_table(
        document,
        lambda section, table: replace(table, rows=_rows(rows.get(section.key, ())), total=None),
    )


def _rows(rows: Sequence[Row]) -> tuple[Row, ...]:
    return tuple(tuple(r) for r in rows)


def _each_table(
    document: PolicyDocument, change: Callable[[Section, Table], Table]
) -> PolicyDocument:
    sections = []
    for section in document.sections:
        table = _paged(section)
        if table is None:
            sections.append(section)
            continue
        changed = change(section, table)
        tables = tuple(changed if t.key == table.key else t for t in section.tables)
        sections.append(replace(section, tables=tables))
    return replace(document, sections=tuple(sections))
