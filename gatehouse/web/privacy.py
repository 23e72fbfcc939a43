"""The privacy center at ``/privacy``: the customer's own pages, Korean first.

The marketplace hands the customer a single-use link (``POST /v1/subjects/{id}/sessions``);
``/privacy/enter`` spends it for the ``gh_session`` cookie and the home page then shows, at a
glance, who has the customer's data (recipient, country, contact, items, purpose and basis),
each consent with a one-click withdrawal, the rights requests with their due dates and a form
to file one, and the account-deletion link. Deleting the account takes two clicks from home:
the link, then one confirmation on a page that says what is erased, what the law makes us
keep and until when, and that every recipient is told (:mod:`gatehouse.web.privacy_receipt`).

The home page reads the same time for a customer with ten transfers as for one with a
thousand: recipients and countries come from one grouped query, the request form offers the
newest transfers, and ``/privacy/transfers`` lists all of them a page at a time.

Every page goes through the same services as the customer API (``/v1/me``), so a page and an
API call can never disagree. Each state-changing form carries a CSRF token derived from the
session cookie. The pages need no JavaScript.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gatehouse.domain.errors import GatehouseError, NotFound, Unauthorized
from gatehouse.domain.requests import MAX_MESSAGE_CHARS
from gatehouse.http.cookies import clear_session_cookie, set_session_cookie
from gatehouse.http.deps import gatehouse_of
from gatehouse.services import customer as customer_service
from gatehouse.services import rights_requests as request_service
from gatehouse.services.consents import withdraw_consent
from gatehouse.services.customer_recipients import transfer_summary
from gatehouse.services.customer_sessions import SESSION_COOKIE, end_session, open_link
from gatehouse.services.customer_transfers import CustomerTransfer
from gatehouse.services.incident_notice import notices_for_subject
from gatehouse.services.receipts import RECEIPT_EVENT, RECEIPT_LIFETIME
from gatehouse.services.runtime import Gatehouse
from gatehouse.web import privacy_content as content
from gatehouse.web import privacy_receipt
from gatehouse.web.i18n import SUPPORTED_LOCALES
from gatehouse.web.privacy_frame import (
    DEFAULT_LOCALE,
    MAX_ID_CHARS,
    PRIVACY_PATH,
    RECEIPT_COOKIE,
    CsrfField,
    Customer,
    csrf_ok,
    customer_of,
    failure,
    locale_of,
    problem,
    redirect,
    render,
    signed_out,
    signed_out_context,
    text,
)
from gatehouse.web.zones import customer_zone

__all__ = [
    "router",
    "PRIVACY_PATH",
    "DEFAULT_LOCALE",
    "RECEIPT_COOKIE",
    "RECEIPT_LIFETIME",
    "RECEIPT_EVENT",
]

router = APIRouter(prefix=PRIVACY_PATH, include_in_schema=False)
# Where anyone reads the newest signed checkpoint and the signing key's fingerprint.
PUBLISHED_CHECKPOINT = "/.well-known/gatehouse/checkpoint"


# --- what the pages show ------------------------------------------------------------------


def _choices(
    gh: Gatehouse, subject_id: str, latest: list[CustomerTransfer], wanted: str
) -> list[CustomerTransfer]:
    """The newest transfers, and the one the customer picked from the full list if older."""
    if not wanted or len(wanted) > MAX_ID_CHARS:
        return latest
    if any(item.transfer_id == wanted for item in latest):
        return latest
    try:
        older = customer_service.transfer_of(gh, subject_id, wanted, with_proof=False)
    except NotFound:
        return latest
    return [*latest, older]


def _home(
    request: Request,
    customer: Customer,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    gh = gatehouse_of(request)
    locale = locale_of(request)
    # ``?about=`` preselects a transfer chosen on the full list of transfers.
    form = form or {"type": "", "transfer_id": request.query_params.get("about", ""), "message": ""}
    try:
        subject_row, pack = content.subject(gh, customer.subject_id)
        summary = transfer_summary(gh, customer.subject_id)
        latest = customer_service.transfers_of(
            gh, customer.subject_id, limit=content.HOME_TRANSFERS, with_proofs=False
        ).items
        choices = _choices(gh, customer.subject_id, latest, form["transfer_id"])
        consents = content.consents(gh, customer.subject_id, pack, locale)
        requests = content.requests(gh, customer.subject_id, locale)
        breaches = notices_for_subject(gh, customer.subject_id, locale)
    except GatehouseError as exc:
        return failure(request, customer, exc)
    zone = customer_zone(subject_row, pack.jurisdictions)
    by_country = summary.by_country
    context: dict[str, Any] = {
        "signed_in": True,
        "csrf_token": customer.csrf_token,
        "recipients": content.recipients(summary, pack, locale),
        "countries": content.countries(by_country, pack, locale),
        "chart": content.country_chart(by_country, pack, locale) if by_country else None,
        "transfer_total": summary.total,
        "consents": consents,
        "requests": requests,
        "request_types": [
            {"value": value, "label": text(locale, label)}
            for value, label in content.REQUEST_TYPES.items()
        ],
        "transfer_choices": content.transfer_choices(choices, pack, locale, zone),
        "transfers_listed": len(latest),
        "form": form,
        "error": error,
        "done": request.query_params.get("done"),
        "max_message": MAX_MESSAGE_CHARS,
        "request_days": pack.deadlines.rights_request_days,
        "remedies": request_service.remedies(pack, locale),
        # Breach notices (「개인정보 보호법」 제34조) the operator sent, repeated where the customer
        # looks for their data; their words are the pack's and the incident's.
        "breaches": [{"id": incident.id, "notice": notice} for incident, notice in breaches],
    }
    return render(request, "privacy/home.html", context, status=status, zone=zone)


# --- routes -------------------------------------------------------------------------------


@router.get("/enter")
def enter(request: Request, token: str = "") -> Response:
    """Spend a single-use link for the session cookie, then go to the home page."""
    gh = gatehouse_of(request)
    try:
        cookie, expires_at = open_link(gh, token)
    except Unauthorized as exc:
        # A link clicked twice (or reloaded) in the browser it signed in: just carry on.
        if exc.code == "link_used" and customer_of(request) is not None:
            return redirect(PRIVACY_PATH)
        context = signed_out_context(exc.code)
        return render(
            request, "privacy/signed_out.html", context, status=401, lang_path=PRIVACY_PATH
        )
    lang = request.query_params.get("lang")
    response = redirect(
        f"{PRIVACY_PATH}?lang={lang}" if lang in SUPPORTED_LOCALES else PRIVACY_PATH
    )
    set_session_cookie(response, cookie, expires_at - gh.clock())
    # A link opened in a browser that still holds an old receipt starts afresh.
    response.delete_cookie(RECEIPT_COOKIE, path=PRIVACY_PATH, secure=True, httponly=True)
    return response


@router.get("")
def home(request: Request) -> Response:
    """Who has my data, my consents, my requests, and the way to delete my account."""
    customer = customer_of(request)
    if customer is None:
        return signed_out(request)
    return _home(request, customer)


@router.get("/transfers")
def transfer_list(request: Request, after: str = "") -> Response:
    """Every transfer of my data, newest first, a page at a time, each one open to a request."""
    customer = customer_of(request)
    if customer is None:
        return signed_out(request)
    gh = gatehouse_of(request)
    locale = locale_of(request)
    try:
        subject_row, pack = content.subject(gh, customer.subject_id)
        page = customer_service.transfers_of(
            gh,
            customer.subject_id,
            after=after or None,
            limit=content.TRANSFER_PAGE,
            with_proofs=False,
        )
    except GatehouseError as exc:
        return failure(request, customer, exc)
    context = {
        "signed_in": True,
        "csrf_token": customer.csrf_token,
        "transfers": content.transfer_rows(page.items, pack, locale),
        "total": sum(page.by_country.values()),
        "next_cursor": page.next_cursor,
        "later_page": bool(after),
        "remedies": request_service.remedies(pack, locale),
        "published_checkpoint": PUBLISHED_CHECKPOINT,
    }
    zone = customer_zone(subject_row, pack.jurisdictions)
    return render(request, "privacy/transfers.html", context, zone=zone)


@router.get("/transfers/{transfer_id}/proof.json")
def transfer_proof(request: Request, transfer_id: str) -> Response:
    """One file to check a transfer away from Gatehouse: its ledger entry and inclusion proof,
    the signed checkpoint it is proven against and the signing key's fingerprint."""
    customer = customer_of(request)
    if customer is None:
        return signed_out(request)
    if len(transfer_id) > MAX_ID_CHARS:
        return problem(request, customer, "not_found", 404)
    try:
        item = customer_service.transfer_of(gatehouse_of(request), customer.subject_id, transfer_id)
    except GatehouseError as exc:
        return failure(request, customer, exc)
    document = {
        "transfer_id": item.transfer_id,
        "proof": item.proof_dict(),
        "published_checkpoint": PUBLISHED_CHECKPOINT,
    }
    return Response(
        json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="transfer-proof-{item.transfer_id}.json"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/consents/{consent_id}/withdraw")
def withdraw(request: Request, consent_id: str, csrf_token: CsrfField = "") -> Response:
    """Withdraw a consent in one click: later transfers stop and open views close."""
    customer = customer_of(request)
    if customer is None:
        return signed_out(request)
    if not csrf_ok(customer, csrf_token):
        return problem(request, customer, "csrf", 403)
    if len(consent_id) > MAX_ID_CHARS:
        return problem(request, customer, "not_found", 404)
    try:
        withdraw_consent(gatehouse_of(request), customer.subject_id, consent_id, channel="web")
    except GatehouseError as exc:
        return failure(request, customer, exc)
    return redirect(f"{PRIVACY_PATH}?done=withdrawn#consents")


@router.post("/requests")
def file_request(
    request: Request,
    csrf_token: CsrfField = "",
    request_type: Annotated[str, Form(alias="type")] = "",
    transfer_id: Annotated[str, Form()] = "",
    message: Annotated[str, Form()] = "",
) -> Response:
    """File a rights request or a complaint, optionally about one of my transfers."""
    customer = customer_of(request)
    if customer is None:
        return signed_out(request)
    if not csrf_ok(customer, csrf_token):
        return problem(request, customer, "csrf", 403)
    form = {"type": request_type, "transfer_id": transfer_id, "message": message}
    if request_type not in content.REQUEST_TYPES:
        return _home(request, customer, form=form, error="type", status=422)
    if not message.strip():
        return _home(request, customer, form=form, error="message", status=422)
    if len(message) > MAX_MESSAGE_CHARS:
        return _home(request, customer, form=form, error="too_long", status=422)
    if len(transfer_id) > MAX_ID_CHARS:
        return problem(request, customer, "not_found", 404)
    try:
        request_service.submit_request(
            gatehouse_of(request),
            customer.subject_id,
            request_type=request_type,
            message=message,
            transfer_id=transfer_id or None,
            channel="web",
        )
    except GatehouseError as exc:
        return failure(request, customer, exc)
    return redirect(f"{PRIVACY_PATH}?done=request#requests")


@router.post("/logout")
def logout(request: Request, csrf_token: CsrfField = "") -> Response:
    """Sign out of the privacy center on this device."""
    customer = customer_of(request)
    if customer is None:
        return signed_out(request)
    if not csrf_ok(customer, csrf_token):
        return problem(request, customer, "csrf", 403)
    end_session(gatehouse_of(request), request.cookies.get(SESSION_COOKIE))
    response = render(
        request, "privacy/signed_out.html", signed_out_context("signed_out"), status=200
    )
    clear_session_cookie(response)
    return response


# The deletion and receipt routes, before the catch-all below, which would answer them.
router.include_router(privacy_receipt.router)


@router.get("/{rest:path}")
def unknown(request: Request, rest: str) -> Response:
    """Any other privacy-center address: a 404 page in the visitor's language."""
    if not rest.strip("/"):
        return redirect(PRIVACY_PATH)
    return problem(request, customer_of(request), "not_found", 404)
