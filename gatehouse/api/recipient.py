"""Recipient endpoints: a recipient sees and changes only its own records."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from gatehouse.api.presenters import erasure_out, recipient_out, terms_out
from gatehouse.api.schemas import (
    ErasureAckIn,
    ErasureOut,
    ErasurePage,
    KeyOut,
    RecipientOut,
    TermsOut,
    ViewOut,
    ViewPage,
    ViewSummary,
)
from gatehouse.http.deps import GatehouseDep, RecipientDep
from gatehouse.http.openapi import refusals
from gatehouse.services import erasures as erasure_service
from gatehouse.services import recipients as recipient_service
from gatehouse.services import terms as terms_service
from gatehouse.services import views as view_service
from gatehouse.services.access import replace_recipient_keys

__all__ = ["router"]

router = APIRouter(prefix="/v1/recipient", tags=["recipient"])


def _own_id(principal_recipient_id: str | None) -> str:
    assert principal_recipient_id is not None, "recipient keys always name their recipient"
    return principal_recipient_id


@router.get("/me", response_model=RecipientOut)
def whoami(gh: GatehouseDep, principal: RecipientDep) -> RecipientOut:
    """The calling recipient's register entry, with what it still lacks."""
    return recipient_out(recipient_service.get_recipient(gh, _own_id(principal.recipient_id)))


@router.get("/terms/current", response_model=TermsOut, responses=refusals(404))
def current_terms(gh: GatehouseDep, _: RecipientDep) -> TermsOut:
    """The terms to accept before any customer data can reach this recipient."""
    return terms_out(terms_service.current_terms(gh))


@router.post("/terms/{version}/accept", response_model=RecipientOut, responses=refusals(409))
def accept_terms(
    version: Annotated[str, Path(max_length=40)], gh: GatehouseDep, principal: RecipientDep
) -> RecipientOut:
    """Accept the current terms version, with the recipient's own key."""
    standing = recipient_service.accept_terms(gh, _own_id(principal.recipient_id), version)
    return recipient_out(standing)


@router.get("/transfers", response_model=ViewPage)
def list_transfers(
    gh: GatehouseDep,
    principal: RecipientDep,
    status: Literal["open", "all"] = "open",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> ViewPage:
    """This recipient's transfers: ids and windows only; each view is read on its own."""
    rows, next_cursor = view_service.list_views(
        gh,
        _own_id(principal.recipient_id),
        only_open=status == "open",
        after=cursor,
        limit=limit,
    )
    return ViewPage(
        items=[
            ViewSummary(
                transfer_id=row.transfer_id,
                order_ref=row.external_ref,
                purpose=row.purpose,
                opened_at=row.opened_at,
                expires_at=row.expires_at,
                closed=row.closed_at is not None,
                close_reason=row.close_reason,
            )
            for row in rows
        ],
        next_cursor=next_cursor,
    )


@router.get("/transfers/{transfer_id}", response_model=ViewOut, responses=refusals(410))
def read_transfer(
    transfer_id: Annotated[str, Path(max_length=64)], gh: GatehouseDep, principal: RecipientDep
) -> ViewOut:
    """The view: masked name, safe number, address, redacted note; 410 once closed."""
    view = view_service.read_view(gh, _own_id(principal.recipient_id), transfer_id)
    return ViewOut(
        transfer_id=view.transfer_id,
        order_ref=view.order_ref,
        items=view.items,
        recipient_fields=view.recipient_fields,
        expires_at=view.expires_at,
    )


@router.get("/erasures", response_model=ErasurePage)
def list_erasures(
    gh: GatehouseDep,
    principal: RecipientDep,
    status: Literal["pending", "overdue", "acknowledged"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> ErasurePage:
    """Erasure requests addressed to this recipient."""
    rows, next_cursor = erasure_service.list_for_recipient(
        gh, _own_id(principal.recipient_id), status=status, after=cursor, limit=limit
    )
    now = gh.clock()
    return ErasurePage(items=[erasure_out(row, now) for row in rows], next_cursor=next_cursor)


@router.post("/erasures/{erasure_id}/ack", response_model=ErasureOut, responses=refusals(409))
def acknowledge_erasure(
    erasure_id: Annotated[str, Path(max_length=64)],
    gh: GatehouseDep,
    principal: RecipientDep,
    body: ErasureAckIn | None = None,
) -> ErasureOut:
    """Confirm the data of this erasure request is gone, optionally with an attestation."""
    row = erasure_service.acknowledge(
        gh, _own_id(principal.recipient_id), erasure_id, body.attestation if body else None
    )
    return erasure_out(row, gh.clock())


@router.post("/keys/rotate", response_model=KeyOut)
def rotate_key(gh: GatehouseDep, principal: RecipientDep) -> KeyOut:
    """Replace this recipient's key: the new key is shown once, and the old one stops working."""
    key = replace_recipient_keys(gh, _own_id(principal.recipient_id), gh.clock())
    return KeyOut(api_key=key)
