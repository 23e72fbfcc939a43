"""Operator endpoints for the marketplace's own webhook, which hears of account deletions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StrictStr

from gatehouse.api.schemas import Body
from gatehouse.http.deps import GatehouseDep, OperatorDep
from gatehouse.services import operator_webhook as service

__all__ = ["router"]

router = APIRouter(prefix="/v1/operator/webhook", tags=["operator"])


class OperatorWebhookIn(Body):
    url: Annotated[StrictStr, Field(min_length=1, max_length=2000)]


class OperatorWebhookOut(BaseModel):
    url: str | None
    updated_at: datetime | None
    events: list[str] = Field(description="The event types sent to this URL.")


class OperatorWebhookSet(OperatorWebhookOut):
    webhook_secret: str = Field(description="Shown once; signs every event from now on.")


def _out(settings: service.OperatorWebhook) -> OperatorWebhookOut:
    return OperatorWebhookOut(
        url=settings.url, updated_at=settings.updated_at, events=[service.SUBJECT_DELETED_EVENT]
    )


@router.get("", response_model=OperatorWebhookOut)
def get_webhook(gh: GatehouseDep, _: OperatorDep) -> OperatorWebhookOut:
    """Where account deletions are reported; the secret is never shown again."""
    return _out(service.operator_webhook(gh))


@router.put("", response_model=OperatorWebhookSet)
def put_webhook(body: OperatorWebhookIn, gh: GatehouseDep, _: OperatorDep) -> OperatorWebhookSet:
    """Set the https URL and get a new signing secret, shown in this answer only.

    A URL whose host is, or resolves to, an address that is not public answers 422
    ``webhook_address_not_allowed``.
    """
    settings, secret = service.set_operator_webhook(gh, body.url)
    return OperatorWebhookSet(**_out(settings).model_dump(), webhook_secret=secret)
