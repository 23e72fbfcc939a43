"""A version's entrustee tables a page at a time: the policy page's and the API's.

The entrustment and overseas-transfer sections each list every entrustee (「개인정보 보호법」
제26조제2항 and 제28조의8제2항). At thousands of entrustees the page shows the first rows of each
table with its total, and a cursor to the next rows; a name search narrows a table. Each page
is a keyset read of the rows valid at the version (or, for a version stored whole before the
tables were stored apart, the same rows cut from its document), so its cost does not grow
with the number of entrustees.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from gatehouse.domain.errors import InvalidInput, NotFound
from gatehouse.domain.policy_pages import PAGED_TABLES, Row, with_page
from gatehouse.domain.privacy_policy import PolicyDocument, Table
from gatehouse.services.overseas_register import MAX_PAGE_SIZE, clean_search, register_language
from gatehouse.services.policy_storage import LoadedDocument, load_document, read_rows
from gatehouse.services.privacy_policy import name_key, policy_pack
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork

__all__ = [
    "DEFAULT_ROWS",
    "EntrusteePage",
    "EntrusteeQuery",
    "VersionTable",
    "check_query",
    "entrustee_page",
    "first_pages",
    "version_table",
]

# Rows of each entrustee table shown with the document.
DEFAULT_ROWS = 20
_PREFIX = "e."
_LONGEST_CURSOR = 600


@dataclass(frozen=True)
class EntrusteeQuery:
    """Which rows of one entrustee table to show; :func:`check_query` checks every field."""

    section: str
    search: str | None = None
    cursor: str | None = None
    limit: int = DEFAULT_ROWS


@dataclass(frozen=True)
class _Checked:
    section: str
    search: str | None
    after: tuple[str, str] | None
    limit: int


@dataclass(frozen=True)
class EntrusteePage:
    """One page of an entrustee table: its rows, the table's total, the next page's cursor."""

    section: str
    table: Table
    total: int
    # The name searched for, as typed (cleaned); None for the whole table.
    search: str | None
    # The cursor this page was read from; None for the first page.
    cursor: str | None
    next_cursor: str | None


def _encode(key: tuple[str, str]) -> str:
    raw = json.dumps(list(key), ensure_ascii=False)
    return _PREFIX + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> tuple[str, str] | None:
    if cursor is None:
        return None
    bad = InvalidInput("cursor is not one this endpoint returned", code="invalid_cursor")
    if not cursor.startswith(_PREFIX) or len(cursor) > _LONGEST_CURSOR:
        raise bad
    body = cursor[len(_PREFIX) :]
    try:
        value = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, binascii.Error):
        raise bad from None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise bad
    return value[0], value[1]


def check_query(query: EntrusteeQuery) -> EntrusteeQuery:
    """``query`` with its search cleaned; InvalidInput names the first bad field."""
    if query.section not in PAGED_TABLES:
        raise InvalidInput(
            "table is not one of the policy's entrustee tables",
            code="invalid_table",
            details={"tables": sorted(PAGED_TABLES)},
        )
    if not 1 <= query.limit <= MAX_PAGE_SIZE:
        raise InvalidInput(
            f"a page holds 1 to {MAX_PAGE_SIZE} rows",
            code="invalid_limit",
            details={"max": MAX_PAGE_SIZE},
        )
    _decode(query.cursor)
    return EntrusteeQuery(query.section, clean_search(query.search), query.cursor, query.limit)


def entrustee_page(uow: UnitOfWork, loaded: LoadedDocument, query: EntrusteeQuery) -> EntrusteePage:
    """One page of the table ``query.section`` names (``query`` already checked)."""
    section = loaded.document.section(query.section)
    table = None if section is None else section.table(PAGED_TABLES[query.section])
    if table is None:
        raise InvalidInput("this version has no such table", code="invalid_table")
    search = None if query.search is None else name_key(query.search)
    found = read_rows(
        uow,
        loaded,
        query.section,
        search=search,
        after=_decode(query.cursor),
        limit=query.limit + 1,
    )
    page = found[: query.limit]
    more = len(found) > query.limit and page
    rows: tuple[Row, ...] = tuple(row for _, row in page)
    return EntrusteePage(
        section=query.section,
        table=Table(table.key, table.columns, table.labels, rows, table.total),
        total=table.total or 0,
        search=query.search,
        cursor=query.cursor,
        next_cursor=_encode(page[-1][0]) if more else None,
    )


def first_pages(
    uow: UnitOfWork, loaded: LoadedDocument, browse: EntrusteeQuery | None = None
) -> tuple[PolicyDocument, dict[str, EntrusteePage]]:
    """The document with a page of each entrustee table: ``browse``'s for its table, the
    first page (of DEFAULT_ROWS rows) for the others."""
    pages = {}
    for key in PAGED_TABLES:
        if loaded.document.section(key) is None:
            continue
        query = browse if browse is not None and browse.section == key else EntrusteeQuery(key)
        pages[key] = entrustee_page(uow, loaded, query)
    document = with_page(loaded.document, {k: p.table.rows for k, p in pages.items()})
    return document, pages


@dataclass(frozen=True)
class VersionTable:
    """A page of one entrustee table of a version, in one language."""

    version: int
    language: str
    page: EntrusteePage


def version_table(
    gh: Gatehouse, query: EntrusteeQuery, *, version: int | None = None, locale: str | None = None
) -> VersionTable:
    """A page of an entrustee table of version ``version`` (the one in force when None)."""
    pack = policy_pack(gh)
    language = register_language(pack, locale)
    query = check_query(query)
    with gh.unit_of_work(read_only=True, may_lag=True) as uow:
        if version is None:
            stored = uow.policies.in_force(gh.clock(), with_documents=False)
            stored = stored or uow.policies.latest(with_documents=False)
        else:
            stored = uow.policies.get(version, with_documents=False)
        loaded = None if stored is None else load_document(uow, stored, language)
        if loaded is None:
            if version is None:
                raise NotFound(
                    "no privacy policy has been published yet", code="policy_not_published"
                )
            raise NotFound(
                f"privacy policy version {version} does not exist", code="policy_not_found"
            )
        return VersionTable(loaded.version, language, entrustee_page(uow, loaded, query))
