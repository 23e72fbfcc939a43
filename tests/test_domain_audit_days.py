"""The kept day's pure parts: which windows are whole days, and the signed document, whose
bytes change with every field it binds."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta, timezone

from gatehouse.domain.audit_days import (
    KEPT_DAY_FORMAT,
    day_start,
    kept_day_document,
    state_text,
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
