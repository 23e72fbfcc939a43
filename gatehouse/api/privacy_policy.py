"""The privacy policy: public versions, their change log and register; publishing for the operator.

Reading needs no key: the policy is published to everyone, as Art. 30(2) requires. Each
version keeps its number, so ``?version=n`` answers the same for good.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from gatehouse.api.disclosures import RegisterEntryOut, csv_response, entry_out
from gatehouse.domain.privacy_policy import Section, Table
from gatehouse.http.deps import GatehouseDep, OperatorDep
from gatehouse.http.openapi import refusals
from gatehouse.services.overseas_register import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from gatehouse.services.policy_entrustees import (
    DEFAULT_ROWS,
    EntrusteePage,
    EntrusteeQuery,
    version_table,
)
from gatehouse.services.policy_reading import (
    PolicyRegisterQuery,
    VersionSummary,
    policy_history,
    policy_register_entries,
    policy_register_page,
    show_policy,
    version_summary,
)
from gatehouse.services.privacy_policy import publish_policy

__all__ = ["router"]

router = APIRouter(prefix="/v1/privacy-policy", tags=["privacy policy"])

MAX_VERSION = 2**31 - 1


class ChangeOut(BaseModel):
    section: str
    kind: str
    material: bool
    count: int


class VersionOut(BaseModel):
    version: int
    url: str
    published_at: datetime
    effective_at: datetime
    content_hash: str
    material: bool
    register_count: int
    changes: list[ChangeOut]


class FactOut(BaseModel):
    key: str
    label: str
    value: str


class ColumnOut(BaseModel):
    key: str
    label: str


class RowOut(BaseModel):
    key: str
    cells: dict[str, str]


class TableOut(BaseModel):
    key: str
    columns: list[ColumnOut]
    rows: list[RowOut]
    # For an entrustee table, which shows one page: how many rows it has in all, and the
    # cursor of its next page at /v1/privacy-policy/entrustees (None on the last page).
    total: int | None = None
    next_cursor: str | None = None


class EntrusteesOut(BaseModel):
    version: int
    locale: str
    table: str
    total: int
    columns: list[ColumnOut]
    items: list[RowOut]
    next_cursor: str | None


class SectionOut(BaseModel):
    key: str
    number: int
    heading: str
    article: str | None
    paragraphs: list[str]
    facts: list[FactOut]
    tables: list[TableOut]


class PolicyOut(BaseModel):
    locale: str
    title: str
    preamble: str
    version: VersionOut
    in_force: bool
    in_force_version: int | None
    upcoming: VersionOut | None
    register_url: str
    sections: list[SectionOut]


class VersionsOut(BaseModel):
    items: list[VersionOut]


class RegisterPageOut(BaseModel):
    version: int
    locale: str
    matched: int
    items: list[RegisterEntryOut]
    next_cursor: str | None


class PublishOut(BaseModel):
    created: bool
    version: VersionOut


def _version_out(v: VersionSummary) -> VersionOut:
    return VersionOut(
        version=v.version,
        url=v.url,
        published_at=v.published_at,
        effective_at=v.effective_at,
        content_hash=v.content_hash,
        material=v.material,
        register_count=v.register_count,
        changes=[
            ChangeOut(section=c.section, kind=c.kind, material=c.material, count=c.count)
            for c in v.changes
        ],
    )


def _columns(t: Table) -> list[ColumnOut]:
    return [
        ColumnOut(key=k, label=label) for k, label in zip(t.columns[1:], t.labels[1:], strict=True)
    ]


def _rows(t: Table) -> list[RowOut]:
    return [
        RowOut(key=row[0], cells=dict(zip(t.columns[1:], row[1:], strict=True))) for row in t.rows
    ]


def _section_out(number: int, s: Section, pages: Mapping[str, EntrusteePage]) -> SectionOut:
    page = pages.get(s.key)
    return SectionOut(
        key=s.key,
        number=number,
        heading=s.heading,
        article=s.article,
        paragraphs=list(s.paragraphs),
        facts=[FactOut(key=f.key, label=f.label, value=f.value) for f in s.facts],
        tables=[
            TableOut(
                key=t.key,
                columns=_columns(t),
                rows=_rows(t),
                total=t.total,
                next_cursor=None if page is None or t.total is None else page.next_cursor,
            )
            for t in s.tables
        ],
    )


Locale = Annotated[str | None, Query(max_length=35)]
Version = Annotated[int | None, Query(ge=1, le=MAX_VERSION)]


@router.get("", response_model=PolicyOut, responses=refusals(404))
def privacy_policy(gh: GatehouseDep, locale: Locale = None, version: Version = None) -> PolicyOut:
    """The policy in force now (or version ``version``), in Korean unless asked otherwise."""
    shown = show_policy(gh, version=version, locale=locale)
    doc = shown.document
    return PolicyOut(
        locale=doc.language,
        title=doc.title,
        preamble=doc.preamble,
        version=_version_out(shown.version),
        in_force=shown.in_force,
        in_force_version=shown.in_force_version,
        upcoming=None if shown.upcoming is None else _version_out(shown.upcoming),
        register_url=f"/v1/privacy-policy/register?version={shown.version.version}",
        sections=[_section_out(n, s, shown.tables) for n, s in enumerate(doc.sections, start=1)],
    )


@router.get("/versions", response_model=VersionsOut)
def privacy_policy_versions(gh: GatehouseDep) -> VersionsOut:
    """Every version, newest first, with what changed from the one before: the change log."""
    return VersionsOut(items=[_version_out(v) for v in policy_history(gh)])


@router.get("/register", response_model=RegisterPageOut, responses=refusals(404))
def privacy_policy_register(
    gh: GatehouseDep,
    version: Version = None,
    locale: Locale = None,
    country: Annotated[str | None, Query(max_length=8)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=600)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    format: Literal["json", "csv"] = "json",
) -> RegisterPageOut | StreamingResponse:
    """A version's register of recipients, by country then name; CSV streams all of it."""
    query = PolicyRegisterQuery(
        version=version, locale=locale, country=country, search=q, cursor=cursor, limit=limit
    )
    if format == "csv":
        return csv_response(policy_register_entries(gh, query), "privacy-policy-register.csv")
    page = policy_register_page(gh, query)
    return RegisterPageOut(
        version=page.version,
        locale=page.language,
        matched=page.matched,
        items=[entry_out(e) for e in page.entries],
        next_cursor=page.next_cursor,
    )


@router.get("/entrustees", response_model=EntrusteesOut, responses=refusals(404))
def privacy_policy_entrustees(
    gh: GatehouseDep,
    table: Literal["entrustment", "overseas_transfer"],
    version: Version = None,
    locale: Locale = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=600)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_ROWS,
) -> EntrusteesOut:
    """A page of a version's entrustee table (the section named by ``table``), by name."""
    found = version_table(
        gh, EntrusteeQuery(table, q, cursor, limit), version=version, locale=locale
    )
    page = found.page
    return EntrusteesOut(
        version=found.version,
        locale=found.language,
        table=page.section,
        total=page.total,
        columns=_columns(page.table),
        items=_rows(page.table),
        next_cursor=page.next_cursor,
    )


@router.post("/publish", response_model=PublishOut, responses=refusals(409))
def publish(gh: GatehouseDep, _: OperatorDep) -> PublishOut:
    """Publish a new version if what the policy shows has changed; 409 names a missing item."""
    outcome = publish_policy(gh)
    return PublishOut(
        created=outcome.created, version=_version_out(version_summary(outcome.version))
    )
