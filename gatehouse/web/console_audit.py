"""The console's audit report of the last quarter, as a web page and as a PDF.

``/console/audit/last-quarter.html`` and ``.pdf`` build the audit
(:func:`gatehouse.services.audit_report.build_audit`) of the last complete calendar quarter
before today in UTC, and render it in the console's language. Signed-in operators only; the
report names customers' requests and recipients, so no cache may keep it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gatehouse.domain.audit import AuditReport
from gatehouse.domain.errors import GatehouseError
from gatehouse.http.deps import gatehouse_of
from gatehouse.reports import EXCEPTIONS_SHOWN, render_audit_html, render_audit_pdf
from gatehouse.services.audit_report import build_audit
from gatehouse.web.console import CONSOLE_PATH, SIGN_IN, SITE
from gatehouse.web.rendering import protect

__all__ = ["AUDIT_PATH", "Quarter", "last_quarter", "report_policy", "router"]

router = APIRouter(prefix=CONSOLE_PATH, include_in_schema=False)

AUDIT_PATH = f"{CONSOLE_PATH}/audit/last-quarter"
_MONTHS_IN_QUARTER = 3
# The report is one self-contained document whose stylesheet sits in its own <style>.
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
# Whatever the document holds, it loads nothing, and nothing may frame it.
_REPORT_POLICY = (
    "default-src 'none'; style-src {styles}; form-action 'none'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter as the window ``[start, end)`` in UTC."""

    year: int
    number: int
    start: datetime
    end: datetime

    @property
    def name(self) -> str:
        """``2026-Q3``: how the files of this quarter are named."""
        return f"{self.year}-Q{self.number}"


def last_quarter(now: datetime) -> Quarter:
    """The last complete calendar quarter before the UTC day of ``now`` (an aware time)."""
    day = now.astimezone(UTC).date()
    current = (day.month - 1) // _MONTHS_IN_QUARTER  # 0 for January to March
    end = datetime(day.year, current * _MONTHS_IN_QUARTER + 1, 1, tzinfo=UTC)
    year, number = (day.year, current) if current else (day.year - 1, 4)
    start = datetime(year, (number - 1) * _MONTHS_IN_QUARTER + 1, 1, tzinfo=UTC)
    return Quarter(year=year, number=number, start=start, end=end)


def report_policy(document: str) -> str:
    """The Content-Security-Policy that lets exactly the document's own stylesheets apply.

    The console's pages allow no inline style; the report carries its stylesheet inside, so
    it is allowed by its hash, and a style it does not carry today could not run.
    """
    digests = (hashlib.sha256(style.encode("utf-8")).digest() for style in _STYLE.findall(document))
    hashes = [f"'sha256-{base64.b64encode(digest).decode('ascii')}'" for digest in digests]
    return _REPORT_POLICY.format(styles=" ".join(hashes) or "'none'")


def _report(request: Request) -> tuple[AuditReport, Quarter]:
    gh = gatehouse_of(request)
    quarter = last_quarter(gh.clock())
    # The page and the PDF show the first rows of each listing: no more are read.
    return build_audit(gh, quarter.start, quarter.end, listed=EXCEPTIONS_SHOWN), quarter


def _file_name(quarter: Quarter, extension: str) -> str:
    return f"gatehouse-audit-{quarter.name}.{extension}"


@router.get("/audit/last-quarter.html")
def last_quarter_html(request: Request) -> Response:
    """The audit report of the last quarter as a web page, in the console's language."""
    session = SIGN_IN.current(request)
    if session is None:
        return SIGN_IN.to_login(request)
    locale = SITE.locale(request)
    try:
        report, quarter = _report(request)
    except GatehouseError as exc:
        return SITE.failure(request, exc, SIGN_IN.frame(request, session))
    document = render_audit_html(report, locale=locale)
    response = protect(HTMLResponse(document))
    response.headers["Content-Security-Policy"] = report_policy(document)
    response.headers["Content-Language"] = locale
    name = _file_name(quarter, "html")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@router.get("/audit/last-quarter.pdf")
def last_quarter_pdf(request: Request) -> Response:
    """The audit report of the last quarter as a PDF to download, in the console's language."""
    session = SIGN_IN.current(request)
    if session is None:
        return SIGN_IN.to_login(request)
    locale = SITE.locale(request)
    try:
        report, quarter = _report(request)
    except GatehouseError as exc:
        return SITE.failure(request, exc, SIGN_IN.frame(request, session))
    name = _file_name(quarter, "pdf")
    return Response(
        render_audit_pdf(report, locale=locale),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Language": locale,
            "Cache-Control": "no-store",
            "Pragma": "no-cache",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )
