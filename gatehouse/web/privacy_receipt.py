"""Deleting the account from the privacy center, and the receipt that follows.

``GET /privacy/delete`` is the one confirmation: what is erased and where, what the law makes
us keep and until when (the deletion engine's own dates), and who is told. ``POST`` deletes,
ends the session and answers with the receipt; the browser keeps a short-lived ticket to read
it again (``/privacy/receipt``) and to download it once as JSON (``/privacy/receipt.json``).
The router is mounted under ``/privacy`` by :mod:`gatehouse.web.privacy`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, Response

from gatehouse.domain.errors import GatehouseError, NotFound
from gatehouse.domain.policy import RulePack
from gatehouse.http.cookies import clear_session_cookie
from gatehouse.http.deps import gatehouse_of
from gatehouse.http.errors import error_response
from gatehouse.services import customer as customer_service
from gatehouse.services import rights_requests as request_service
from gatehouse.services.customer_recipients import transfer_summary
from gatehouse.services.receipts import (
    RECEIPT_LIFETIME,
    StoredReceipt,
    deliver_receipt,
    issue_ticket,
    stored_receipt,
)
from gatehouse.services.recipients import get_recipient
from gatehouse.services.retention import retention_preview
from gatehouse.web import privacy_content as content
from gatehouse.web.privacy_frame import (
    PRIVACY_PATH,
    CsrfField,
    csrf_ok,
    customer_of,
    failure,
    gone,
    locale_of,
    problem,
    receipt_ticket,
    redirect,
    render,
    set_receipt_cookie,
    signed_out,
    text,
)
from gatehouse.web.zones import customer_zone

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _retained(receipt: dict[str, Any], pack: RulePack, locale: str) -> list[dict[str, Any]]:
    """One row per kind of record: each order leaves its own records, all under the same hold."""
    rows: dict[str, dict[str, Any]] = {}
    for record in receipt.get("retained", []):
        label = record.get("label") or {}
        until = datetime.fromisoformat(record["kept_until"])
        row = rows.setdefault(
            record["hold"],
            {
                "label": label.get(locale) or label.get(pack.required_language) or record["hold"],
                "statute": content.statute(record.get("statute", "")),
                "until": until,
                "count": 0,
                "fields": [],
            },
        )
        row["count"] += 1
        row["until"] = max(row["until"], until)
        for field in record.get("fields", []):
            label_text = content.retained_label(pack, field, locale)
            if label_text not in row["fields"]:
                row["fields"].append(label_text)
    return list(rows.values())


def _receipt_page(request: Request, stored: StoredReceipt, *, status: int = 200) -> HTMLResponse:
    gh = gatehouse_of(request)
    locale = locale_of(request)
    receipt = stored.document
    pack = gh.packs.by_id(stored.subject.rule_pack)
    zone = customer_zone(stored.subject, pack.jurisdictions)
    erased = [
        text(locale, content.ERASED[item])
        if item in content.ERASED
        else content.field_label(pack, item, locale)
        for item in receipt.get("erased", [])
    ]
    notices = []
    for notice in receipt.get("erasure_notices", []):
        try:
            standing = get_recipient(gh, notice["recipient_id"])
            name = standing.recipient.legal_name
            country = content.country(pack, standing.recipient.country, locale)
        except NotFound:
            name, country = notice["recipient_id"], "?"
        notices.append(
            {"name": name, "country": country, "due_at": datetime.fromisoformat(notice["due_at"])}
        )
    context = {
        "receipt": receipt,
        "deleted_at": datetime.fromisoformat(receipt["deleted_at"]),
        "erased": erased,
        "retained": _retained(receipt, pack, locale),
        "notices": notices,
        "json_available": not stored.delivered,
        "remedies": request_service.remedies(pack, locale),
        "receipt_minutes": int(RECEIPT_LIFETIME.total_seconds() // 60),
    }
    return render(
        request,
        "privacy/receipt.html",
        context,
        status=status,
        lang_path=f"{PRIVACY_PATH}/receipt",
        zone=zone,
    )


@router.get("/delete")
def confirm_deletion(request: Request) -> Response:
    """The one confirmation before deletion: what goes, what the law keeps, who is told."""
    customer = customer_of(request)
    if customer is None:
        return signed_out(request)
    gh = gatehouse_of(request)
    locale = locale_of(request)
    try:
        subject_row, pack = content.subject(gh, customer.subject_id)
        summary = transfer_summary(gh, customer.subject_id)
        preview = retention_preview(gh, customer.subject_id)
        marketplace = content.marketplace_told(gh)
    except GatehouseError as exc:
        return failure(request, customer, exc)
    context = {
        "signed_in": True,
        "csrf_token": customer.csrf_token,
        "erased": [content.field_label(pack, f, locale) for f in content.ERASED_FIELDS],
        "holds": content.holds(preview, pack, locale),
        "recipients": content.recipients(summary, pack, locale),
        "marketplace": marketplace,
        "ack_days": pack.deadlines.erasure_ack_days,
        "remedies": request_service.remedies(pack, locale),
    }
    zone = customer_zone(subject_row, pack.jurisdictions)
    return render(request, "privacy/delete.html", context, zone=zone)


@router.post("/delete")
def delete_account(request: Request, csrf_token: CsrfField = "") -> Response:
    """Delete the account now, end the session, and show the receipt."""
    customer = customer_of(request)
    if customer is None:
        # A second press of the button, or a reload, after the deletion went through.
        ticket = receipt_ticket(request)
        if ticket is not None and not ticket.expired:
            return redirect(f"{PRIVACY_PATH}/receipt")
        return signed_out(request)
    if not csrf_ok(customer, csrf_token):
        return problem(request, customer, "csrf", 403)
    gh = gatehouse_of(request)
    try:
        receipt = customer_service.delete_account(gh, customer.subject_id)
    except GatehouseError as exc:
        return failure(request, customer, exc)
    stored = stored_receipt(gh, receipt.deletion_id)
    # Written in the deletion's own transaction, so it is there; a page, not a crash, if not.
    response = gone(request, "receipt") if stored is None else _receipt_page(request, stored)
    clear_session_cookie(response)
    set_receipt_cookie(response, issue_ticket(gh, receipt.deletion_id))
    return response


@router.get("/receipt")
def receipt_page(request: Request) -> Response:
    """The deletion receipt, for a short while, in the browser that deleted the account."""
    ticket = receipt_ticket(request)
    if ticket is None:
        return signed_out(request)
    stored = None if ticket.expired else stored_receipt(gatehouse_of(request), ticket.deletion_id)
    if stored is None:
        return gone(request, "receipt")
    return _receipt_page(request, stored)


@router.get("/receipt.json")
def receipt_json(request: Request) -> Response:
    """The deletion receipt as JSON, handed over once, right after the deletion."""
    ticket = receipt_ticket(request)
    gh = gatehouse_of(request)
    if ticket is None:
        return error_response(401, "unauthorized", "no deletion receipt belongs to this browser")
    stored = None if ticket.expired else stored_receipt(gh, ticket.deletion_id)
    if stored is None or not deliver_receipt(gh, stored.subject.id, stored.deletion_id):
        return error_response(
            410, "receipt_gone", "the receipt was downloaded already or is no longer available"
        )
    receipt = stored.document
    stamp = receipt["deleted_at"][:10].replace("-", "")
    return JSONResponse(
        jsonable_encoder({"receipt": receipt}),
        headers={
            "Content-Disposition": f'attachment; filename="deletion-receipt-{stamp}.json"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
