"""Operator endpoints that audit the ledger for breaches of the rules it records."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from gatehouse.http.deps import GatehouseDep, OperatorDep
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
