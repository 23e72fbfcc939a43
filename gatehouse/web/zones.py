"""The time zone a customer reads times in on the privacy center's pages.

Gatehouse stores and answers (``/v1/me``, the ledger, receipts) in UTC; only the customer's own
pages show local time, because a customer in Seoul who ordered just after midnight should not
read the day before. The zone is a matter of presentation, so it is mapped here, in the web
layer, from the customer's country of residence (and failing that, from the rule pack's single
jurisdiction), rather than being a rule the pack must carry and the loader must validate. The
countries listed each keep one civil time. Any other customer, or a system without time-zone
data, reads UTC, and every time shown names its zone, so none is ever silently wrong.
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gatehouse.domain.subjects import Subject

__all__ = ["ZONES", "customer_zone"]

# Country (ISO 3166-1 alpha-2) -> IANA zone, for countries with one civil time.
ZONES: dict[str, str] = {"KR": "Asia/Seoul"}


def customer_zone(subject: Subject, jurisdictions: list[str]) -> tzinfo:
    """The zone the subject's pages show times in: by residence, else the pack's one country."""
    name = ZONES.get(subject.residence_country)
    if name is None and len(jurisdictions) == 1:
        name = ZONES.get(jurisdictions[0])
    if name is None:
        return UTC
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        return UTC
