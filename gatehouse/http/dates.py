"""Strict date and time types for request bodies and query parameters.

JSON and query strings have no date type, so a date arrives as a string, and pydantic's lax
mode would also read numbers as Unix timestamps: ``since=0.5`` or ``"expires_on": 0`` would
quietly mean 1970-01-01. These types accept ISO 8601 strings only:

* :data:`IsoDate`: ``YYYY-MM-DD``.
* :data:`IsoDateTime`: ``YYYY-MM-DDTHH:MM[:SS[.ffffff]]`` with an offset (``Z`` or ``+HH:MM``),
  the form the API answers with; a time without an offset is ambiguous, so it is refused.

A ``date`` or ``datetime`` object (a Python caller building a body) passes as it is.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator

__all__ = ["IsoDate", "IsoDateTime", "parse_iso_date", "parse_iso_datetime"]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})"
)


def parse_iso_date(value: Any) -> Any:
    """A date from an ISO 8601 ``YYYY-MM-DD`` string; anything else is a ValueError."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or _DATE.fullmatch(value) is None:
        raise ValueError("expected a date as an ISO 8601 string, YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("no such calendar date") from None


def parse_iso_datetime(value: Any) -> Any:
    """An aware datetime from an ISO 8601 string with an offset; anything else is a ValueError."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or _DATETIME.fullmatch(value) is None:
        raise ValueError(
            "expected a date and time as an ISO 8601 string with an offset, "
            "YYYY-MM-DDTHH:MM:SS+00:00"
        )
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("no such calendar date or time") from None


IsoDate = Annotated[date, BeforeValidator(parse_iso_date)]
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(parse_iso_datetime)]
