"""The audit report for auditors and the Personal Information Protection Commission.

``render_audit_html`` and ``render_audit_pdf`` take an :class:`~gatehouse.domain.audit.AuditReport`
and give the document in Korean (the default) or English; each lists a finding's first
``EXCEPTIONS_SHOWN`` exceptions, so a report built for them need list no more. Nothing here
reads storage: the services build the report, the API and the CLI call these.
"""

from gatehouse.reports.html import render_audit_html
from gatehouse.reports.pdf import PrintedReport, print_audit, render_audit_pdf
from gatehouse.reports.view import EXCEPTIONS_SHOWN

__all__ = [
    "EXCEPTIONS_SHOWN",
    "PrintedReport",
    "print_audit",
    "render_audit_html",
    "render_audit_pdf",
]
