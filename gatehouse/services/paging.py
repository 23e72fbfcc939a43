"""Keyset pagination: fetch one row more than asked to learn whether a next page exists."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from gatehouse.domain.errors import InvalidInput

__all__ = ["split_page", "page_cursor", "parse_page_cursor"]

T = TypeVar("T")

_CURSOR = re.compile(r"([0-9]{8}T[0-9]{12})\.([A-Za-z0-9_]{1,40})")
_CURSOR_TIME = "%Y%m%dT%H%M%S%f"


def split_page(
    rows: Sequence[T], limit: int, cursor_of: Callable[[T], str]
) -> tuple[list[T], str | None]:
    """The first ``limit`` of up to ``limit + 1`` rows, and the next page's cursor (or None)."""
    page = list(rows[:limit])
    more = len(rows) > limit
    return page, (cursor_of(page[-1]) if more and page else None)


def page_cursor(at: datetime, last_id: str) -> str:
    """The cursor after the row at ``(at, last_id)`` in a list ordered by time, then id."""
    return f"{at.strftime(_CURSOR_TIME)}.{last_id}"


def parse_page_cursor(cursor: str) -> tuple[datetime, str]:
    """The ``(at, last_id)`` of a :func:`page_cursor`, or ``InvalidInput``."""
    match = _CURSOR.fullmatch(cursor)
    try:
        if match is None:
            raise ValueError(cursor)
        return datetime.strptime(match[1], _CURSOR_TIME).replace(tzinfo=UTC), match[2]
    except ValueError:
        raise InvalidInput(
            "cursor is not one this endpoint returned", code="invalid_cursor"
        ) from None
