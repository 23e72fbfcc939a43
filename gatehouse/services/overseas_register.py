"""The overseas-transfer register (PIPA Art. 28-8(2)): every recipient abroad, with its items.

For a period (by default the twelve months up to now) the register lists each recipient
abroad that may receive data (active) or that received data in the period, whatever its
status now, with what the law asks to be disclosed: name, country, contact, items, timing
and method, purposes, retention, how to refuse, and whether and how often it received data.
A recipient is labelled as having received data only when an allowed transfer to it was
decided in the period. Every word comes from the rule pack, as in the checkout notices.

Pages are keyset-paged on the recipient id, so walking the cursor chain yields each listed
recipient once, and a page costs the same however deep it is. They are read from the read
replica when there is one: the register may trail the latest decision by a moment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from gatehouse.domain.contact import normalise_country
from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.policy import RulePack
from gatehouse.domain.register_wording import RegisterWording
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.overseas_register import RegisterRecipient, RegisterWindow

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "CountryCount",
    "RegisterEntry",
    "RegisterPage",
    "RegisterQuery",
    "clean_search",
    "register_language",
    "register_counts",
    "register_entries",
    "register_page",
]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# How many recipients a download reads per transaction.
_DOWNLOAD_CHUNK = 500
_MAX_SEARCH = 100
_DEFAULT_DAYS = 365
_CURSOR = re.compile(r"r\.([A-Za-z0-9_-]{1,40})")
_LOCALE = re.compile(r"([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*")


@dataclass(frozen=True)
class RegisterQuery:
    """What the caller asked for; every field is checked by :func:`register_page`."""

    locale: str | None = None
    since: date | None = None
    until: date | None = None
    country: str | None = None
    search: str | None = None
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class RegisterEntry:
    """One recipient abroad with the Art. 28-8(2) items, in the register's language."""

    recipient_id: str
    legal_name: str | None
    kind: str
    kind_label: str
    country: str | None
    country_name: str | None
    contact_phone: str | None
    contact_email: str | None
    officer_name: str | None
    officer_email: str | None
    officer_phone: str | None
    items: tuple[str, ...]
    purposes: tuple[str, ...]
    flows: tuple[str, ...]
    timing: str
    method: str
    retention: str | None
    refusal: str
    # The recipient's status now and its transfers in the period; None in a published
    # policy version's register, which records only whether it received data.
    status: str | None
    received: bool
    transfers: int | None


@dataclass(frozen=True)
class RegisterPage:
    """One page of the register, and the cursor of the next (None on the last page)."""

    language: str
    since: datetime
    until: datetime
    entries: tuple[RegisterEntry, ...]
    next_cursor: str | None


@dataclass(frozen=True)
class CountryCount:
    """How many recipients in one country are listed, and how many received data."""

    country: str
    country_name: str
    recipients: int
    received: int


@dataclass(frozen=True)
class _Checked:
    pack: RulePack
    language: str
    window: RegisterWindow
    after: str | None
    limit: int


def _pack(gh: Gatehouse) -> RulePack:
    return gh.packs.by_id(gh.packs.ids()[0])


def register_language(pack: RulePack, locale: str | None) -> str:
    """The pack language ``locale`` asks for (the required one when None), or InvalidInput."""
    if locale is None:
        return pack.required_language
    match = _LOCALE.fullmatch(locale.strip())
    language = match.group(1).lower() if match else None
    if language is None or language not in pack.languages:
        raise InvalidInput(
            f"the register is available in {', '.join(pack.languages)} only",
            code="unsupported_locale",
            details={"supported": list(pack.languages)},
        )
    return language


def _period(now: datetime, since: date | None, until: date | None) -> tuple[datetime, datetime]:
    """``[since, until)`` in UTC: whole days when given, else the last twelve months to now."""
    end = now if until is None else datetime.combine(until, time(), UTC) + timedelta(days=1)
    start = (
        end - timedelta(days=_DEFAULT_DAYS)
        if since is None
        else datetime.combine(since, time(), UTC)
    )
    if start >= end:
        raise InvalidInput(
            "the period's start must come before its end",
            code="invalid_period",
            details={"from": start.date().isoformat(), "to": end.date().isoformat()},
        )
    return start, end


def _after(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    match = _CURSOR.fullmatch(cursor)
    if match is None:
        raise InvalidInput("cursor is not one this endpoint returned", code="invalid_cursor")
    return match[1]


def clean_search(text: str | None) -> str | None:
    """A name search with its spaces collapsed, or InvalidInput when empty or too long."""
    if text is None:
        return None
    cleaned = " ".join(text.split())
    if not cleaned or len(cleaned) > _MAX_SEARCH:
        raise InvalidInput(f"a search is 1 to {_MAX_SEARCH} characters", code="invalid_search")
    return cleaned


def _check(gh: Gatehouse, query: RegisterQuery) -> _Checked:
    pack = _pack(gh)
    since, until = _period(gh.clock(), query.since, query.until)
    window = RegisterWindow(
        since=since,
        until=until,
        home=tuple(pack.jurisdictions),
        country=normalise_country(query.country) if query.country else None,
        search=clean_search(query.search),
    )
    return _Checked(
        pack, register_language(pack, query.locale), window, _after(query.cursor), query.limit
    )


class _Wording(RegisterWording):
    """The register's words, and one entry per stored row."""

    def entry(self, row: RegisterRecipient) -> RegisterEntry:
        purposes = tuple(p for p in row.purposes if p in self.pack.purposes)
        return RegisterEntry(
            recipient_id=row.id,
            legal_name=row.legal_name,
            kind=row.kind,
            kind_label=self.kind(row.kind),
            country=row.country,
            country_name=row.country and self.pack.country_name(row.country, self.language),
            contact_phone=row.contact_phone,
            contact_email=row.contact_email,
            officer_name=row.officer_name,
            officer_email=row.officer_email,
            officer_phone=row.officer_phone,
            items=self.items(purposes),
            purposes=self.purposes(purposes),
            flows=self.flows(row.kind),
            timing=self.timing,
            method=self.method,
            retention=self.retention(row.retention_days),
            refusal=self.refusal(row.kind),
            status=row.status,
            received=row.transfers > 0,
            transfers=row.transfers,
        )


def _read(gh: Gatehouse, checked: _Checked, after: str | None) -> list[RegisterRecipient]:
    with gh.unit_of_work(read_only=True, may_lag=True) as uow:
        return uow.overseas_register.page(checked.window, after=after, limit=checked.limit + 1)


def register_page(gh: Gatehouse, query: RegisterQuery) -> RegisterPage:
    """One page of the register; ``InvalidInput`` names any bad parameter."""
    if not 1 <= query.limit <= MAX_PAGE_SIZE:
        raise InvalidInput(
            f"a page holds 1 to {MAX_PAGE_SIZE} recipients",
            code="invalid_limit",
            details={"max": MAX_PAGE_SIZE},
        )
    checked = _check(gh, query)
    rows = _read(gh, checked, checked.after)
    page = rows[: checked.limit]
    more = len(rows) > checked.limit
    wording = _Wording(checked.pack, checked.language)
    return RegisterPage(
        language=checked.language,
        since=checked.window.since,
        until=checked.window.until,
        entries=tuple(wording.entry(row) for row in page),
        next_cursor=f"r.{page[-1].id}" if more and page else None,
    )


def register_entries(gh: Gatehouse, query: RegisterQuery) -> Iterator[RegisterEntry]:
    """Every entry from the query's cursor on, read a chunk per transaction, for downloads.

    The parameters are checked before the first entry is asked for, so a bad one raises
    here and not halfway through a response.
    """
    checked = _check(gh, replace(query, limit=_DOWNLOAD_CHUNK))
    wording = _Wording(checked.pack, checked.language)

    def chunks() -> Iterator[RegisterEntry]:
        after = checked.after
        while True:
            rows = _read(gh, checked, after)
            for row in rows[: checked.limit]:
                yield wording.entry(row)
            if len(rows) <= checked.limit:
                return
            after = rows[checked.limit - 1].id

    return chunks()


def register_counts(
    gh: Gatehouse, query: RegisterQuery
) -> tuple[str, datetime, datetime, tuple[CountryCount, ...]]:
    """The language, the period, and per country the listed and the received recipients."""
    checked = _check(gh, RegisterQuery(locale=query.locale, since=query.since, until=query.until))
    with gh.unit_of_work(read_only=True, may_lag=True) as uow:
        counted = uow.overseas_register.counts_by_country(checked.window)
    pack, language = checked.pack, checked.language
    return (
        language,
        checked.window.since,
        checked.window.until,
        tuple(
            CountryCount(code, pack.country_name(code, language) or code, listed, got)
            for code, (listed, got) in counted.items()
        ),
    )
