"""The policy page's entrustee tables: one page each, a link to the next, a name search.

The entrustment and overseas-transfer sections list every entrustee; the page shows the
first rows of each with the table's total, and ``?table=<section>&tcursor=...`` (with
``tq=`` for a name search) shows another page of one table, the other keeping its first.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from gatehouse.domain.errors import InvalidInput
from gatehouse.services.policy_entrustees import EntrusteePage, EntrusteeQuery

__all__ = ["TABLE_CODES", "table_browse", "tables_context"]

# The longest value each parameter may have; a longer one is refused before any read.
_LONGEST = {
    "table": (40, "invalid_table"),
    "tq": (200, "invalid_search"),
    "tcursor": (600, "invalid_cursor"),
}
# Refusals of these parameters the problem page explains by their own code.
TABLE_CODES = frozenset({"invalid_table"})


def table_browse(request: Request) -> EntrusteeQuery | None:
    """The page of one entrustee table the visitor asked for, or None for first pages."""
    params = request.query_params
    for name, (longest, code) in _LONGEST.items():
        value = params.get(name)
        if value is not None and len(value) > longest:
            raise InvalidInput(f"{name} is longer than {longest} characters", code=code)
    table = params.get("table")
    search = params.get("tq") or None
    cursor = params.get("tcursor") or None
    if table is None:
        if search or cursor:
            raise InvalidInput("tq and tcursor need table", code="invalid_table")
        return None
    return EntrusteeQuery(table, search, cursor)


def _link(path: str, locale: str, section: str, **params: str | None) -> str:
    kept = {"table": section, **params, "lang": locale}
    query = urlencode({k: v for k, v in kept.items() if v is not None})
    return f"{path}?{query}#{section}-table"


def tables_context(
    pages: dict[str, EntrusteePage], path: str, locale: str
) -> dict[str, dict[str, Any]]:
    """Per section: the table's total, the page's size and search, and its links."""
    context = {}
    for section, page in pages.items():
        context[section] = {
            "total": page.total,
            "shown": len(page.table.rows),
            "search": page.search,
            "next_url": None
            if page.next_cursor is None
            else _link(path, locale, section, tq=page.search, tcursor=page.next_cursor),
            "first_url": _link(path, locale, section, tq=page.search) if page.cursor else None,
            "clear_url": f"{path}?{urlencode({'lang': locale})}#{section}-table"
            if page.search
            else None,
        }
    return context
