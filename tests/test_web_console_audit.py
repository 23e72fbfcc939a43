"""The console's audit report of the last quarter: which quarter that is (a pure function, the
January case included), and the HTML and PDF routes over real HTTP on each backend (the
window they build, the language, the headers, the sign-in)."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pypdf import PdfReader

from gatehouse.reports import render_audit_html
from gatehouse.services.audit_report import build_audit
from gatehouse.web.console_audit import last_quarter, report_policy
from tests.conftest import Fresh
from tests.support.server import api_client, operator_api
from tests.test_web_console import Console

HTML = "/console/audit/last-quarter.html"
PDF = "/console/audit/last-quarter.pdf"
SEOUL = timezone(timedelta(hours=9))


# --- which quarter ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "name", "start", "end"),
    [
        (datetime(2026, 11, 30, 12, tzinfo=UTC), "2026-Q3", (2026, 7, 1), (2026, 10, 1)),
        (datetime(2027, 1, 15, tzinfo=UTC), "2026-Q4", (2026, 10, 1), (2027, 1, 1)),
        (datetime(2027, 1, 1, 0, 0, tzinfo=UTC), "2026-Q4", (2026, 10, 1), (2027, 1, 1)),
        (datetime(2026, 3, 31, 23, 59, tzinfo=UTC), "2025-Q4", (2025, 10, 1), (2026, 1, 1)),
        (datetime(2026, 4, 1, tzinfo=UTC), "2026-Q1", (2026, 1, 1), (2026, 4, 1)),
        (datetime(2026, 7, 1, tzinfo=UTC), "2026-Q2", (2026, 4, 1), (2026, 7, 1)),
        # Already 1 October in Seoul, still 30 September in UTC: the UTC day decides.
        (datetime(2026, 10, 1, 8, tzinfo=SEOUL), "2026-Q2", (2026, 4, 1), (2026, 7, 1)),
        (datetime(2026, 10, 1, 9, tzinfo=SEOUL), "2026-Q3", (2026, 7, 1), (2026, 10, 1)),
    ],
)
def test_the_last_complete_quarter_before_today_in_utc(
    now: datetime, name: str, start: tuple[int, int, int], end: tuple[int, int, int]
) -> None:
    quarter = last_quarter(now)
    assert quarter.name == name
    assert quarter.start == datetime(*start, tzinfo=UTC)
    assert quarter.end == datetime(*end, tzinfo=UTC)


def test_every_day_of_a_year_falls_right_after_its_last_quarter() -> None:
    day = datetime(2026, 1, 1, 12, tzinfo=UTC)
    while day.year == 2026:
        quarter = last_quarter(day)
        assert quarter.end <= day < quarter.end + timedelta(days=92)
        assert quarter.start.day == 1 and quarter.start.month in (1, 4, 7, 10)
        assert 90 <= (quarter.end - quarter.start).days <= 92
        assert (quarter.number - 1) * 3 + 1 == quarter.start.month
        day += timedelta(days=1)


def test_the_policy_allows_exactly_the_documents_own_stylesheet() -> None:
    style = "\nbody { color: #111; }\n"
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = report_policy(f"<html><head><style>{style}</style></head></html>")
    assert f"style-src 'sha256-{digest}';" in policy and "unsafe" not in policy
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "style-src 'none'" in report_policy("<html></html>")


# --- the routes ---------------------------------------------------------------------------------


@dataclass
class Signed:
    browser: Console
    fresh: Fresh
    key: str


@pytest.fixture
def signed(fresh: Fresh) -> Iterator[Signed]:
    with operator_api(fresh.gatehouse) as (server, api):
        key = str(api.headers["Authorization"]).removeprefix("Bearer ")
        browser = Console(server.url)
        try:
            assert browser.login(key).status_code in (200, 303)
            yield Signed(browser, fresh, key)
        finally:
            browser.close()


def test_the_dashboard_links_the_report_and_the_estimate(signed: Signed) -> None:
    page = signed.browser.dashboard()
    assert f'href="{HTML}"' in page and f'href="{PDF}"' in page
    assert "Audit report of the last quarter" in page
    assert 'href="/console/penalty"' in page
    korean = signed.browser.get("/console?lang=ko").text
    assert "지난 분기 감사 보고서" in korean


def test_the_web_page_is_the_report_of_the_last_quarter(signed: Signed) -> None:
    gh = signed.fresh.gatehouse
    page = signed.browser.get(HTML + "?lang=en")
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["content-language"] == "en"
    assert page.headers["content-disposition"] == 'inline; filename="gatehouse-audit-2026-Q3.html"'
    # The clock says 28 November 2026: the report is of July to September, as built directly.
    window = build_audit(gh, datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC))
    assert page.text == render_audit_html(window, locale="en")
    # Its stylesheet applies by its hash and nothing else inline could.
    (style,) = re.findall(r"<style>(.*?)</style>", page.text, re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = page.headers["content-security-policy"]
    assert f"style-src 'sha256-{digest}';" in policy and "script-src" not in policy
    korean = signed.browser.get(HTML + "?lang=ko")
    assert korean.headers["content-language"] == "ko" and '<html lang="ko">' in korean.text
    assert korean.text == render_audit_html(window, locale="ko")


def test_the_pdf_downloads_with_the_quarter_in_its_name(signed: Signed) -> None:
    pdf = signed.browser.get(PDF + "?lang=en")
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert (
        pdf.headers["content-disposition"] == 'attachment; filename="gatehouse-audit-2026-Q3.pdf"'
    )
    assert pdf.headers["cache-control"] == "no-store"
    assert pdf.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) >= 1
    first = " ".join(reader.pages[0].extract_text().split())
    assert "Personal Information Protection Act" in first and "July 1, 2026" in first


def test_in_january_the_last_quarter_is_last_years_fourth(signed: Signed) -> None:
    signed.fresh.clock.now = datetime(2027, 1, 15, 3, tzinfo=UTC)
    # Six weeks on, the session has ended: sign in again on the new day.
    assert signed.browser.login(signed.key).status_code in (200, 303)
    pdf = signed.browser.get(PDF)
    assert pdf.status_code == 200, pdf.text
    disposition = pdf.headers["content-disposition"]
    assert disposition == 'attachment; filename="gatehouse-audit-2026-Q4.pdf"'
    page = signed.browser.get(HTML)
    gh = signed.fresh.gatehouse
    window = build_audit(gh, datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert page.text == render_audit_html(window, locale="en")


def test_signed_out_the_report_sends_to_the_login(fresh: Fresh) -> None:
    with (
        operator_api(fresh.gatehouse) as (server, _),
        api_client(server.url) as anon,
    ):
        for path in (HTML, PDF):
            response = anon.get(path)
            assert response.status_code == 303
            assert response.headers["location"] == "/console/login"
