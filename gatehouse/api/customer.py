"""The customer API under ``/v1/me``: a session speaks for one subject, and only that one.

No customer URL carries a subject id: the subject is the session's. Ids that do appear in a
URL (a transfer, a consent, a request) are looked up within that subject, so another
customer's id answers 404 exactly like an id that does not exist.

Two ways to authenticate, one per client:

- the marketplace's **app** calls this API directly with ``Authorization: Bearer <token>``,
  where the token is the sign-in link's token (valid 15 minutes);
- the **browser** is signed in by the privacy-center pages, which set the ``gh_session``
  cookie with :func:`gatehouse.http.cookies.set_session_cookie` (HttpOnly, Secure,
  SameSite=Lax, path ``/``).

Both are read by :data:`gatehouse.http.deps.CustomerDep`, which also refuses a cookie-signed
state-changing request from another origin.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictStr

from gatehouse.api.customer_json import consent_json, export_json, policy_link_json
from gatehouse.api.schemas import Body
from gatehouse.domain.requests import MAX_MESSAGE_CHARS
from gatehouse.http.cookies import clear_session_cookie
from gatehouse.http.deps import CustomerDep, CustomerTokenDep, GatehouseDep
from gatehouse.http.openapi import refusals
from gatehouse.services import consents as consent_service
from gatehouse.services import customer as customer_service
from gatehouse.services import customer_consents as consents_service
from gatehouse.services import customer_export as export_service
from gatehouse.services import customer_profile as profile_service
from gatehouse.services import grouped_writes
from gatehouse.services import rights_requests as request_service
from gatehouse.services.rights_requests import RequestRecord

__all__ = ["router", "customer_request_out"]

router = APIRouter(prefix="/v1/me", tags=["customer"])

IdPath = Annotated[str, Path(max_length=64)]


class AddressOut(BaseModel):
    postal_code: str
    line1: str
    line2: str | None


class MeOut(BaseModel):
    subject_id: str
    locale: str
    residence_country: str
    name: str
    email: str
    phone: str
    address: AddressOut
    customs_code: str | None = Field(description="Masked: a unique identifier (P*********012).")
    created_at: datetime


class WithdrawBody(Body):
    channel: Literal["web", "app"] = "web"


class RequestBody(Body):
    type: Literal["access", "correction", "deletion", "suspension", "complaint"]
    message: Annotated[StrictStr, Field(min_length=1, max_length=MAX_MESSAGE_CHARS)]
    transfer_id: Annotated[StrictStr, Field(max_length=64)] | None = None
    channel: Literal["web", "app"] = "web"


class RequestCreated(BaseModel):
    id: str
    type: str
    status: str
    transfer_id: str | None
    created_at: datetime
    due_at: datetime


class RemedyOut(BaseModel):
    name: str
    phone: str
    url: str


class CustomerRequestOut(BaseModel):
    id: str
    type: str
    transfer_id: str | None
    channel: str
    message: str | None
    status: str
    deadline_state: str
    created_at: datetime
    due_at: datetime
    outcome: str | None = None
    response: str | None = None
    refusal_reason: str | None = None
    appeal_route: str | None = None
    resolved_at: datetime | None = None
    remedies: list[RemedyOut] | None = Field(
        default=None, description="Where to turn next; present when the request was refused."
    )


class CustomerRequestList(BaseModel):
    items: list[CustomerRequestOut]
    next_cursor: str | None = None


def customer_request_out(
    record: RequestRecord, now: datetime, remedies: list[dict[str, str]]
) -> CustomerRequestOut:
    """A request as its customer sees it; refusals carry the remedies block."""
    request = record.request
    resolution = request.resolution
    refused = resolution is not None and resolution.outcome.refuses
    return CustomerRequestOut(
        id=request.id,
        type=request.type.value,
        transfer_id=request.transfer_id,
        channel=record.channel,
        message=record.message,
        status=request.status.value,
        deadline_state=request.deadline_state(now).value,
        created_at=request.deadline.created_at,
        due_at=request.deadline.due_at,
        outcome=resolution.outcome.value if resolution else None,
        response=resolution.message if resolution else None,
        refusal_reason=resolution.refusal_reason if resolution else None,
        appeal_route=resolution.appeal_route if resolution else None,
        resolved_at=resolution.resolved_at if resolution else None,
        remedies=[RemedyOut(**r) for r in remedies] if refused else None,
    )


@router.get("", response_model=MeOut, responses=refusals(410))
def me(who: CustomerDep, gh: GatehouseDep) -> MeOut:
    """The customer's own data; the customs code is masked (the export has it whole)."""
    mine = profile_service.profile(gh, who.subject_id)
    return MeOut(
        subject_id=mine.subject_id,
        locale=mine.locale,
        residence_country=mine.residence_country,
        name=mine.name,
        email=mine.email,
        phone=mine.phone,
        address=AddressOut(
            postal_code=mine.address.postal_code,
            line1=mine.address.line1,
            line2=mine.address.line2,
        ),
        customs_code=mine.customs_code,
        created_at=mine.created_at,
    )


@router.get("/transfers", responses=refusals(409))
def my_transfers(
    who: CustomerDep,
    gh: GatehouseDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=80)] = None,
) -> dict[str, Any]:
    """Who received my data: recipient, country, contacts, items, purpose, basis, when and
    until, each with an RFC 6962 inclusion proof against the latest signed checkpoint."""
    page = customer_service.transfers_of(gh, who.subject_id, after=cursor, limit=limit)
    return {
        "items": [item.to_dict() for item in page.items],
        "next_cursor": page.next_cursor,
        "by_country": page.by_country,
    }


@router.get("/transfers/{transfer_id}", responses=refusals(409))
def my_transfer(transfer_id: IdPath, who: CustomerDep, gh: GatehouseDep) -> dict[str, Any]:
    """One of my transfers, with its proof."""
    return customer_service.transfer_of(gh, who.subject_id, transfer_id).to_dict()


@router.get("/consents")
def my_consents(who: CustomerDep, gh: GatehouseDep) -> dict[str, Any]:
    """My consents to overseas transfer, one per notice, with recipients and countries."""
    consents = consents_service.customer_consents(gh, who.subject_id)
    return {"items": [consent_json(c) for c in consents], "next_cursor": None}


@router.post("/consents/{consent_id}/withdraw", responses=refusals(409))
def withdraw(
    consent_id: IdPath, who: CustomerDep, gh: GatehouseDep, body: WithdrawBody | None = None
) -> dict[str, Any]:
    """Withdraw a consent in one step: future transfers stop and open views close."""
    consent_service.withdraw_consent(
        gh, who.subject_id, consent_id, channel=body.channel if body else "web"
    )
    consents = consents_service.customer_consents(gh, who.subject_id)
    return consent_json(next(c for c in consents if c.id == consent_id))


@router.post(
    "/requests", status_code=201, response_model=RequestCreated, responses=refusals(404, 410)
)
def file_request(body: RequestBody, who: CustomerDep, gh: GatehouseDep) -> RequestCreated:
    """Ask for access, correction, deletion or suspension, or complain (about a transfer)."""
    record = request_service.submit_request(
        gh,
        who.subject_id,
        request_type=body.type,
        message=body.message,
        transfer_id=body.transfer_id,
        channel=body.channel,
    )
    request = record.request
    return RequestCreated(
        id=request.id,
        type=request.type.value,
        status=request.status.value,
        transfer_id=request.transfer_id,
        created_at=request.deadline.created_at,
        due_at=request.deadline.due_at,
    )


@router.get("/requests", response_model=CustomerRequestList)
def my_requests(who: CustomerDep, gh: GatehouseDep) -> CustomerRequestList:
    """My requests, newest first, with their answers and, for refusals, where to turn next."""
    records = request_service.requests_of_subject(gh, who.subject_id)
    remedies = request_service.remedies_for(gh, who.subject_id)
    now = gh.clock()
    return CustomerRequestList(items=[customer_request_out(r, now, remedies) for r in records])


@router.get("/requests/{request_id}", response_model=CustomerRequestOut)
def my_request(request_id: IdPath, who: CustomerDep, gh: GatehouseDep) -> CustomerRequestOut:
    """One of my requests."""
    record = request_service.get_request(gh, request_id, subject_id=who.subject_id)
    remedies = request_service.remedies_for(gh, who.subject_id)
    return customer_request_out(record, gh.clock(), remedies)


@router.get("/export", responses=refusals(409, 410))
def export(who: CustomerDep, gh: GatehouseDep) -> JSONResponse:
    """Everything held about me as one JSON file: profile, consents with their notice texts,
    orders, transfers, requests and the ledger entries about me."""
    data = export_service.export(gh, who.subject_id)
    stamp = data.generated_at.strftime("%Y%m%d")
    return JSONResponse(
        jsonable_encoder(export_json(data)),
        headers={
            "Content-Disposition": f'attachment; filename="my-data-{stamp}.json"',
            "Cache-Control": "no-store",
        },
    )


@router.delete("", status_code=202)
async def delete_me(
    token: CustomerTokenDep, gh: GatehouseDep, request: Request, response: Response
) -> dict[str, Any]:
    """Delete my account in one step: my key is shredded, recipients are told to erase, and
    this session ends. The receipt lists what was erased and what the law makes us keep; the
    privacy policy in force at the deletion is linked beside it, outside the receipt."""
    # Concurrent deletions share a transaction; the sign-in is checked in the group too.
    groups: grouped_writes.DeletionGroups = request.app.state.deletion_groups
    deleted = await grouped_writes.delete_my_account(gh, groups, token)
    receipt = deleted.to_dict()
    clear_session_cookie(response)
    return {
        "receipt": receipt,
        "erasure_notices": list(receipt["erasure_notices"]),
        "privacy_policy": policy_link_json(deleted.policy_version),
    }
