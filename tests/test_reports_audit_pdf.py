"""The audit report as PDF, laid out by WeasyPrint with Debian's Noto CJK fonts.

Without WeasyPrint's system libraries or the Noto CJK fonts (Debian's fonts-noto-cjk) these
tests are skipped, unless GATEHOUSE_REQUIRE_BROWSER=1 (as in CI), where they fail instead.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pypdf import PdfReader

from gatehouse.reports import PrintedReport, print_audit, render_audit_pdf
from gatehouse.reports.pdf import refusing_fetcher
from tests.test_reports_audit_html import MARKUP, audit_report


@pytest.fixture(scope="module")
def korean(pdf_engine: None) -> Iterator[tuple[PrintedReport, PdfReader]]:
    printed = print_audit(audit_report())
    yield printed, PdfReader(io.BytesIO(printed.pdf))


def _flat(text: str) -> str:
    # Table cells wrap lines wherever the column ends, so compare without whitespace.
    return re.sub(r"\s+", "", text)


def _fonts(reader: PdfReader) -> set[str]:
    names: set[str] = set()
    for page in reader.pages:
        resources: Any = page.get("/Resources") or {}
        fonts: Any = resources.get("/Font") or {}
        for ref in fonts.values():
            names.add(str(ref.get_object().get("/BaseFont", "")))
    return names


def test_the_pdf_opens_and_carries_the_korean_title_and_headings(
    korean: tuple[PrintedReport, PdfReader],
) -> None:
    printed, reader = korean
    assert printed.pdf.startswith(b"%PDF-")
    text = _flat("\n".join(page.extract_text() for page in reader.pages))
    for words in (
        "「개인정보 보호법」 준수 감사 보고서",
        "요약",
        "원장 무결성",
        "개인정보 국외 이전의 근거",
        "개인정보 유출 등의 통지·신고",
        "「개인정보 보호법」 제28조의8제1항",
        "「개인정보 보호법」 제35조부터 제38조까지",
        "「개인정보 보호법」 제21조 및 제36조",
        "이 밖에 5건은 집계만 되고 목록에는 없습니다.",
        # The integrity section says what it checked: the period, not the whole ledger.
        "해당 기간의 원장 항목을 검증한 결과 이상이 없습니다.",
        "이 검증은 해당 기간의 항목만을 대상으로 하며, 원장의 나머지 항목은 대상으로 하지",
        "원장 전체는 gatehouse ledger verify 명령으로 검증합니다.",
    ):
        assert _flat(words) in text, words


def test_the_footer_numbers_every_page_out_of_the_page_count(
    korean: tuple[PrintedReport, PdfReader],
) -> None:
    printed, reader = korean
    total = len(reader.pages)
    assert total == printed.pages
    assert total >= 3
    for number, page in enumerate(reader.pages, start=1):
        footer = re.findall(r"페이지 (\d+) / (\d+)", page.extract_text())
        assert footer == [(str(number), str(total))]


def test_the_korean_text_is_set_in_an_embedded_noto_cjk_font(
    korean: tuple[PrintedReport, PdfReader],
) -> None:
    _, reader = korean
    # Subset fonts are named "/ABCDEF+Noto-Sans-CJK-KR"; the Korean regular face must be one.
    fonts = {name.partition("+")[2].replace("-", "") for name in _fonts(reader)}
    assert "NotoSansCJKKR" in fonts, fonts


def test_the_english_pdf_has_english_headings_and_page_numbers(pdf_engine: None) -> None:
    reader = PdfReader(io.BytesIO(render_audit_pdf(audit_report(), locale="en")))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Compliance audit report" in text
    assert "Ledger integrity" in text
    assert _flat("The whole ledger is verified with gatehouse ledger verify.") in _flat(text)
    last = reader.pages[-1].extract_text()
    total = len(reader.pages)
    assert f"page {total} / {total}" in last


def test_a_crafted_value_reaches_no_url(pdf_engine: None) -> None:
    fetcher = refusing_fetcher()
    for url in ("http://127.0.0.1:9/x.png", "file:///etc/hostname", "data:text/css,a{}"):
        with pytest.raises(ValueError, match="loads no resource"):
            fetcher(url)
    # A controller named like markup is printed as text, not followed.
    reader = PdfReader(io.BytesIO(render_audit_pdf(audit_report(controller=MARKUP))))
    assert MARKUP in reader.pages[0].extract_text()
