"""The audit report for auditors and the Personal Information Protection Commission.

``render_audit_html`` and ``render_audit_pdf`` take an :class:`~gatehouse.domain.audit.AuditReport`
and give the document in Korean (the default) or English. Nothing here reads storage: the
services build the report, the API and the CLI call these.
"""

from gatehouse.reports.html import render_audit_html
from gatehouse.reports.pdf import PrintedReport, print_audit, render_audit_pdf

__all__ = ["PrintedReport", "print_audit", "render_audit_html", "render_audit_pdf"]
