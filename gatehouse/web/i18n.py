"""Languages of the pages: gettext catalogs through Babel, the choice of locale, dates.

Every string a page shows comes from ``locale/<lang>/LC_MESSAGES/messages.mo``. English is the
source language and the default, because the recipient portal is used from abroad; Korean is
shown on request. Values that come from code (close reasons, statuses, purposes, field names)
are marked with :func:`N_` here and translated when the page is rendered.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import cache
from pathlib import Path

from babel.dates import format_datetime
from babel.support import Translations

__all__ = [
    "DEFAULT_LOCALE",
    "LANG_COOKIE",
    "LOCALE_DIR",
    "SUPPORTED_LOCALES",
    "N_",
    "format_when",
    "label_for",
    "translations",
]

LOCALE_DIR = Path(__file__).with_name("locale")
SUPPORTED_LOCALES = ("en", "ko")
DEFAULT_LOCALE = "en"
LANG_COOKIE = "gh_lang"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


# Codes shown to recipients, each with its English text; the template translates the text.
_LABELS: dict[str, dict[str, str]] = {
    "close_reason": {
        "delivered_window_ended": N_("The delivery window ended"),
        "max_window_ended": N_("The view reached its maximum length"),
        "order_cancelled": N_("The order was cancelled"),
        "recipient_suspended": N_("Transfers to your company are suspended"),
        "country_suspended": N_("Transfers to your country are suspended"),
        "subject_deleted": N_("The customer deleted their account"),
        "consent_withdrawn": N_("The customer withdrew consent"),
    },
    "erasure_cause": {
        "subject_deleted": N_("The customer deleted their account"),
        "consent_withdrawn": N_("The customer withdrew consent"),
    },
    "erasure_status": {
        "pending": N_("Pending"),
        "overdue": N_("Overdue"),
        "acknowledged": N_("Acknowledged"),
    },
    "purpose": {
        "fulfilment": N_("Fulfilment"),
        "customer_service": N_("Customer service"),
    },
    "field": {
        "name": N_("Name"),
        "phone": N_("Phone"),
        "address": N_("Address"),
        "postal_code": N_("Postal code"),
        "line1": N_("Address line 1"),
        "line2": N_("Address line 2"),
        "delivery_note": N_("Delivery note"),
        "customs_code": N_("Customs clearance code"),
    },
    "clause": {
        "safety_measures": N_("Safety measures"),
        "complaint_handling": N_("Complaint handling"),
        "purpose_limitation": N_("Purpose limitation"),
        "deletion": N_("Deletion"),
        "onward_transfer": N_("Onward transfer"),
    },
}


def label_for(kind: str, code: str) -> str:
    """The untranslated English label of a code, or the code itself when it has none."""
    return _LABELS.get(kind, {}).get(code, code)


@cache
def translations(locale: str) -> Translations:
    """The compiled catalog of ``locale``; a missing catalog fails loudly, never silently."""
    if locale not in SUPPORTED_LOCALES:
        raise ValueError(f"unsupported locale {locale!r}")
    loaded = Translations.load(LOCALE_DIR, [locale], DOMAIN)
    if not isinstance(loaded, Translations):
        raise RuntimeError(f"the {locale} message catalog is missing; run `make catalogs`")
    return loaded


def format_when(value: datetime, locale: str, zone: tzinfo = UTC) -> str:
    """A date and time in the reader's language and ``zone`` (UTC unless given), saying which.

    The zone's abbreviation follows the time (``UTC``, ``KST``), so a reader abroad and a
    customer at home each know what clock a time is on.
    """
    local = value.astimezone(zone)
    return f"{format_datetime(local, 'medium', tzinfo=zone, locale=locale)} {local.tzname()}"
