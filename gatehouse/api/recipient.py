"""Recipient endpoints: a recipient sees and changes only its own records."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from gatehouse.api.auth import GatehouseDep, RecipientDep
from gatehouse.api.presenters import recipient_out, terms_out
from gatehouse.api.schemas import RecipientOut, TermsOut
from gatehouse.services import recipients as recipient_service
from gatehouse.services import terms as terms_service

__all__ = ["router"]

router = APIRouter(prefix="/v1/recipient", tags=["recipient"])


def _own_id(principal_recipient_id: str | None) -> str:
    assert principal_recipient_id is not None, "recipient keys always name their recipient"
    return principal_recipient_id


@router.get("/me", response_model=RecipientOut)
def whoami(gh: GatehouseDep, principal: RecipientDep) -> RecipientOut:
    """The calling recipient's register entry, with what it still lacks."""
    return recipient_out(recipient_service.get_recipient(gh, _own_id(principal.recipient_id)))


@router.get("/terms/current", response_model=TermsOut)
def current_terms(gh: GatehouseDep, _: RecipientDep) -> TermsOut:
    """The terms to accept before any customer data can reach this recipient."""
    return terms_out(terms_service.current_terms(gh))


@router.post("/terms/{version}/accept", response_model=RecipientOut)
def accept_terms(
    version: Annotated[str, Path(max_length=40)], gh: GatehouseDep, principal: RecipientDep
) -> RecipientOut:
    """Accept the current terms version, with the recipient's own key."""
    standing = recipient_service.accept_terms(gh, _own_id(principal.recipient_id), version)
    return recipient_out(standing)
