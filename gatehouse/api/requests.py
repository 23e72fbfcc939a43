"""Operator endpoints for the customer side: privacy-center sessions and rights requests."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field, StrictStr

from gatehouse.api.schemas import Body
from gatehouse.domain.requests import MAX_MESSAGE_CHARS, MAX_REASON_CHARS, RightsRequest
from gatehouse.http.dates import IsoDateTime
from gatehouse.http.deps import GatehouseDep, OperatorDep
from gatehouse.http.openapi import refusals
from gatehouse.services import customer_sessions as session_service
from gatehouse.services import rights_requests as request_service
from gatehouse.services.rights_requests import RequestRecord

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["requests"])

IdPath = Annotated[str, Path(max_length=64)]


class SessionOut(BaseModel):
    token: str = Field(description="Shown once; Gatehouse keeps only its hash.")
    url: str = Field(description="Path under /privacy that signs the customer in, once.")
    expires_at: datetime


class SessionsRevoked(BaseModel):
    revoked: int


class RemedyOut(BaseModel):
    name: str
    phone: str
    url: str


class RequestOut(BaseModel):
    id: str
    subject_id: str
    type: str
    transfer_id: str | None
    status: str
    deadline_state: str
    created_at: datetime
    alert_at: datetime
    due_at: datetime
    outcome: str | None = None
    refusal_reason: str | None = None
    appeal_route: str | None = None
    resolved_at: datetime | None = None


class RequestPage(BaseModel):
    items: list[RequestOut]
    next_cursor: str | None


class RequestDetail(RequestOut):
    channel: str
    message: str | None = Field(description="The customer's words; null once erased.")
    response: str | None = None
    remedies: list[RemedyOut] | None = Field(
        default=None, description="Where the customer may turn; present on a refusal."
    )


class ResolveBody(Body):
    outcome: Literal["completed", "refused", "partially_completed"]
    message: Annotated[StrictStr, Field(max_length=MAX_MESSAGE_CHARS)] | None = None
    refusal_reason: Annotated[StrictStr, Field(max_length=MAX_REASON_CHARS)] | None = None
    appeal_route: Annotated[StrictStr, Field(max_length=MAX_REASON_CHARS)] | None = None


def _out(request: RightsRequest, now: datetime) -> RequestOut:
    resolution = request.resolution
    return RequestOut(
        id=request.id,
        subject_id=request.subject_id,
        type=request.type.value,
        transfer_id=request.transfer_id,
        status=request.status.value,
        deadline_state=request.deadline_state(now).value,
        created_at=request.deadline.created_at,
        alert_at=request.deadline.alert_at,
        due_at=request.deadline.due_at,
        outcome=resolution.outcome.value if resolution else None,
        refusal_reason=resolution.refusal_reason if resolution else None,
        appeal_route=resolution.appeal_route if resolution else None,
        resolved_at=resolution.resolved_at if resolution else None,
    )


def _detail(gh: GatehouseDep, record: RequestRecord) -> RequestDetail:
    request = record.request
    resolution = request.resolution
    remedies = None
    if resolution is not None and resolution.outcome.refuses:
        remedies = [RemedyOut(**r) for r in request_service.remedies_for(gh, request.subject_id)]
    return RequestDetail(
        **_out(request, gh.clock()).model_dump(),
        channel=record.channel,
        message=record.message,
        response=resolution.message if resolution else None,
        remedies=remedies,
    )


@router.post(
    "/subjects/{subject_id}/sessions",
    status_code=201,
    response_model=SessionOut,
    responses=refusals(410),
)
def open_session(subject_id: IdPath, gh: GatehouseDep, _: OperatorDep) -> SessionOut:
    """A single-use privacy-center link for the customer, valid 15 minutes (410 once erased).

    Hand ``url`` to the customer's browser, or pass ``token`` to the marketplace's app, which
    may use it as a bearer token on ``/v1/me`` until it expires.
    """
    link = session_service.create_link(gh, subject_id)
    return SessionOut(token=link.token, url=link.url, expires_at=link.expires_at)


@router.post("/subjects/{subject_id}/sessions/revoke", response_model=SessionsRevoked)
def revoke_sessions(subject_id: IdPath, gh: GatehouseDep, _: OperatorDep) -> SessionsRevoked:
    """End every link and session of the customer at once (a lost phone, a support call)."""
    return SessionsRevoked(revoked=session_service.revoke_sessions(gh, subject_id))


@router.get("/requests", response_model=RequestPage)
def list_requests(
    gh: GatehouseDep,
    _: OperatorDep,
    status: Literal["pending", "resolved"] | None = None,
    due_before: IsoDateTime | None = None,
    subject_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=80)] = None,
) -> RequestPage:
    """Rights requests in due order, each with its deadline state (due_soon from day 7,
    overdue after day 10 under KR-PIPA)."""
    page, next_cursor = request_service.list_requests(
        gh,
        status=status,
        due_before=due_before,
        subject_id=subject_id,
        after=cursor,
        limit=limit,
    )
    now = gh.clock()
    return RequestPage(items=[_out(r, now) for r in page], next_cursor=next_cursor)


@router.get("/requests/{request_id}", response_model=RequestDetail)
def get_request(request_id: IdPath, gh: GatehouseDep, principal: OperatorDep) -> RequestDetail:
    """One request with the customer's message; the read is recorded like any unmasked read."""
    record = request_service.get_request(gh, request_id, api_key_id=principal.key_id)
    return _detail(gh, record)


@router.post(
    "/requests/{request_id}/resolve", response_model=RequestDetail, responses=refusals(409)
)
def resolve_request(
    request_id: IdPath, body: ResolveBody, gh: GatehouseDep, _: OperatorDep
) -> RequestDetail:
    """Answer a request, once (409 after). A refusal, in whole or part, needs its reasons and
    the route to object (422 without), and carries the pack's remedies block."""
    record = request_service.resolve_request(
        gh,
        request_id,
        outcome=body.outcome,
        message=body.message,
        refusal_reason=body.refusal_reason,
        appeal_route=body.appeal_route,
    )
    return _detail(gh, record)
