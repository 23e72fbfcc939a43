"""Operator endpoints that audit the ledger for breaches of the rules it records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from gatehouse.domain.errors import InvalidInput
from gatehouse.http.deps import GatehouseDep, OperatorDep
from gatehouse.services.audit_report import build_audit, day_window
from gatehouse.services.suspension_audit import audit_suspensions

__all__ = ["router"]

router = APIRouter(prefix="/v1/audit", tags=["operator"])


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
    responses={200: {"description": "The audit report: findings per article, with evidence."}},
)
def audit_report(
    gh: GatehouseDep,
    _: OperatorDep,
    start: Annotated[date, Query(alias="from", description="First day (UTC), included.")],
    end: Annotated[date, Query(alias="to", description="Last day (UTC), included.")],
) -> dict[str, Any]:
    """The audit of whole UTC days ``from`` to ``to``: each finding with its article, counts,
    sample entries with inclusion proofs, and the exceptions one by one."""
    if end < start:
        raise InvalidInput("to must not be before from", code="invalid_window")
    return build_audit(gh, *day_window(start, end)).to_dict()
