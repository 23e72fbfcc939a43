"""Operator endpoints of the transfer gateway: notices, consents, orders, transfers.

A transfer and a consent save are ``async``: each waits on its group commit's future on the
event loop (:mod:`gatehouse.services.grouped_writes`), with no thread of its own.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from gatehouse.api.schemas import (
    ConsentIn,
    ConsentList,
    ConsentOut,
    ConsentStateOut,
    DisclosureIn,
    DisclosureOut,
    NoticeItemOut,
    NoticeOut,
    OrderCreated,
    OrderEventIn,
    OrderEventOut,
    OrderIn,
    PolicyLinkOut,
    RenderedNoticeOut,
    TransferAllowed,
    TransferIn,
    TransferPage,
    TransferRecord,
    WithdrawIn,
)
from gatehouse.domain.consents import ConsentRecord
from gatehouse.domain.contact import normalise_country
from gatehouse.domain.notices import Notice
from gatehouse.domain.orders import OrderEvent, OrderItem
from gatehouse.http.dates import IsoDateTime
from gatehouse.http.deps import GatehouseDep, GroupedOperatorDep, OperatorDep
from gatehouse.http.errors import error_response
from gatehouse.http.openapi import refusals
from gatehouse.services import consents as consent_service
from gatehouse.services import grouped_writes
from gatehouse.services import notices as notice_service
from gatehouse.services import orders as order_service
from gatehouse.services import transfers as transfer_service
from gatehouse.services.policy_reading import policy_url

__all__ = ["router", "notice_out"]

router = APIRouter(prefix="/v1", tags=["gateway"])

IdPath = Annotated[str, Path(max_length=64)]
IdQuery = Annotated[str, Query(max_length=64)]


def notice_out(notice: Notice) -> NoticeOut:
    """A rendered notice as the API shows it."""
    body: dict[str, Any] = notice.body()
    return NoticeOut(
        notice_hash=notice.hash,
        kind=notice.kind,
        required=notice.required,
        carries_consent=notice.carries_consent,
        heading=notice.heading,
        locale=notice.locale,
        purpose=notice.purpose,
        flow=notice.flow,
        pack=notice.pack_id,
        recipients=list(body.get("recipients", [])),
        countries=list(notice.countries),
        fields=list(notice.fields),
        items=[NoticeItemOut(key=i.key, label=i.label, value=i.value) for i in notice.items],
        text=notice.text,
    )


def _policy_link(version: int | None) -> PolicyLinkOut | None:
    return None if version is None else PolicyLinkOut(version=version, url=policy_url(version))


@router.get("/notices/render", response_model=RenderedNoticeOut, responses=refusals(404, 410))
def render_notice(
    gh: GatehouseDep,
    _: OperatorDep,
    subject_id: IdQuery,
    purpose: Annotated[str, Query(max_length=40)],
    recipient_id: Annotated[list[str], Query(max_length=200)] = [],  # noqa: B006
    country: Annotated[list[str], Query(max_length=50)] = [],  # noqa: B006
    flow: Annotated[str, Query(max_length=20)] = "provision",
    locale: Annotated[str | None, Query(max_length=20)] = None,
) -> RenderedNoticeOut:
    """The checkout notice naming each recipient in scope, stored once by its hash, with a link
    to the privacy policy version in force (beside the notice, outside its hash)."""
    rendered = notice_service.render_with_policy(
        gh,
        notice_service.NoticeScope(
            subject_id=subject_id,
            recipient_ids=[r[:64] for r in recipient_id],
            countries=[normalise_country(c) for c in country],
            purpose=purpose,
            flow=flow,
            locale=locale,
        ),
    )
    return RenderedNoticeOut(
        **notice_out(rendered.notice).model_dump(),
        privacy_policy=_policy_link(rendered.policy_version),
    )


@router.get("/notices/{notice_hash}")
def get_notice(
    notice_hash: Annotated[str, Path(max_length=64)], gh: GatehouseDep, _: OperatorDep
) -> dict[str, Any]:
    """The exact notice a consent or disclosure points at."""
    row = notice_service.get_notice(gh, notice_hash)
    return {
        "notice_hash": row.hash,
        "kind": row.kind,
        "locale": row.locale,
        "purpose": row.purpose,
        "flow": row.flow,
        "pack": row.pack_id,
        "pack_version": row.pack_version,
        "countries": row.countries,
        "body": row.body,
        "text": row.text,
        "created_at": row.created_at,
    }


@router.post("/disclosures", status_code=201, response_model=DisclosureOut, responses=refusals(404))
def publish_disclosure(body: DisclosureIn, gh: GatehouseDep, _: OperatorDep) -> DisclosureOut:
    """Publish the overseas-transfer disclosure for entrusted processing or storage."""
    disclosure_id, notice = notice_service.publish_disclosure(
        gh,
        pack_id=body.pack,
        recipient_ids=body.recipient_ids,
        purpose=body.purpose,
        flow=body.flow,
        locale=body.locale,
    )
    return DisclosureOut(id=disclosure_id, notice=notice_out(notice))


def _consent_out(record: ConsentRecord) -> ConsentOut:
    return ConsentOut(
        id=record.id,
        subject_id=record.subject_id,
        notice_hash=record.notice_hash,
        purpose=record.purpose,
        flow=record.flow,
        required=record.required,
        granted=record.granted,
        channel=record.channel,
        at=record.at,
        recipients=sorted(record.recipients),
        withdraws=record.withdraws,
        policy_version=record.policy_version,
        policy_url=None if record.policy_version is None else policy_url(record.policy_version),
    )


@router.post(
    "/subjects/{subject_id}/consents",
    status_code=201,
    response_model=ConsentOut,
    responses=refusals(410),
)
async def record_consent(
    subject_id: IdPath, body: ConsentIn, gh: GatehouseDep, key: GroupedOperatorDep
) -> ConsentOut:
    """Record the customer's separate answer to a notice (granted must be explicit)."""
    answer = consent_service.ConsentAnswer(subject_id, body.notice_hash, body.granted, body.channel)
    return _consent_out(await grouped_writes.record_consent(gh, key, answer))


@router.get("/subjects/{subject_id}/consents", response_model=ConsentList)
def list_consents(subject_id: IdPath, gh: GatehouseDep, _: OperatorDep) -> ConsentList:
    """The customer's consents, one per notice, with their current state."""
    states = consent_service.consent_states(gh, subject_id)
    return ConsentList(
        items=[
            ConsentStateOut(
                id=s.consent_id,
                notice_hash=s.notice_hash,
                purpose=s.purpose,
                flow=s.flow,
                required=s.required,
                recipients=sorted(s.recipients),
                granted=s.granted,
                granted_at=s.granted_at,
                withdrawn_at=s.withdrawn_at,
                channel=s.channel,
                policy_version=s.policy_version,
                policy_url=None if s.policy_version is None else policy_url(s.policy_version),
            )
            for s in states
        ]
    )


@router.post(
    "/subjects/{subject_id}/consents/{consent_id}/withdraw",
    status_code=201,
    response_model=ConsentOut,
    responses=refusals(409, 410),
)
def withdraw_consent(
    subject_id: IdPath,
    consent_id: IdPath,
    gh: GatehouseDep,
    _: OperatorDep,
    body: WithdrawIn | None = None,
) -> ConsentOut:
    """Withdraw on the customer's behalf (e.g. by phone); history gains a record."""
    channel = body.channel if body else "web"
    return _consent_out(
        consent_service.withdraw_consent(gh, subject_id, consent_id, channel=channel)
    )


@router.post(
    "/orders", status_code=201, response_model=OrderCreated, responses=refusals(404, 409, 410)
)
def create_order(body: OrderIn, gh: GatehouseDep, _: OperatorDep) -> OrderCreated:
    """Register an order; its items and delivery note are encrypted in the vault."""
    order_id = order_service.create_order(
        gh,
        order_service.NewOrder(
            subject_id=body.subject_id,
            recipient_id=body.recipient_id,
            external_ref=body.external_ref,
            items=[OrderItem(i.sku, i.name, i.quantity) for i in body.items],
            delivery_note=body.delivery_note,
            customs_required=body.customs_required,
        ),
    )
    return OrderCreated(id=order_id, status="created")


@router.post(
    "/orders/{order_id}/events",
    status_code=201,
    response_model=OrderEventOut,
    responses=refusals(409),
)
def record_order_event(
    order_id: IdPath, body: OrderEventIn, gh: GatehouseDep, _: OperatorDep
) -> OrderEventOut:
    """Report shipped, delivered, purchase_confirmed or cancelled."""
    result = order_service.record_event(gh, order_id, OrderEvent(body.type))
    return OrderEventOut(order_id=result.order_id, status=result.status, at=result.at)


@router.post(
    "/orders/{order_id}/transfers",
    status_code=201,
    response_model=TransferAllowed,
    responses={
        403: {"description": "Refused: no lawful basis, or recipient/country blocked"},
        **refusals(409),
    },
)
async def request_transfer(
    order_id: IdPath, body: TransferIn, gh: GatehouseDep, key: GroupedOperatorDep
) -> TransferAllowed | JSONResponse:
    """Decide one transfer: 201 with the basis and view expiry, or 403 with the reason."""
    request = transfer_service.TransferRequest(
        order_id, body.purpose, body.flow, body.legal_provision
    )
    outcome = await grouped_writes.request_transfer(gh, key, request)
    decision = outcome.decision
    if not decision.allowed:
        assert decision.refusal is not None
        details = {"transfer_id": outcome.transfer_id, **dict(decision.details)}
        return error_response(403, decision.refusal.value, decision.message, details)
    assert decision.basis is not None and outcome.view_expires_at is not None
    return TransferAllowed(
        transfer_id=outcome.transfer_id,
        basis=decision.basis,
        notice_hash=decision.notice_hash,
        fields=outcome.fields,
        view_expires_at=outcome.view_expires_at,
    )


@router.get("/transfers", response_model=TransferPage)
def list_transfers(
    gh: GatehouseDep,
    _: OperatorDep,
    recipient_id: Annotated[str | None, Query(max_length=64)] = None,
    subject_id: Annotated[str | None, Query(max_length=64)] = None,
    country: Annotated[str | None, Query(max_length=8)] = None,
    since: IsoDateTime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> TransferPage:
    """Every decision, allowed and refused, filtered and a page at a time."""
    page, next_cursor = transfer_service.list_transfers(
        gh,
        recipient_id=recipient_id,
        subject_id=subject_id,
        country=normalise_country(country) if country else None,
        since=since,
        after=cursor,
        limit=limit,
    )
    return TransferPage(
        items=[TransferRecord.model_validate(transfer, from_attributes=True) for transfer in page],
        next_cursor=next_cursor,
    )
