"""Kept audit days on SQLite and PostgreSQL: a window of whole kept days reads as the window
itself without reading its entries; a kept day changed in the database gives itself away; an
entry stamped in a kept day after its checkpoint sends the day back to be folded again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from gatehouse.services import ledger
from gatehouse.services.audit_days import SETTLE, keep_days
from gatehouse.services.audit_report import build_audit, day_window
from gatehouse.services.ledger import make_checkpoint
from gatehouse.store.ledger_tables import audit_days
from tests.conftest import Fresh
from tests.support.audit_market import Market, open_market, play, report_content


@pytest.fixture
def market(fresh: Fresh) -> Iterator[Market]:
    yield from open_market(fresh)


def _played(market: Market) -> tuple[date, date]:
    """Play the market and return the whole days its final checkpoint lets be kept."""
    first = market.now().date()
    play(market)
    last = (market.now() - SETTLE).date() - timedelta(days=1)
    return first, last


def _kept_count(market: Market) -> int:
    with market.fresh.gatehouse.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(audit_days)).scalar_one())


def test_a_window_of_kept_days_reads_as_the_window_itself(market: Market) -> None:
    gh = market.fresh.gatehouse
    first, last = _played(market)
    read = build_audit(gh, *day_window(first, last))

    kept = keep_days(gh)
    merged = build_audit(gh, *day_window(first, last))
    month = build_audit(gh, *day_window(first + timedelta(days=30), first + timedelta(days=60)))
    month_read = build_audit(
        gh, *day_window(first + timedelta(days=30), first + timedelta(days=60)), full=True
    )

    assert kept == [first + timedelta(days=n) for n in range((last - first).days + 1)]
    assert keep_days(gh) == []  # each day is kept once
    assert read.integrity.scope == "window" and read.entries > 30
    assert merged.integrity.scope == "days" and merged.integrity.ok
    assert merged.integrity.entries == read.entries
    assert report_content(merged) == report_content(read)
    # Samples still carry their inclusion proofs, against the latest checkpoint.
    assert any(s.proof for f in merged.findings for s in f.samples)
    assert month.integrity.scope == "days"
    assert month_read.integrity.scope == "ledger"
    assert report_content(month) == report_content(month_read)
    again = build_audit(gh, *day_window(first, last), from_entries=True)
    assert again.integrity.scope == "window" and again.integrity.ok
    assert report_content(again) == report_content(merged)


def test_a_kept_day_changed_in_the_database_gives_itself_away(market: Market) -> None:
    gh = market.fresh.gatehouse
    first, last = _played(market)
    read = build_audit(gh, *day_window(first, last))
    keep_days(gh)
    with gh.engine.begin() as connection:
        state = connection.execute(
            select(audit_days.c.state).where(audit_days.c.day == first.isoformat())
        ).scalar_one()
        changed = json.loads(state)
        changed["entries"] = 0  # an insider hiding the first day's activity
        connection.execute(
            update(audit_days)
            .where(audit_days.c.day == first.isoformat())
            .values(state=json.dumps(changed))
        )

    report = build_audit(gh, *day_window(first, last))

    assert not report.integrity.ok
    assert report.integrity.first_bad == f"the kept audit of {first} does not verify"
    # The report is made from the entries themselves instead, so its figures are right; a
    # report that does not verify proves nothing, so its samples carry no proofs.
    assert report.integrity.scope == "window"
    assert report_content(report, proofs=False) == report_content(read, proofs=False)
    assert not any(s.proof for f in report.findings for s in f.samples)


def test_an_entry_stamped_in_a_kept_day_after_its_checkpoint_sends_the_day_back(
    market: Market,
) -> None:
    gh = market.fresh.gatehouse
    first, last = _played(market)
    keep_days(gh)
    days = _kept_count(market)
    late_day = first + timedelta(days=10)
    late = datetime.combine(late_day, datetime.min.time(), market.now().tzinfo) + timedelta(
        hours=12
    )
    with gh.engine.begin() as connection:
        # A host whose clock lags by weeks appends an entry stamped in a kept day.
        ledger.append(
            connection, kind="policy.published", at=late, subject_id=None, recipient_id=None,
            payload={"version": 9, "content_hash": "d" * 64},
        )  # fmt: skip
    before_checkpoint = build_audit(gh, *day_window(first, last))
    make_checkpoint(gh)
    left = _kept_count(market)
    after_checkpoint = build_audit(gh, *day_window(first, last))
    kept_again = keep_days(gh)

    # Not yet under a checkpoint, the entry is seen by the report's own pass.
    assert before_checkpoint.integrity.scope == "window"
    # The checkpoint that covers it drops its day and every day after it.
    assert left == (late_day - first).days == days - len(kept_again)
    assert _kept_count(market) == days
    assert after_checkpoint.integrity.scope == "window"
    assert kept_again[0] == late_day
    final = build_audit(gh, *day_window(first, last))
    assert final.integrity.scope == "days"
    assert report_content(final) == report_content(after_checkpoint)
    assert final.entries == before_checkpoint.entries


def test_nothing_is_kept_without_a_checkpoint_or_before_it_settles(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    for number in range(3):
        with gh.engine.begin() as connection:
            ledger.append(
                connection, kind="policy.published", at=gh.clock(), subject_id=None,
                recipient_id=None, payload={"version": number, "content_hash": "e" * 64},
            )  # fmt: skip
        fresh.clock.advance(hours=20)

    assert keep_days(gh) == []  # no checkpoint yet
    fresh.clock.advance(minutes=30)
    make_checkpoint(gh)  # dated 10:30 on the third day, past the settling of the second
    kept = keep_days(gh)

    first = date(2026, 11, 28)
    assert kept == [first, first + timedelta(days=1)]
    assert keep_days(gh, limit=5) == []
