"""``POST /v1/transfers/batch``: up to 1,000 transfers decided in one transaction.

The batch answers 200 with one result per item, in the order given; each result carries the
status and body the item would have had alone (201 allowed, 403 refused, 404 an unknown
order, 409 a cancelled one, 422 an unknown purpose).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, StrictStr

from gatehouse.api.bodies import Body
from gatehouse.api.schemas import TransferIn
from gatehouse.http.deps import GatehouseDep, OperatorDep
from gatehouse.http.errors import status_for
from gatehouse.services.transfer_batch import (
    MAX_BATCH,
    BatchItem,
    BatchResult,
    request_transfers,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["gateway"])


class BatchItemIn(TransferIn):
    order_id: Annotated[StrictStr, Field(min_length=1, max_length=64)]


class BatchIn(Body):
    items: Annotated[list[BatchItemIn], Field(min_length=1, max_length=MAX_BATCH)]


class ItemError(BaseModel):
    code: str
    message: str
    details: Any = None


class BatchItemOut(BaseModel):
    order_id: str
    status: int = Field(description="The status the item would have had alone.")
    transfer_id: str | None = None
    basis: str | None = None
    notice_hash: str | None = None
    fields: list[str] | None = None
    view_expires_at: datetime | None = None
    error: ItemError | None = None


class BatchOut(BaseModel):
    items: list[BatchItemOut]


def _item_out(result: BatchResult) -> BatchItemOut:
    order_id = result.item.order_id
    if result.error is not None:
        error = result.error
        status = status_for(error)
        return BatchItemOut(
            order_id=order_id,
            status=status if status in (404, 409, 422) else 400,
            error=ItemError(code=error.code, message=error.message, details=error.details),
        )
    outcome = result.outcome
    assert outcome is not None
    decision = outcome.decision
    if not decision.allowed:
        assert decision.refusal is not None
        details = {"transfer_id": outcome.transfer_id, **dict(decision.details)}
        return BatchItemOut(
            order_id=order_id,
            status=403,
            transfer_id=outcome.transfer_id,
            error=ItemError(code=decision.refusal.value, message=decision.message, details=details),
        )
    return BatchItemOut(
        order_id=order_id,
        status=201,
        transfer_id=outcome.transfer_id,
        basis=decision.basis,
        notice_hash=decision.notice_hash,
        fields=outcome.fields,
        view_expires_at=outcome.view_expires_at,
    )


@router.post("/transfers/batch", response_model=BatchOut)
def request_batch(body: BatchIn, gh: GatehouseDep, _: OperatorDep) -> BatchOut:
    """Decide up to 1,000 transfers in one transaction: a result per item, each with its
    ledger entry; one item's error fails no other."""
    items = [
        BatchItem(item.order_id, item.purpose, item.flow, item.legal_provision)
        for item in body.items
    ]
    return BatchOut(items=[_item_out(result) for result in request_transfers(gh, items)])
