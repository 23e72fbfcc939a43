"""Languages of the audit report: its own gettext catalog (domain ``audit``), dates, counts.

The report is read by the Personal Information Protection Commission and by a Korean board, so
Korean is the default; English is for auditors abroad. English is the source language of the
catalog, as in the pages', so an untranslated string still reads as a sentence.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_decimal
from babel.support import Translations

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALE_DIR",
    "SUPPORTED_LOCALES",
    "N_",
    "format_count",
    "format_day",
    "format_when",
    "last_day",
    "translations",
]

LOCALE_DIR = Path(__file__).with_name("locale")
SUPPORTED_LOCALES = ("ko", "en")
DEFAULT_LOCALE = "ko"
DOMAIN = "audit"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


@cache
def translations(locale: str) -> Translations:
    """The compiled catalog of ``locale``; a missing catalog fails loudly, never silently."""
    if locale not in SUPPORTED_LOCALES:
        raise ValueError(f"unsupported locale {locale!r}")
    loaded = Translations.load(LOCALE_DIR, [locale], DOMAIN)
    if not isinstance(loaded, Translations):
        raise RuntimeError(f"the {locale} audit catalog is missing; run `make catalogs`")
    return loaded


def format_when(value: datetime) -> str:
    """A time in UTC, the ledger's clock, saying so, so no reader guesses the zone.

    Written the ISO way in both languages (2026-07-01 09:30:00 UTC): the same string an auditor
    finds in audit.json and the ledger, and one no reader misreads.
    """
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_day(value: datetime, locale: str) -> str:
    """The UTC calendar day of ``value``, written out (2026년 7월 1일, July 1, 2026)."""
    return format_date(value.astimezone(UTC).date(), "long", locale=locale)


def last_day(end: datetime) -> datetime:
    """The last instant inside a window that ends, exclusively, at ``end``."""
    # The smallest step a datetime has: a window ending at midnight shows the day before.
    return end - timedelta(microseconds=1)


def format_count(value: int, locale: str) -> str:
    """A count with the reader's digit grouping (1,234)."""
    return format_decimal(value, locale=locale)
