"""The overseas-transfer register (Art. 28-8(2)) as JSON pages, counts by country, and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from gatehouse.http.dates import IsoDate
from gatehouse.http.deps import GatehouseDep, OperatorDep
from gatehouse.services.overseas_register import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    RegisterEntry,
    RegisterQuery,
    register_counts,
    register_entries,
    register_page,
)

__all__ = ["RegisterEntryOut", "csv_lines", "csv_response", "entry_out", "router"]

router = APIRouter(prefix="/v1/disclosures", tags=["operator"])


class ContactOut(BaseModel):
    phone: str | None
    email: str | None


class OfficerOut(BaseModel):
    name: str | None
    email: str | None
    phone: str | None


class CountryOut(BaseModel):
    code: str | None
    name: str | None


class RegisterEntryOut(BaseModel):
    recipient_id: str
    legal_name: str | None
    kind: str
    kind_label: str
    country: CountryOut
    contact: ContactOut
    privacy_officer: OfficerOut
    items: list[str]
    purposes: list[str]
    flows: list[str]
    timing: str
    method: str
    retention: str | None
    refusal: str
    status: str | None
    received: bool
    transfers: int | None


class RegisterPageOut(BaseModel):
    locale: str
    period_from: datetime
    period_to: datetime
    items: list[RegisterEntryOut]
    next_cursor: str | None


class CountryCountOut(BaseModel):
    code: str
    name: str
    recipients: int
    received: int


class CountryCountsOut(BaseModel):
    locale: str
    period_from: datetime
    period_to: datetime
    countries: list[CountryCountOut]


def entry_out(e: RegisterEntry) -> RegisterEntryOut:
    """The JSON shape of one register entry."""
    return RegisterEntryOut(
        recipient_id=e.recipient_id,
        legal_name=e.legal_name,
        kind=e.kind,
        kind_label=e.kind_label,
        country=CountryOut(code=e.country, name=e.country_name),
        contact=ContactOut(phone=e.contact_phone, email=e.contact_email),
        privacy_officer=OfficerOut(
            name=e.officer_name, email=e.officer_email, phone=e.officer_phone
        ),
        items=list(e.items),
        purposes=list(e.purposes),
        flows=list(e.flows),
        timing=e.timing,
        method=e.method,
        retention=e.retention,
        refusal=e.refusal,
        status=e.status,
        received=e.received,
        transfers=e.transfers,
    )


CSV_COLUMNS = (
    "recipient_id",
    "legal_name",
    "kind",
    "country",
    "country_name",
    "contact_phone",
    "contact_email",
    "privacy_officer_name",
    "privacy_officer_email",
    "privacy_officer_phone",
    "items",
    "purposes",
    "flows",
    "timing",
    "method",
    "retention",
    "refusal",
    "status",
    "received",
    "transfers",
)
# A cell a spreadsheet would read as a formula is kept as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str | None) -> str:
    text = value or ""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _csv_row(e: RegisterEntry) -> list[str]:
    return [
        e.recipient_id,
        _cell(e.legal_name),
        e.kind,
        e.country or "",
        e.country_name or "",
        e.contact_phone or "",
        _cell(e.contact_email),
        _cell(e.officer_name),
        _cell(e.officer_email),
        e.officer_phone or "",
        "; ".join(e.items),
        "; ".join(e.purposes),
        "; ".join(e.flows),
        e.timing,
        e.method,
        e.retention or "",
        e.refusal,
        e.status or "",
        "yes" if e.received else "no",
        "" if e.transfers is None else str(e.transfers),
    ]


def csv_lines(entries: Iterator[RegisterEntry]) -> Iterator[str]:
    """The entries as CSV lines, header first, for a streamed download."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # The byte-order mark makes Excel read the file as UTF-8.
    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + buffer.getvalue()
    for entry in entries:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(_csv_row(entry))
        yield buffer.getvalue()


def csv_response(entries: Iterator[RegisterEntry], filename: str) -> StreamingResponse:
    """The entries streamed as a CSV download called ``filename``."""
    return StreamingResponse(
        csv_lines(entries),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


Locale = Annotated[str | None, Query(max_length=35)]
From = Annotated[IsoDate | None, Query(alias="from")]
To = Annotated[IsoDate | None, Query(alias="to")]


@router.get("/overseas", response_model=RegisterPageOut)
def overseas_register(
    gh: GatehouseDep,
    _: OperatorDep,
    locale: Locale = None,
    since: From = None,
    until: To = None,
    country: Annotated[str | None, Query(max_length=8)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    format: Literal["json", "csv"] = "json",
) -> RegisterPageOut | StreamingResponse:
    """Every recipient abroad that may receive data or received it in the period.

    ``format=json`` returns one page and the next page's cursor; ``format=csv`` streams every
    entry from the cursor on (UTF-8 with a byte-order mark, a header row).
    """
    query = RegisterQuery(
        locale=locale,
        since=since,
        until=until,
        country=country,
        search=q,
        cursor=cursor,
        limit=limit,
    )
    if format == "csv":
        return csv_response(register_entries(gh, query), "overseas-register.csv")
    page = register_page(gh, query)
    return RegisterPageOut(
        locale=page.language,
        period_from=page.since,
        period_to=page.until,
        items=[entry_out(e) for e in page.entries],
        next_cursor=page.next_cursor,
    )


@router.get("/overseas/countries", response_model=CountryCountsOut)
def overseas_register_countries(
    gh: GatehouseDep,
    _: OperatorDep,
    locale: Locale = None,
    since: From = None,
    until: To = None,
) -> CountryCountsOut:
    """Per country: how many recipients the register lists, and how many received data."""
    language, start, end, counts = register_counts(
        gh, RegisterQuery(locale=locale, since=since, until=until)
    )
    return CountryCountsOut(
        locale=language,
        period_from=start,
        period_to=end,
        countries=[
            CountryCountOut(
                code=c.country, name=c.country_name, recipients=c.recipients, received=c.received
            )
            for c in counts
        ],
    )
