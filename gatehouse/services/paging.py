"""Keyset pagination: fetch one row more than asked to learn whether a next page exists."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

__all__ = ["split_page"]

T = TypeVar("T")


def split_page(
    rows: Sequence[T], limit: int, cursor_of: Callable[[T], str]
) -> tuple[list[T], str | None]:
    """The first ``limit`` of up to ``limit + 1`` rows, and the next page's cursor (or None)."""
    page = list(rows[:limit])
    more = len(rows) > limit
    return page, (cursor_of(page[-1]) if more and page else None)
