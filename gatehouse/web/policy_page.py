"""The public privacy policy at ``/privacy-policy``: the version in force, and every version.

``GET /privacy-policy`` shows the version in force now; ``GET /privacy-policy/v/{n}`` shows
version ``n`` exactly as it was published, for good, register included. Anyone can read them
without signing in (「개인정보 보호법」 제30조제2항 asks the policy to be public). Korean is
the default; ``?lang=en`` shows English.

Beside the document the page shows the version's dates, a banner while an announced version
waits for its effective date, the change log, and the version's register of recipients abroad:
counts by country (each a filter), a name search, a page of entries with a link to the next,
and downloads of the whole register as CSV or JSON. Every value comes from
:mod:`gatehouse.services.policy_reading`, the same service as ``/v1/privacy-policy``, so the
page and the API cannot disagree. A bad query value is a 4xx page that says what was wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from gatehouse.domain.errors import GatehouseError, InvalidInput, NotFound
from gatehouse.domain.privacy_policy import Change, PolicyDocument
from gatehouse.http.deps import gatehouse_of
from gatehouse.services.overseas_register import MAX_PAGE_SIZE
from gatehouse.services.policy_reading import (
    PolicyRegisterPage,
    PolicyRegisterQuery,
    ShownPolicy,
    VersionSummary,
    policy_history,
    policy_in_force,
    policy_register_page,
    policy_url,
    show_policy,
)
from gatehouse.services.runtime import Gatehouse
from gatehouse.web.i18n import N_
from gatehouse.web.policy_tables import TABLE_CODES, table_browse, tables_context
from gatehouse.web.site import Site, text

__all__ = ["POLICY_PATH", "PAGE_SIZE", "SITE", "PolicyLink", "in_force_link", "router"]

POLICY_PATH = "/privacy-policy"
# Korean first, like the privacy center: the policy is addressed to Korean data subjects.
SITE = Site(POLICY_PATH, "policy", default_locale="ko")
# Recipients on one page of the register; ``?limit=`` asks for 1 to MAX_PAGE_SIZE.
PAGE_SIZE = 20
# Version numbers are stored as 32-bit integers: a longer number names no version.
_VERSION = re.compile(r"[1-9][0-9]{0,9}")
_MAX_VERSION = 2**31 - 1
# The longest value each query parameter may have, as the JSON API takes them; a longer one
# is refused before anything is looked up. The code is the one the service would use.
_LONGEST = {
    "q": (200, "invalid_search"),
    "country": (8, "invalid_country"),
    "cursor": (600, "invalid_cursor"),
}
# The longest name search the register takes (the service says so when it is longer).
_SEARCH_CHARS = 100
# Refusals the problem page explains by their own code; any other falls to its kind.
_KNOWN = frozenset(
    {
        "policy_not_published",
        "policy_not_found",
        "invalid_cursor",
        "invalid_country",
        "invalid_search",
        "invalid_limit",
    }
)
# The change log's words for a change; sections are named by their heading.
_KINDS = {"added": N_("added"), "changed": N_("changed"), "removed": N_("removed")}
_REGISTER_KINDS = {
    "added": N_("Register of recipients: %(count)s added"),
    "changed": N_("Register of recipients: %(count)s changed"),
    "removed": N_("Register of recipients: %(count)s removed"),
}

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class PolicyLink:
    """Where a link to "the privacy policy" points, and which version that is (if any)."""

    url: str
    version: int | None


def in_force_link(gh: Gatehouse) -> PolicyLink:
    """The permanent address of the version in force, or the policy page before the first."""
    summary = policy_in_force(gh)
    if summary is None:
        return PolicyLink(POLICY_PATH, None)
    return PolicyLink(summary.url, summary.version)


# --- the query ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Browse:
    """What the visitor asked of the register: a search, a country, a page."""

    q: str | None
    country: str | None
    cursor: str | None
    limit: int | None

    @property
    def size(self) -> int:
        return PAGE_SIZE if self.limit is None else self.limit

    def link(self, path: str, locale: str, **changes: str | None) -> str:
        """This page's address with ``changes``, keeping the search, filter, size and language."""
        kept: dict[str, str | None] = {
            "q": self.q,
            "country": self.country,
            "limit": None if self.limit is None else str(self.limit),
            **changes,
            "lang": locale,
        }
        return f"{path}?" + urlencode({k: v for k, v in kept.items() if v is not None})


def _browse(request: Request) -> _Browse:
    params = request.query_params
    for name, (longest, code) in _LONGEST.items():
        value = params.get(name)
        if value is not None and len(value) > longest:
            raise InvalidInput(f"{name} is longer than {longest} characters", code=code)
    raw_limit = params.get("limit")
    limit = None
    if raw_limit is not None:
        if not (raw_limit.isascii() and raw_limit.isdigit() and len(raw_limit) <= 4):
            raise _bad_limit()
        limit = int(raw_limit)
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise _bad_limit()
    # An empty country (a form's cleared filter) means every country, as in the JSON API.
    return _Browse(params.get("q"), params.get("country") or None, params.get("cursor"), limit)


def _bad_limit() -> InvalidInput:
    return InvalidInput(f"a page holds 1 to {MAX_PAGE_SIZE} recipients", code="invalid_limit")


def _version_number(raw: str) -> int:
    if _VERSION.fullmatch(raw) is None or int(raw) > _MAX_VERSION:
        raise NotFound("no privacy policy version has this number", code="policy_not_found")
    return int(raw)


# --- what the page shows ------------------------------------------------------------------


def _headings(document: PolicyDocument) -> dict[str, str]:
    return {s.key: s.heading for s in document.sections}


def _change_lines(changes: tuple[Change, ...], headings: dict[str, str], locale: str) -> list[str]:
    """One line per change: the section's heading and what happened to it."""
    lines = []
    for change in changes:
        if change.section == "register":
            wording = text(locale, _REGISTER_KINDS.get(change.kind, _REGISTER_KINDS["changed"]))
            lines.append(wording % {"count": change.count})
            continue
        heading = headings.get(change.section, change.section)
        kind = text(locale, _KINDS.get(change.kind, _KINDS["changed"]))
        notice = text(locale, N_("notice given in advance")) if change.material else ""
        lines.append(f"{heading}: {kind}" + (f" ({notice})" if notice else ""))
    return lines


def _history(
    history: tuple[VersionSummary, ...], shown: int, headings: dict[str, str], locale: str
) -> list[dict[str, Any]]:
    first = min((v.version for v in history), default=None)
    return [
        {
            "summary": v,
            "current": v.version == shown,
            "first": v.version == first,
            "lines": _change_lines(v.changes, headings, locale),
        }
        for v in history
    ]


def _countries(shown: ShownPolicy) -> list[dict[str, str]]:
    """The overseas section's table of countries: code, name, recipients, received."""
    section = shown.document.section("overseas_transfer")
    table = None if section is None else section.table("countries")
    if table is None:
        return []
    columns = table.columns
    return [
        {
            "code": row[0],
            "name": row[columns.index("country")],
            "recipients": row[columns.index("recipients")],
            "received": row[columns.index("received")],
        }
        for row in table.rows
    ]


def _register_context(
    page: PolicyRegisterPage, browse: _Browse, shown: ShownPolicy, path: str, locale: str
) -> dict[str, Any]:
    version = page.version

    def link(**changes: str | None) -> str:
        return browse.link(path, locale, **changes) + "#register"

    downloads = {
        fmt: "/v1/privacy-policy/register?"
        + urlencode({"version": version, "locale": locale, "format": fmt})
        for fmt in ("csv", "json")
    }
    return {
        "entries": page.entries,
        "matched": page.matched,
        "next_url": None if page.next_cursor is None else link(cursor=page.next_cursor),
        "first_url": link() if browse.cursor else None,
        "countries": [{**c, "url": link(country=c["code"], q=None)} for c in _countries(shown)],
        "all_countries_url": link(country=None, q=None),
        "clear_search_url": link(q=None),
        "browse": browse,
        "downloads": downloads,
    }


def _status(shown: ShownPolicy) -> str:
    """Whether the version shown is in force, announced for later, or an earlier one."""
    if shown.in_force:
        return "in_force"
    now = shown.in_force_version
    return "announced" if now is None or shown.version.version > now else "earlier"


def _frame(request: Request) -> dict[str, Any]:
    """What every policy page's frame needs: language links that keep the query."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return {"lang_query": urlencode(kept) + "&" if kept else "", "policy_home": POLICY_PATH}


def _policy_page(request: Request, version: str | None) -> HTMLResponse:
    gh = gatehouse_of(request)
    locale = SITE.locale(request)
    frame = _frame(request)
    try:
        number = None if version is None else _version_number(version)
        browse = _browse(request)
        shown = show_policy(gh, version=number, locale=locale, browse=table_browse(request))
        page = policy_register_page(
            gh,
            PolicyRegisterQuery(
                version=shown.version.version,
                locale=locale,
                country=browse.country,
                search=browse.q,
                cursor=browse.cursor,
                limit=browse.size,
            ),
        )
        history = policy_history(gh)
    except GatehouseError as exc:
        return SITE.failure(request, exc, frame, known=_KNOWN | TABLE_CODES)
    headings = _headings(shown.document)
    upcoming = shown.upcoming
    context = {
        **frame,
        "doc": shown.document,
        "shown": shown,
        "version": shown.version,
        "status": _status(shown),
        "in_force_url": None
        if shown.in_force_version is None
        else policy_url(shown.in_force_version),
        "upcoming": upcoming,
        "upcoming_lines": []
        if upcoming is None
        else _change_lines(upcoming.changes, headings, locale),
        "history": _history(history, shown.version.version, headings, locale),
        "register": _register_context(page, browse, shown, request.url.path, locale),
        "tables": tables_context(dict(shown.tables), request.url.path, locale),
        "max_search": _SEARCH_CHARS,
    }
    return SITE.render(request, "policy/page.html", context)


# --- routes -------------------------------------------------------------------------------


@router.get(POLICY_PATH)
def policy_now(request: Request) -> HTMLResponse:
    """The privacy policy in force now, with its register and change log."""
    return _policy_page(request, None)


@router.get(POLICY_PATH + "/v/{version}")
def policy_version(request: Request, version: str) -> HTMLResponse:
    """Version ``version`` of the privacy policy, exactly as it was published."""
    return _policy_page(request, version)


@router.get(POLICY_PATH + "/{rest:path}")
def unknown(request: Request, rest: str) -> HTMLResponse:
    """Any other address under the policy: a 404 page in the visitor's language."""
    missing = NotFound("there is no page at this address", code="not_found")
    return SITE.failure(request, missing, _frame(request), known=_KNOWN)
