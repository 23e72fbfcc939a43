"""Settled audit months on SQLite and PostgreSQL: a calendar month whose days are all kept is
settled once and its report reads that one row, the same as its entries; a settled month
changed in the database gives itself away; a late entry stamped in a settled month sends it
back to be settled again."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Connection, delete, func, select, update

from gatehouse.domain.audit import FindingKey
from gatehouse.services import ledger
from gatehouse.services.audit_days import keep_days
from gatehouse.services.audit_months import keep_months
from gatehouse.services.audit_report import build_audit, day_window
from gatehouse.services.ledger import make_checkpoint
from gatehouse.store.ledger_tables import audit_days, audit_month_pages, audit_months
from tests.conftest import Fresh
from tests.support.audit_market import Market, open_market, play, report_content

DECEMBER, JANUARY = date(2026, 12, 1), date(2027, 1, 1)


@pytest.fixture
def market(fresh: Fresh) -> Iterator[Market]:
    yield from open_market(fresh)


def _month(first: date) -> tuple[datetime, datetime]:
    last = date(first.year + first.month // 12, first.month % 12 + 1, 1) - timedelta(days=1)
    return day_window(first, last)


def _settled(market: Market) -> list[date]:
    """Play the market (late November to February), keep its days and settle its months."""
    play(market)
    gh = market.fresh.gatehouse
    keep_days(gh)
    return keep_months(gh)


def _forget_the_days(market: Market) -> None:
    # With the days gone, only the month's own row can make a report of the month from
    # what is kept; an insider deleting rows hides nothing, the entries are still there.
    with market.fresh.gatehouse.engine.begin() as connection:
        connection.execute(delete(audit_days))


def test_a_settled_month_reads_as_the_month_itself(market: Market) -> None:
    gh = market.fresh.gatehouse
    settled = _settled(market)
    read = {month: build_audit(gh, *_month(month), from_entries=True) for month in settled}
    _forget_the_days(market)

    # November began before the ledger's first day, and February has not ended.
    assert settled == [DECEMBER, JANUARY]
    assert keep_months(gh) == []  # each month is settled once
    for month in settled:
        report = build_audit(gh, *_month(month))
        assert report.integrity.scope == "days" and report.integrity.ok
        assert report.integrity.entries == read[month].entries
        assert report_content(report) == report_content(read[month])
        # Samples still carry their inclusion proofs, against the latest checkpoint.
        samples = [s for f in report.findings for s in f.samples]
        assert all(s.proof for s in samples) and (samples or month == DECEMBER)
    # A page of each listing is read from the month's row as from the entries.
    page = build_audit(gh, *_month(JANUARY), listed=0)
    page_read = build_audit(gh, *_month(JANUARY), listed=0, from_entries=True)
    assert page.integrity.scope == "days" and page_read.integrity.scope == "window"
    assert report_content(page) == report_content(page_read)
    assert all(f.exceptions == () for f in page.findings)
    assert [f.exception_count for f in page.findings] == [
        f.exception_count for f in read[JANUARY].findings
    ]
    assert any(f.exceptions for f in read[JANUARY].findings)
    # The market was quiet in December and busy in January.
    assert read[DECEMBER].entries == 0 and read[JANUARY].entries > 10
    # A window that is not a calendar month is not read from a month's row.
    part = build_audit(gh, *day_window(JANUARY, JANUARY + timedelta(days=9)))
    assert part.integrity.scope == "window"


def _hide_in_the_state(connection: Connection) -> None:
    row = audit_months.c.month == "2027-01"
    state = json.loads(connection.execute(select(audit_months.c.state).where(row)).scalar_one())
    state["listings"]["requests"]["exception_count"] = 0  # an insider hiding a breach
    connection.execute(update(audit_months).where(row).values(state=json.dumps(state)))


def _hide_in_a_page(connection: Connection) -> None:
    pages = audit_month_pages.c
    row = (pages.month == "2027-01") & (pages.finding == "requests") & (pages.page == 0)
    connection.execute(update(audit_month_pages).where(row).values(rows="[]"))


@pytest.mark.parametrize("hide", [_hide_in_the_state, _hide_in_a_page])
def test_a_settled_month_changed_in_the_database_gives_itself_away(
    market: Market, hide: Callable[[Connection], None]
) -> None:
    gh = market.fresh.gatehouse
    _settled(market)
    read = build_audit(gh, *_month(JANUARY), from_entries=True)
    with gh.engine.begin() as connection:
        hide(connection)

    report = build_audit(gh, *_month(JANUARY))

    assert read.finding(FindingKey.REQUESTS).exception_count > 0
    assert not report.integrity.ok
    assert report.integrity.first_bad == "the kept audit of 2027-01 does not verify"
    # Made from the entries instead, its figures are right; it proves nothing, so no proofs.
    assert report.integrity.scope == "window"
    assert report_content(report, proofs=False) == report_content(read, proofs=False)
    assert not any(s.proof for f in report.findings for s in f.samples)


def test_a_late_entry_in_a_settled_month_sends_it_back(market: Market) -> None:
    gh = market.fresh.gatehouse
    _settled(market)
    earlier = build_audit(gh, *_month(JANUARY))
    late = datetime.combine(date(2027, 1, 20), datetime.min.time(), market.now().tzinfo)
    with gh.engine.begin() as connection:
        # A host whose clock lags by weeks appends an entry stamped in a settled month.
        ledger.append(
            connection, kind="policy.published", at=late, subject_id=None, recipient_id=None,
            payload={"version": 9, "content_hash": "d" * 64},
        )  # fmt: skip
    before_checkpoint = build_audit(gh, *_month(JANUARY))
    make_checkpoint(gh)
    with gh.engine.connect() as connection:
        left = connection.execute(select(func.count()).select_from(audit_months)).scalar_one()
    after_checkpoint = build_audit(gh, *_month(JANUARY))
    keep_days(gh)
    settled_again = keep_months(gh)
    final = build_audit(gh, *_month(JANUARY))
    read = build_audit(gh, *_month(JANUARY), from_entries=True)

    # Not yet under a checkpoint, the entry is seen by the report's own pass.
    assert before_checkpoint.integrity.scope == "window"
    published = before_checkpoint.finding(FindingKey.POLICY).figure("published")
    assert published == earlier.finding(FindingKey.POLICY).figure("published") + 1
    # The checkpoint that covers it drops January, the month it is stamped in.
    assert left == 1  # December stays settled
    assert after_checkpoint.integrity.scope == "window"
    assert settled_again == [JANUARY]
    assert final.integrity.scope == "days"
    assert final.entries == before_checkpoint.entries == read.entries
    assert report_content(final) == report_content(read)
