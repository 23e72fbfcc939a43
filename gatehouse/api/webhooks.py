"""Recipient endpoints for webhooks: where they go, and rotating the signing secret.

A recipient key only ever reaches its own settings: no endpoint here takes a recipient id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StrictStr

from gatehouse.api.schemas import Body
from gatehouse.http.deps import GatehouseDep, RecipientDep
from gatehouse.services import webhooks as webhook_service
from gatehouse.services.webhooks import WebhookSettings

__all__ = ["router"]

router = APIRouter(prefix="/v1/recipient/webhook", tags=["recipient"])


class WebhookIn(Body):
    url: Annotated[StrictStr, Field(max_length=2000)] | None


class WebhookOut(BaseModel):
    url: str | None
    previous_secret_active: bool
    previous_secret_expires_at: datetime | None


class WebhookSecretOut(BaseModel):
    webhook_secret: str = Field(description="Shown once; signs webhooks from now on.")
    previous_secret_expires_at: datetime | None


def _own_id(recipient_id: str | None) -> str:
    assert recipient_id is not None, "recipient keys always name their recipient"
    return recipient_id


def _out(settings: WebhookSettings) -> WebhookOut:
    return WebhookOut(
        url=settings.url,
        previous_secret_active=settings.previous_secret_active,
        previous_secret_expires_at=settings.previous_secret_expires_at,
    )


@router.get("", response_model=WebhookOut)
def get_webhook(gh: GatehouseDep, principal: RecipientDep) -> WebhookOut:
    """This recipient's webhook URL, and whether a rotated-out secret still signs."""
    return _out(webhook_service.webhook_settings(gh, _own_id(principal.recipient_id)))


@router.put("", response_model=WebhookOut)
def put_webhook(body: WebhookIn, gh: GatehouseDep, principal: RecipientDep) -> WebhookOut:
    """Set the https URL webhooks are POSTed to; null stops them.

    A URL whose host is, or resolves to, an address that is not public answers 422
    ``webhook_address_not_allowed``; redirects from it are never followed.
    """
    settings = webhook_service.set_webhook_url(gh, _own_id(principal.recipient_id), body.url)
    return _out(settings)


@router.post("/rotate", response_model=WebhookSecretOut)
def rotate_secret(gh: GatehouseDep, principal: RecipientDep) -> WebhookSecretOut:
    """A new signing secret, shown once; the old one keeps signing for 24 hours."""
    recipient_id = _own_id(principal.recipient_id)
    secret = webhook_service.rotate_webhook_secret(gh, recipient_id)
    settings = webhook_service.webhook_settings(gh, recipient_id)
    return WebhookSecretOut(
        webhook_secret=secret, previous_secret_expires_at=settings.previous_secret_expires_at
    )
