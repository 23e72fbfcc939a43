"""Kept audit days and months: the whole UTC days (and calendar months) of a window, and the
documents the ledger's key signs for a day's fold and a month's settled audit, so that what
is kept in the database gives itself away when it is changed, as a changed checkpoint does."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

__all__ = [
    "KEPT_DAY_FORMAT",
    "KEPT_MONTH_FORMAT",
    "calendar_month",
    "day_start",
    "kept_day_document",
    "kept_month_document",
    "month_end",
    "state_text",
    "whole_days",
]

KEPT_DAY_FORMAT = "gatehouse.audit-day.v1"
KEPT_MONTH_FORMAT = "gatehouse.audit-month.v1"


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
