"""The audit report as PDF: WeasyPrint lays out the same HTML, with its print rules.

The PDF embeds the system's Noto CJK fonts (found through fontconfig) and nothing else: the
document refers to no URL, and the fetcher refuses every one anyway, so no value in a report
can make the renderer reach the network or read a local file.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any

from gatehouse.domain.audit import AuditReport
from gatehouse.domain.policy import RulePack
from gatehouse.reports.html import render_audit_html

__all__ = ["PrintedReport", "print_audit", "refusing_fetcher", "render_audit_pdf"]


class FetchRefused(ValueError):
    """A URL the report tried to load; the report loads none."""


@dataclass(frozen=True)
class PrintedReport:
    """The PDF and the number of pages WeasyPrint laid out."""

    pdf: bytes
    pages: int


def _weasyprint() -> Any:
    # Imported on first use: the pages import the charts from this package and should not
    # load a layout engine they never use.
    return import_module("weasyprint")


def refusing_fetcher() -> Any:
    """A WeasyPrint URL fetcher that refuses every URL, whatever its scheme."""
    urls = import_module("weasyprint.urls")

    class _Refuse(urls.URLFetcher):  # type: ignore[misc, name-defined]
        def fetch(self, url: str, headers: object = None) -> Any:
            raise FetchRefused(f"the audit report loads no resource, not {url!r}")

    return _Refuse(fail_on_errors=False)


def print_audit(
    report: AuditReport, *, locale: str = "ko", pack: RulePack | None = None
) -> PrintedReport:
    """Lay the report out on A4 pages and write the PDF."""
    weasyprint = _weasyprint()
    html = render_audit_html(report, locale=locale, pack=pack)
    document = weasyprint.HTML(
        string=html, base_url=None, url_fetcher=refusing_fetcher(), media_type="print"
    ).render()
    return PrintedReport(pdf=bytes(document.write_pdf()), pages=len(document.pages))


def render_audit_pdf(
    report: AuditReport, *, locale: str = "ko", pack: RulePack | None = None
) -> bytes:
    """The audit report as a PDF in ``locale`` (``ko`` or ``en``)."""
    return print_audit(report, locale=locale, pack=pack).pdf
