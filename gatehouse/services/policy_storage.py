"""Storing a policy version compact, and reading it back a page or the whole of it.

Publishing hashes and checks each document whole, then stores it compact (one row per
language) and writes the entrustee rows that changed since the version before (see
:mod:`gatehouse.store.policy_documents`). Migration 0025 converted the versions stored whole
in ``policy_versions.documents``; one stored so still (by an older instance during a rolling
upgrade) is read from there and paged in memory, so both stored forms answer the same
questions with the same rows in the same order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gatehouse.domain.policy_pages import (
    ABROAD_SECTION,
    NAME_COLUMN,
    PAGED_TABLES,
    Row,
    compact,
    fold_name,
    paged_rows,
    with_rows,
)
from gatehouse.domain.privacy_policy import (
    PolicyDocument,
    document_content,
    document_from_content,
)
from gatehouse.services.ports_policy import EntrusteeRow, EntrusteeSlice, StoredPolicy
from gatehouse.services.unit_of_work import UnitOfWork

__all__ = [
    "LoadedDocument",
    "entrustee_rows",
    "full_document",
    "load_document",
    "read_rows",
    "store_documents",
]

# Rows read at a time when a whole table is wanted (an export, the change log).
_CHUNK = 1000


def _canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def entrustee_rows(
    documents: Mapping[str, PolicyDocument], keys: Mapping[str, str]
) -> list[EntrusteeRow]:
    """One row per entrustee: its cells in every language and long table.

    ``keys`` maps each entrustee's id to its folded name, the order the tables follow.
    """
    cells: dict[str, dict[str, dict[str, list[str]]]] = {}
    abroad: set[str] = set()
    for language, document in documents.items():
        for section, rows in paged_rows(document).items():
            for row in rows:
                cells.setdefault(row[0], {}).setdefault(language, {})[section] = list(row)
                if section == ABROAD_SECTION:
                    abroad.add(row[0])
    return [
        EntrusteeRow(rid, keys[rid], rid in abroad, hashlib.sha256(_canonical(c)).hexdigest(), c)
        for rid, c in cells.items()
    ]


def store_documents(
    uow: UnitOfWork, version: int, documents: Mapping[str, PolicyDocument], keys: Mapping[str, str]
) -> None:
    """Store version ``version`` compact: its documents, and the entrustee rows that changed."""
    store = uow.policy_documents
    store.add_documents(
        version, {language: document_content(compact(d)) for language, d in documents.items()}
    )
    current = store.current_hashes()
    fresh = {r.recipient_id: r for r in entrustee_rows(documents, keys)}
    written = [r for rid, r in fresh.items() if current.get(rid) != r.row_hash]
    ended = [r.recipient_id for r in written if r.recipient_id in current]
    store.close_rows(ended + [rid for rid in current if rid not in fresh], version - 1)
    store.add_rows(written, version)


@dataclass(frozen=True)
class LoadedDocument:
    """A version's compact document in one language, and where its long tables' rows are."""

    version: int
    language: str
    document: PolicyDocument
    # The rows of each long table of a version stored whole; None when they are stored apart.
    legacy: Mapping[str, tuple[Row, ...]] | None


def load_document(uow: UnitOfWork, stored: StoredPolicy, language: str) -> LoadedDocument | None:
    """Version ``stored``'s document in ``language``, compact; None without that language.

    ``stored`` may come without its documents: they are read only for an older version.
    """
    content = uow.policy_documents.document(stored.version, language)
    if content is not None:
        return LoadedDocument(stored.version, language, document_from_content(content), None)
    documents = stored.documents
    if not documents:
        whole = uow.policies.get(stored.version)
        documents = {} if whole is None else whole.documents
    if language not in documents:
        return None
    document = document_from_content(documents[language])
    return LoadedDocument(stored.version, language, compact(document), paged_rows(document))


def read_rows(
    uow: UnitOfWork,
    loaded: LoadedDocument,
    section: str,
    *,
    search: str | None = None,
    after: tuple[str, str] | None = None,
    limit: int,
) -> list[tuple[tuple[str, str], Row]]:
    """Up to ``limit`` rows of a long table after ``after``, each with its cursor key.

    ``search`` is a folded name substring.
    """
    if loaded.legacy is not None:
        found = []
        for row in loaded.legacy.get(section, ()):
            key = (fold_name(row[NAME_COLUMN]), row[0])
            if (after is None or key > after) and (not search or search in key[0]):
                found.append((key, row))
                if len(found) == limit:
                    break
        return found
    where = EntrusteeSlice(loaded.version, section == ABROAD_SECTION, search, after)
    return [
        ((r.name_key, r.recipient_id), tuple(r.cells[loaded.language][section]))
        for r in uow.policy_documents.page(where, limit)
    ]


def _all_rows(uow: UnitOfWork, loaded: LoadedDocument, section: str) -> Iterator[Row]:
    after = None
    while True:
        chunk = read_rows(uow, loaded, section, after=after, limit=_CHUNK)
        yield from (row for _, row in chunk)
        if len(chunk) < _CHUNK:
            return
        after = chunk[-1][0]


def full_document(uow: UnitOfWork, stored: StoredPolicy, language: str) -> PolicyDocument | None:
    """Version ``stored``'s whole document in ``language``, every row read back in chunks."""
    loaded = load_document(uow, stored, language)
    if loaded is None:
        return None
    rows = {
        key: list(_all_rows(uow, loaded, key))
        for key in PAGED_TABLES
        if loaded.document.section(key) is not None
    }
    return with_rows(loaded.document, rows)
