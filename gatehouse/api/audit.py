"""Operator endpoints that audit the ledger for breaches of the rules it records."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from gatehouse.domain.audit_listing import AuditRules
from gatehouse.domain.errors import InvalidInput
from gatehouse.http.dates import IsoDate
from gatehouse.http.deps import GatehouseDep, OperatorDep
from gatehouse.http.openapi import refusals
from gatehouse.reports import EXCEPTIONS_SHOWN, render_audit_html, render_audit_pdf
from gatehouse.services.audit_report import build_audit, day_window
from gatehouse.services.suspension_audit import audit_suspensions

__all__ = ["router"]

router = APIRouter(prefix="/v1/audit", tags=["operator"])

# The report names recipients and exceptions: no cache keeps a copy.
_NO_STORE = {"Cache-Control": "no-store"}
_LISTING_LIMIT = AuditRules().listing_limit


class SuspendedOut(BaseModel):
    target_type: Literal["recipient", "country"]
    target: str
    since: datetime


class ViolationOut(BaseModel):
    transfer_id: str | None
    recipient_id: str | None
    country: str | None
    at: datetime
    shard: int
    seq: int
    suspended: list[SuspendedOut]


class SuspensionAuditOut(BaseModel):
    ok: bool = Field(description="True when no allowed transfer fell inside a suspension.")
    transfers_checked: int
    suspensions: int = Field(description="Suspension and resumption entries read.")
    violations: list[ViolationOut]


@router.get("/suspensions", response_model=SuspensionAuditOut)
def suspensions(gh: GatehouseDep, _: OperatorDep) -> SuspensionAuditOut:
    """Replay the ledger: every allowed transfer against the suspensions in force (Art. 28-9)."""
    report = audit_suspensions(gh)
    return SuspensionAuditOut(
        ok=report.ok,
        transfers_checked=report.transfers_checked,
        suspensions=report.suspensions,
        violations=[
            ViolationOut(
                transfer_id=v.transfer_id,
                recipient_id=v.recipient_id,
                country=v.country,
                at=v.at,
                shard=v.shard,
                seq=v.seq,
                suspended=[
                    SuspendedOut.model_validate(s, from_attributes=True) for s in v.suspended
                ],
            )
            for v in report.violations
        ],
    )


@router.get(
    "",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "The audit report: findings per article, with evidence.",
            "content": {"text/html": {}, "application/pdf": {}},
        },
        **refusals(409),
    },
)
def audit_report(
    gh: GatehouseDep,
    _: OperatorDep,
    start: Annotated[IsoDate, Query(alias="from", description="First day (UTC), included.")],
    end: Annotated[IsoDate, Query(alias="to", description="Last day (UTC), included.")],
    output: Annotated[Literal["json", "html", "pdf"], Query(alias="format")] = "json",
    locale: Annotated[Literal["ko", "en"], Query(description="Of the HTML and PDF.")] = "ko",
    exceptions: Annotated[
        int | None,
        Query(
            ge=0,
            le=_LISTING_LIMIT,
            description="Exceptions listed per finding in the JSON, earliest first; every "
            f"one is counted. All that are kept (up to {_LISTING_LIMIT:,}) when not given. "
            f"The HTML and PDF list the first {EXCEPTIONS_SHOWN}.",
        ),
    ] = None,
) -> Response:
    """The audit of whole UTC days ``from`` to ``to``: each finding with its article, counts,
    sample entries with inclusion proofs, and the exceptions one by one; as JSON, or as the
    report to read (HTML, PDF)."""
    if end < start:
        raise InvalidInput("to must not be before from", code="invalid_window")
    # The documents show a page of each finding's exceptions, so they read no more than that.
    listed = exceptions if output == "json" else EXCEPTIONS_SHOWN
    report = build_audit(gh, *day_window(start, end), listed=listed)
    if output == "html":
        return HTMLResponse(render_audit_html(report, locale=locale), headers=_NO_STORE)
    if output == "pdf":
        name = f"gatehouse-audit-{start.isoformat()}-{end.isoformat()}.pdf"
        return Response(
            render_audit_pdf(report, locale=locale),
            media_type="application/pdf",
            headers={**_NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'},
        )
    return JSONResponse(report.to_dict(), headers=_NO_STORE)
