"""Kept audit days and months: the whole UTC days (and calendar months) of a window, and the
documents the ledger's key signs for a day's fold and a month's settled audit, so that what
is kept in the database gives itself away when it is changed, as a changed checkpoint does."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

__all__ = [
    "KEPT_DAY_FORMAT",
    "KEPT_MONTH_FORMAT",
    "PAGE_ROWS",
    "ChangedPage",
    "KeptPage",
    "calendar_month",
    "day_start",
    "kept_day_document",
    "kept_month_document",
    "month_end",
    "paged_state",
    "pages_for",
    "state_text",
    "unpaged_state",
    "whole_days",
]

KEPT_DAY_FORMAT = "gatehouse.audit-day.v1"
KEPT_MONTH_FORMAT = "gatehouse.audit-month.v1"

PAGE_ROWS = 100
"""Listed exceptions a kept page holds: as many as the report's documents show."""

KeptPage = tuple[str, int, str]
"""A page of a settled month's listing: (finding, page number from 0, canonical JSON rows)."""


def _canonical(document: Any) -> str:
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def state_text(state: Mapping[str, Any]) -> str:
    """A fold's state as the text it is kept in: canonical JSON."""
    return _canonical(state)


def _kept_document(
    kept_format: str,
    period: tuple[str, str],
    checkpoint_sequence: int,
    checkpoint_digest: str,
    kept_state: str,
) -> bytes:
    # The format name keeps a day's bytes from reading as a month's, and either as a
    # checkpoint body; the state's hash lets a report check it without parsing it twice.
    return _canonical(
        {
            "format": kept_format,
            period[0]: period[1],
            "checkpoint_sequence": checkpoint_sequence,
            "checkpoint_digest": checkpoint_digest,
            "state_sha256": hashlib.sha256(kept_state.encode("utf-8")).hexdigest(),
        }
    ).encode("utf-8")


def kept_day_document(
    day: date, checkpoint_sequence: int, checkpoint_digest: str, kept_state: str
) -> bytes:
    """The bytes the ledger's key signs for a kept day: the SHA-256 of its fold's kept text
    (:func:`state_text`), and the checkpoint the day's entries were verified against, under a
    format of its own."""
    period = ("day", day.isoformat())
    return _kept_document(
        KEPT_DAY_FORMAT, period, checkpoint_sequence, checkpoint_digest, kept_state
    )


def kept_month_document(
    month: date, checkpoint_sequence: int, checkpoint_digest: str, kept_state: str
) -> bytes:
    """The bytes the ledger's key signs for a settled month (``month`` its first day): the
    SHA-256 of its settled audit's kept text, and the checkpoint its days were read under."""
    period = ("month", f"{month.year:04d}-{month.month:02d}")
    return _kept_document(
        KEPT_MONTH_FORMAT, period, checkpoint_sequence, checkpoint_digest, kept_state
    )


def month_end(month: date) -> date:
    """The first day of the month after the one ``month`` falls in."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def calendar_month(start: datetime, end: datetime) -> date | None:
    """The first day of the calendar month (UTC) that ``[start, end)`` is exactly, or None."""
    days = whole_days(start, end)
    if not days or days[0].day != 1 or days[-1] + timedelta(days=1) != month_end(days[0]):
        return None
    return days[0]


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(), UTC)


def whole_days(start: datetime, end: datetime) -> list[date] | None:
    """The UTC days that ``[start, end)`` is made of, or None when it starts or ends
    elsewhere than at midnight UTC."""
    first, last = start.astimezone(UTC), end.astimezone(UTC)
    if first.timetz() != time(tzinfo=UTC) or last.timetz() != time(tzinfo=UTC):
        return None
    return [first.date() + timedelta(days=n) for n in range((last - first).days)]


class ChangedPage(ValueError):
    """A kept page that is missing, or is not the page the signed state names."""


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def paged_state(state: Mapping[str, Any]) -> tuple[dict[str, Any], list[KeptPage]]:
    """A settled audit's state with each listing's exceptions moved out to pages of
    :data:`PAGE_ROWS`, in their order, and the pages; the state keeps each page's SHA-256,
    so signing the state signs the pages."""
    head = dict(state)
    listings: dict[str, Any] = {}
    pages: list[KeptPage] = []
    for key, listing in state["listings"].items():
        rows = listing["exceptions"]
        texts = [_canonical(rows[n : n + PAGE_ROWS]) for n in range(0, len(rows), PAGE_ROWS)]
        listings[key] = {**listing, "exceptions": [], "pages": [_sha256(t) for t in texts]}
        pages.extend((key, number, text) for number, text in enumerate(texts))
    head["listings"] = listings
    return head, pages


def pages_for(listed: int | None) -> int | None:
    """How many pages of each listing a report that lists ``listed`` rows reads."""
    return None if listed is None else math.ceil(listed / PAGE_ROWS)


def unpaged_state(
    head: Mapping[str, Any], pages: Mapping[tuple[str, int], str], listed: int | None = None
) -> dict[str, Any]:
    """The state :func:`paged_state` split, its listings' exceptions read back from
    ``pages`` (the first :func:`pages_for` ``listed`` of each, or all); :class:`ChangedPage`
    when a page it needs is missing or is not the page the state names, and KeyError,
    TypeError or ValueError when the state is of another form."""
    state = dict(head)
    listings: dict[str, Any] = {}
    wanted = pages_for(listed)
    for key, listing in head["listings"].items():
        hashes = listing["pages"]
        if not isinstance(hashes, list):
            raise TypeError("a kept listing names its pages in a list")
        rows: list[Any] = []
        for number, digest in enumerate(hashes[:wanted] if wanted is not None else hashes):
            text = pages.get((key, number))
            if text is None or _sha256(text) != digest:
                raise ChangedPage(f"page {number} of the {key} listing is not the one kept")
            rows.extend(json.loads(text))
        kept = {name: value for name, value in listing.items() if name != "pages"}
        listings[key] = {**kept, "exceptions": rows if listed is None else rows[:listed]}
    state["listings"] = listings
    return state
