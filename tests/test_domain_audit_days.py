"""The kept day's and month's pure parts: which windows are whole days or a calendar month,
the signed documents, whose bytes change with every field they bind, and a settled month's
listings kept a page at a time."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from gatehouse.domain.audit_days import (
    KEPT_DAY_FORMAT,
    KEPT_MONTH_FORMAT,
    PAGE_ROWS,
    ChangedPage,
    calendar_month,
    day_start,
    kept_day_document,
    kept_month_document,
    month_end,
    paged_state,
    pages_for,
    state_text,
    unpaged_state,
    whole_days,
)

KST = timezone(timedelta(hours=9))


def test_a_window_is_whole_days_only_from_midnight_to_midnight_utc() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)

    assert whole_days(start, datetime(2026, 4, 1, tzinfo=UTC)) == [
        date(2026, 3, 1) + timedelta(days=n) for n in range(31)
    ]
    assert whole_days(start, start) == []
    assert whole_days(start, start + timedelta(hours=36)) is None
    # Midnight in Seoul is 15:00 the day before in UTC: not a whole UTC day.
    assert whole_days(datetime(2026, 3, 1, tzinfo=KST), datetime(2026, 3, 2, tzinfo=KST)) is None
    assert whole_days(datetime(2026, 3, 1, 9, tzinfo=KST), datetime(2026, 3, 2, 9, tzinfo=KST)) == [
        date(2026, 3, 1)
    ]
    assert day_start(date(2026, 3, 1)) == start


def test_the_signed_document_binds_the_day_the_checkpoint_and_the_folds_text() -> None:
    state = {"entries": 3, "listings": {"basis": {"counts": {"allowed": 2}}}, "note": "주소"}
    text = state_text(state)
    document = kept_day_document(date(2026, 3, 1), 7, "a" * 64, text)

    assert text == '{"entries":3,"listings":{"basis":{"counts":{"allowed":2}}},"note":"주소"}'
    assert state_text(dict(reversed(state.items()))) == text  # one text for one state
    assert document.startswith(b'{"checkpoint_digest":"' + b"a" * 64)
    assert f'"format":"{KEPT_DAY_FORMAT}"'.encode() in document
    assert hashlib.sha256(text.encode()).hexdigest().encode() in document
    others = [
        kept_day_document(date(2026, 3, 2), 7, "a" * 64, text),
        kept_day_document(date(2026, 3, 1), 8, "a" * 64, text),
        kept_day_document(date(2026, 3, 1), 7, "b" * 64, text),
        kept_day_document(date(2026, 3, 1), 7, "a" * 64, text.replace("3", "4")),
        kept_day_document(date(2026, 3, 1), 7, "a" * 64, text + " "),
    ]
    assert all(other != document for other in others)


def test_a_calendar_month_is_exactly_its_first_day_to_the_next_months() -> None:
    def window(first: date, last: date) -> tuple[datetime, datetime]:
        return day_start(first), day_start(last)

    assert calendar_month(*window(date(2026, 2, 1), date(2026, 3, 1))) == date(2026, 2, 1)
    assert calendar_month(*window(date(2026, 12, 1), date(2027, 1, 1))) == date(2026, 12, 1)
    assert calendar_month(*window(date(2026, 2, 1), date(2026, 2, 28))) is None
    assert calendar_month(*window(date(2026, 2, 2), date(2026, 3, 2))) is None
    assert calendar_month(*window(date(2026, 1, 1), date(2026, 3, 1))) is None
    assert month_end(date(2026, 12, 1)) == date(2027, 1, 1)
    assert month_end(date(2026, 1, 31)) == date(2026, 2, 1)


def test_a_months_document_is_not_a_days_and_binds_its_month() -> None:
    text = state_text({"entries": 3})
    month = kept_month_document(date(2026, 3, 1), 7, "a" * 64, text)

    assert f'"format":"{KEPT_MONTH_FORMAT}"'.encode() in month and b'"month":"2026-03"' in month
    assert month != kept_day_document(date(2026, 3, 1), 7, "a" * 64, text)
    assert month != kept_month_document(date(2026, 4, 1), 7, "a" * 64, text)
    assert month == kept_month_document(date(2026, 3, 31), 7, "a" * 64, text)


def _state(rows: int) -> dict[str, object]:
    listing = {"counts": {"x": rows}, "exceptions": [{"n": n, "주소": "x"} for n in range(rows)]}
    return {"format": 1, "listings": {"basis": listing, "policy": {"exceptions": []}}}


def test_a_listing_kept_in_pages_reads_back_whole_or_its_first_rows() -> None:
    state = _state(2 * PAGE_ROWS + 5)
    head, pages = paged_state(state)
    by_key = {(key, number): text for key, number, text in pages}

    assert [(key, number) for key, number, _ in pages] == [("basis", 0), ("basis", 1), ("basis", 2)]
    assert head["listings"]["basis"]["exceptions"] == []  # type: ignore[index]
    assert unpaged_state(head, by_key) == state
    first_page = {("basis", 0): by_key[("basis", 0)]}
    assert pages_for(3) == 1 and pages_for(PAGE_ROWS + 1) == 2 and pages_for(0) == 0
    read = unpaged_state(head, first_page, listed=3)
    assert read["listings"]["basis"]["exceptions"] == [  # type: ignore[index]
        {"n": n, "주소": "x"} for n in range(3)
    ]
    assert read["listings"]["basis"]["counts"] == {"x": 2 * PAGE_ROWS + 5}  # type: ignore[index]


def test_a_page_changed_or_missing_is_named() -> None:
    head, pages = paged_state(_state(PAGE_ROWS + 1))
    by_key = {(key, number): text for key, number, text in pages}
    changed = {**by_key, ("basis", 1): by_key[("basis", 1)].replace('"n":100', '"n":7')}

    with pytest.raises(ChangedPage):
        unpaged_state(head, changed)
    with pytest.raises(ChangedPage):
        unpaged_state(head, {("basis", 0): by_key[("basis", 0)]})
    # A report of the first rows does not read the changed page; verify reads it.
    assert unpaged_state(head, changed, listed=PAGE_ROWS) is not None
