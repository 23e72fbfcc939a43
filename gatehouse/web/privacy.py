"""The privacy center at ``/privacy``: the customer's own pages, Korean first.

The marketplace hands the customer a single-use link (``POST /v1/subjects/{id}/sessions``);
``/privacy/enter`` spends it for the ``gh_session`` cookie and the home page then shows, at a
glance, who has the customer's data (recipient, country, contact, items), each consent with a
one-click withdrawal, the rights requests with their due dates and a form to file one, and the
account-deletion link. Deleting the account takes two clicks from home: the link, then one
confirmation on a page that says what is erased, what the law makes us keep and until when,
and that every recipient is told.

Every page goes through the same services as the customer API (``/v1/me``), so a page and an
API call can never disagree. Each state-changing form carries a CSRF token derived from the
session cookie. The pages need no JavaScript.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Annotated, Any

from babel.dates import format_date
from fastapi import APIRouter, Form, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from gatehouse.domain.errors import (
    Conflict,
    GatehouseError,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from gatehouse.domain.requests import MAX_MESSAGE_CHARS
from gatehouse.http.cookies import clear_session_cookie, set_session_cookie
from gatehouse.http.deps import gatehouse_of
from gatehouse.http.errors import error_response, refusal
from gatehouse.services import customer as customer_service
from gatehouse.services import ledger
from gatehouse.services import rights_requests as request_service
from gatehouse.services.consents import withdraw_consent
from gatehouse.services.customer_sessions import (
    IDLE_TIMEOUT,
    LINK_LIFETIME,
    SESSION_COOKIE,
    authenticate_customer,
    end_session,
    open_link,
)
from gatehouse.services.recipients import get_recipient
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.customer_tables import customer_sessions
from gatehouse.store.ledger import LedgerRepository
from gatehouse.store.subjects import SubjectRepository
from gatehouse.store.tables import deletions
from gatehouse.vault import KeyShredded, VaultError, WrappedKey, new_data_key, unwrap_key, wrap_key
from gatehouse.web import privacy_content as content
from gatehouse.web.i18n import LANG_COOKIE, SUPPORTED_LOCALES, format_when, translations
from gatehouse.web.rendering import environment, protect
from gatehouse.web.zones import customer_zone

__all__ = [
    "router",
    "PRIVACY_PATH",
    "DEFAULT_LOCALE",
    "RECEIPT_COOKIE",
    "RECEIPT_LIFETIME",
    "RECEIPT_EVENT",
]

PRIVACY_PATH = "/privacy"
# Korean first: the customers are Korean, and AliExpress was faulted for an English-only
# account-deletion page.
DEFAULT_LOCALE = "ko"
RECEIPT_COOKIE = "gh_receipt"
# How long the deletion receipt stays reachable in the browser that deleted the account.
RECEIPT_LIFETIME = timedelta(minutes=15)
# Ledger kind that marks the JSON receipt as handed over: it is handed over once.
RECEIPT_EVENT = "subject.receipt_delivered"

router = APIRouter(prefix=PRIVACY_PATH, include_in_schema=False)

_YEAR = 365 * 24 * 3600
_CSRF_LABEL = b"gatehouse privacy csrf v1"
_RECEIPT_CONTEXT = "privacy-receipt"
# Session tokens are 43 characters; anything much longer is not ours and is not hashed.
_MAX_TOKEN_CHARS = 128
_MAX_ID_CHARS = 64
_MAX_RECEIPT_CHARS = 400

CsrfField = Annotated[str, Form()]


# --- language and rendering ---------------------------------------------------------------


def _locale(request: Request) -> str:
    """``?lang=``, then the remembered choice, then Korean."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in SUPPORTED_LOCALES:
            return str(candidate)
    return DEFAULT_LOCALE


def _text(locale: str, message: str) -> str:
    """A message from the catalog, as plain text (autoescaped where it is shown)."""
    return translations(locale).gettext(message)


def _helpers(locale: str, zone: tzinfo) -> dict[str, Any]:
    def when(value: datetime | None) -> str:
        return "" if value is None else format_when(value, locale, zone)

    def day(value: datetime | None) -> str:
        if value is None:
            return ""
        # The customer's own calendar day: 15:30 UTC is already tomorrow in Seoul.
        local = value.astimezone(zone) if value.tzinfo is not None else value
        return format_date(local, "long", locale=locale)

    return {"when": when, "day": day}


def _render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    lang_path: str | None = None,
    zone: tzinfo = UTC,
) -> HTMLResponse:
    """Render a privacy-center page in the request's language, remembering a chosen one.

    Times show in ``zone``, the customer's (see :mod:`gatehouse.web.zones`); pages without a
    known customer show none, and would show UTC.
    """
    locale = _locale(request)
    if lang_path is None:
        # The language links point back at this page, unless it answered a form.
        lang_path = request.url.path if request.method == "GET" else PRIVACY_PATH
    frame: dict[str, Any] = {
        "lang_path": lang_path,
        "signed_in": False,
        "csrf_token": "",
        "remedies": [],
        **_helpers(locale, zone),
    }
    html = environment(locale).get_template(template).render(**{**frame, **context})
    response = protect(HTMLResponse(html, status_code=status))
    response.headers["Content-Language"] = locale
    if request.query_params.get("lang") == locale and request.cookies.get(LANG_COOKIE) != locale:
        response.set_cookie(
            LANG_COOKIE,
            locale,
            max_age=_YEAR,
            path=PRIVACY_PATH,
            secure=True,
            httponly=True,
            samesite="lax",
        )
    return response


def _redirect(url: str) -> RedirectResponse:
    # 303: the browser follows a form with GET, so a reload re-posts nothing.
    response = RedirectResponse(url, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the session --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Customer:
    """A signed-in customer as one request sees them."""

    subject_id: str
    csrf_token: str


def _csrf_for(token: str) -> str:
    return hmac.new(token.encode(), _CSRF_LABEL, hashlib.sha256).hexdigest()


def _csrf_ok(customer: _Customer, submitted: str) -> bool:
    if not submitted or len(submitted) > _MAX_TOKEN_CHARS:
        return False
    return hmac.compare_digest(customer.csrf_token.encode(), submitted.encode())


def _customer(request: Request) -> _Customer | None:
    token = request.cookies.get(SESSION_COOKIE)
    try:
        principal = authenticate_customer(gatehouse_of(request), token)
    except Unauthorized:
        return None
    assert token is not None
    return _Customer(principal.subject_id, _csrf_for(token))


def _erased_owner(gh: Gatehouse, token: str | None) -> bool:
    """Whether a (now refused) session token belonged to a customer who deleted the account.

    The customer-session service answers only "not signed in"; a customer coming back with
    the cookie of a deleted account deserves to hear that the account is gone (410), not to
    be sent for a new link that the marketplace can no longer give.
    """
    if not token or len(token) > _MAX_TOKEN_CHARS:
        return False
    digest = hashlib.sha256(token.encode()).hexdigest()
    with gh.engine.connect() as connection:
        subject_id = connection.execute(
            select(customer_sessions.c.subject_id).where(customer_sessions.c.token_hash == digest)
        ).scalar()
        if subject_id is None:
            return False
        subject = SubjectRepository(connection).get(subject_id)
    return subject is not None and subject.deleted


def _gone(request: Request, what: str) -> HTMLResponse:
    """410: the account (or its receipt) is gone; link the receipt while it can still be read."""
    deletion_id, expired = _ticket(request)
    context = {"what": what, "receipt_link": what == "account" and deletion_id and not expired}
    return _render(request, "privacy/gone.html", context, status=410)


def _signed_out_context(problem: str | None) -> dict[str, Any]:
    """What the signed-out page says: why (``problem``), and how to get a new link."""
    return {
        "problem": problem,
        "link_minutes": int(LINK_LIFETIME.total_seconds() // 60),
        "idle_minutes": int(IDLE_TIMEOUT.total_seconds() // 60),
    }


def _signed_out(request: Request) -> HTMLResponse:
    """The page for a visitor without a live session: 410 for a deleted account, else 401."""
    token = request.cookies.get(SESSION_COOKIE)
    # The browser that deleted the account holds its receipt ticket; one that comes back with
    # the deleted account's cookie holds that: either way the account is gone, not signed out.
    if _ticket(request)[0] is not None or _erased_owner(gatehouse_of(request), token):
        return _gone(request, "account")
    context = _signed_out_context("ended" if token is not None else None)
    response = _render(request, "privacy/signed_out.html", context, status=401)
    if token is not None:
        clear_session_cookie(response)
    return response


def _problem(
    request: Request, customer: _Customer | None, problem: str, status: int
) -> HTMLResponse:
    context = {"problem": problem, "signed_in": customer is not None}
    if customer is not None:
        context["csrf_token"] = customer.csrf_token
    return _render(request, "privacy/problem.html", context, status=status)


def _failure(request: Request, customer: _Customer, exc: GatehouseError) -> Response:
    """A service's refusal as a page, with the status the customer API would have used."""
    if isinstance(exc, Unauthorized):
        return _signed_out(request)
    if isinstance(exc, KeyShredded):
        return _gone(request, "account")
    status, headers = refusal(exc)
    # The text follows the kind of refusal; a vault error is a 409 but no "conflict" to fix.
    problem = "other"
    for kind, text in ((NotFound, "not_found"), (Conflict, "conflict"), (InvalidInput, "invalid")):
        if isinstance(exc, kind):
            problem = text
    response = _problem(request, customer, problem, status)
    response.headers.update(headers)
    return response


# --- what the pages show ------------------------------------------------------------------
def _home(
    request: Request,
    customer: _Customer,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    gh = gatehouse_of(request)
    locale = _locale(request)
    try:
        subject_row, pack = content.subject(gh, customer.subject_id)
        transfers, by_country = content.all_transfers(gh, customer.subject_id)
        consents = content.consents(gh, customer.subject_id, pack, locale)
        requests = content.requests(gh, customer.subject_id, transfers, locale)
    except GatehouseError as exc:
        return _failure(request, customer, exc)
    recipients = content.recipients(transfers, pack, locale)
    zone = customer_zone(subject_row, pack.jurisdictions)
    countries = sorted(by_country.items(), key=lambda kv: (-kv[1], kv[0]))
    context: dict[str, Any] = {
        "signed_in": True,
        "csrf_token": customer.csrf_token,
        "recipients": recipients,
        "countries": [
            {"code": code, "name": content.country(pack, code, locale), "count": count}
            for code, count in countries
        ],
        "chart": content.country_chart(by_country, pack, locale) if by_country else None,
        "consents": consents,
        "requests": requests,
        "request_types": [
            {"value": value, "label": _text(locale, label)}
            for value, label in content.REQUEST_TYPES.items()
        ],
        "transfer_choices": content.transfer_choices(transfers, pack, locale, zone),
        "form": form or {"type": "", "transfer_id": "", "message": ""},
        "error": error,
        "done": request.query_params.get("done"),
        "max_message": MAX_MESSAGE_CHARS,
        "request_days": pack.deadlines.rights_request_days,
        "remedies": request_service.remedies(pack, locale),
    }
    return _render(request, "privacy/home.html", context, status=status, zone=zone)


# --- the deletion receipt ticket ----------------------------------------------------------
#
# Deleting the account ends the session, but the customer must still be able to read and
# download the receipt. The browser that deleted the account gets a ticket instead: the
# deletion id and an expiry, authenticated by the vault. The expiry and deletion id are the
# associated data of a wrapped random key, so the master key vouches for both without any
# secret of its own in the database, and a ticket altered in any byte fails to open.


def _ticket_context(deletion_id: str, expires: int) -> str:
    return f"{_RECEIPT_CONTEXT}:{deletion_id}:{expires}"


def _issue_ticket(gh: Gatehouse, deletion_id: str) -> str:
    expires = int((gh.clock() + RECEIPT_LIFETIME).timestamp())
    wrapped = wrap_key(new_data_key(), _ticket_context(deletion_id, expires), gh.keyring)
    blob = base64.urlsafe_b64encode(bytes(wrapped.blob)).decode().rstrip("=")
    return f"{deletion_id}.{expires}.{wrapped.kek_id}.{blob}"


def _ticket(request: Request) -> tuple[str | None, bool]:
    """(deletion id, expired?) of the request's receipt ticket; (None, False) when none."""
    value = request.cookies.get(RECEIPT_COOKIE)
    if not value or len(value) > _MAX_RECEIPT_CHARS:
        return None, False
    parts = value.split(".")
    if len(parts) != 4 or not parts[1].isdigit():
        return None, False
    deletion_id, expires_text, kek_id, blob = parts
    gh = gatehouse_of(request)
    try:
        raw = base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4))
        unwrap_key(
            WrappedKey(kek_id=kek_id, blob=raw),
            _ticket_context(deletion_id, int(expires_text)),
            gh.keyring,
        )
    except (VaultError, binascii.Error, ValueError):
        return None, False
    return deletion_id, int(expires_text) <= gh.clock().timestamp()


def _stored_receipt(gh: Gatehouse, deletion_id: str) -> tuple[str, dict[str, Any]] | None:
    with gh.engine.connect() as connection:
        row = connection.execute(
            select(deletions.c.subject_id, deletions.c.receipt).where(deletions.c.id == deletion_id)
        ).first()
    if row is None:
        return None
    return str(row.subject_id), dict(row.receipt)


def _receipt_delivered(gh: Gatehouse, subject_id: str, deletion_id: str) -> bool:
    with gh.engine.connect() as connection:
        entries = LedgerRepository(connection).find(kind=RECEIPT_EVENT, subject_id=subject_id)
    return any(entry.payload.get("deletion_id") == deletion_id for entry in entries)


class _AlreadyDelivered(Exception):
    """Raised inside the delivery transaction to roll it back."""


def _deliver_receipt(gh: Gatehouse, subject_id: str, deletion_id: str) -> bool:
    """Record, once, that the JSON receipt was handed over; False when it was already."""
    try:
        with gh.engine.begin() as connection:
            ledger.append(
                connection,
                kind=RECEIPT_EVENT,
                at=gh.clock(),
                subject_id=subject_id,
                recipient_id=None,
                payload={"deletion_id": deletion_id},
            )
            # Counted after our own entry, inside the transaction: of two racing downloads
            # the second sees the first (the shard head serialises them) and rolls back.
            entries = LedgerRepository(connection).find(kind=RECEIPT_EVENT, subject_id=subject_id)
            if sum(1 for e in entries if e.payload.get("deletion_id") == deletion_id) > 1:
                raise _AlreadyDelivered
    except _AlreadyDelivered:
        return False
    return True


def _receipt_page(
    request: Request, subject_id: str, receipt: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    gh = gatehouse_of(request)
    locale = _locale(request)
    with gh.engine.connect() as connection:
        subject = SubjectRepository(connection).get(subject_id)
    pack = gh.packs.by_id(subject.rule_pack if subject else gh.packs.ids()[0])
    zone = customer_zone(subject, pack.jurisdictions) if subject else UTC
    erased = [
        _text(locale, content.ERASED[item])
        if item in content.ERASED
        else content.field_label(pack, item, locale)
        for item in receipt.get("erased", [])
    ]
    # One row per kind of record: each order leaves its own records, all under the same hold.
    retained: dict[str, dict[str, Any]] = {}
    for record in receipt.get("retained", []):
        label = record.get("label") or {}
        until = datetime.fromisoformat(record["kept_until"])
        row = retained.setdefault(
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
            text = content.retained_label(pack, field, locale)
            if text not in row["fields"]:
                row["fields"].append(text)
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
        "retained": list(retained.values()),
        "notices": notices,
        "json_available": not _receipt_delivered(gh, subject_id, receipt["deletion_id"]),
        "remedies": request_service.remedies(pack, locale),
        "receipt_minutes": int(RECEIPT_LIFETIME.total_seconds() // 60),
    }
    return _render(
        request,
        "privacy/receipt.html",
        context,
        status=status,
        lang_path=f"{PRIVACY_PATH}/receipt",
        zone=zone,
    )


def _receipt_cookie(response: Response, ticket: str) -> None:
    response.set_cookie(
        RECEIPT_COOKIE,
        ticket,
        max_age=int(RECEIPT_LIFETIME.total_seconds()),
        path=PRIVACY_PATH,
        secure=True,
        httponly=True,
        samesite="strict",
    )


# --- routes -------------------------------------------------------------------------------


@router.get("/enter")
def enter(request: Request, token: str = "") -> Response:
    """Spend a single-use link for the session cookie, then go to the home page."""
    gh = gatehouse_of(request)
    try:
        cookie, expires_at = open_link(gh, token)
    except Unauthorized as exc:
        # A link clicked twice (or reloaded) in the browser it signed in: just carry on.
        if exc.code == "link_used" and _customer(request) is not None:
            return _redirect(PRIVACY_PATH)
        context = _signed_out_context(exc.code)
        return _render(
            request, "privacy/signed_out.html", context, status=401, lang_path=PRIVACY_PATH
        )
    lang = request.query_params.get("lang")
    response = _redirect(
        f"{PRIVACY_PATH}?lang={lang}" if lang in SUPPORTED_LOCALES else PRIVACY_PATH
    )
    set_session_cookie(response, cookie, expires_at - gh.clock())
    # A link opened in a browser that still holds an old receipt starts afresh.
    response.delete_cookie(RECEIPT_COOKIE, path=PRIVACY_PATH, secure=True, httponly=True)
    return response


@router.get("")
def home(request: Request) -> Response:
    """Who has my data, my consents, my requests, and the way to delete my account."""
    customer = _customer(request)
    if customer is None:
        return _signed_out(request)
    return _home(request, customer)


@router.post("/consents/{consent_id}/withdraw")
def withdraw(request: Request, consent_id: str, csrf_token: CsrfField = "") -> Response:
    """Withdraw a consent in one click: later transfers stop and open views close."""
    customer = _customer(request)
    if customer is None:
        return _signed_out(request)
    if not _csrf_ok(customer, csrf_token):
        return _problem(request, customer, "csrf", 403)
    if len(consent_id) > _MAX_ID_CHARS:
        return _problem(request, customer, "not_found", 404)
    try:
        withdraw_consent(gatehouse_of(request), customer.subject_id, consent_id, channel="web")
    except GatehouseError as exc:
        return _failure(request, customer, exc)
    return _redirect(f"{PRIVACY_PATH}?done=withdrawn#consents")


@router.post("/requests")
def file_request(
    request: Request,
    csrf_token: CsrfField = "",
    request_type: Annotated[str, Form(alias="type")] = "",
    transfer_id: Annotated[str, Form()] = "",
    message: Annotated[str, Form()] = "",
) -> Response:
    """File a rights request or a complaint, optionally about one of my transfers."""
    customer = _customer(request)
    if customer is None:
        return _signed_out(request)
    if not _csrf_ok(customer, csrf_token):
        return _problem(request, customer, "csrf", 403)
    form = {"type": request_type, "transfer_id": transfer_id, "message": message}
    if request_type not in content.REQUEST_TYPES:
        return _home(request, customer, form=form, error="type", status=422)
    if not message.strip():
        return _home(request, customer, form=form, error="message", status=422)
    if len(message) > MAX_MESSAGE_CHARS:
        return _home(request, customer, form=form, error="too_long", status=422)
    if len(transfer_id) > _MAX_ID_CHARS:
        return _problem(request, customer, "not_found", 404)
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
        return _failure(request, customer, exc)
    return _redirect(f"{PRIVACY_PATH}?done=request#requests")


@router.get("/delete")
def confirm_deletion(request: Request) -> Response:
    """The one confirmation before deletion: what goes, what the law keeps, who is told."""
    customer = _customer(request)
    if customer is None:
        return _signed_out(request)
    gh = gatehouse_of(request)
    locale = _locale(request)
    try:
        subject_row, pack = content.subject(gh, customer.subject_id)
        transfers, _by_country = content.all_transfers(gh, customer.subject_id)
        holds = content.retention_preview(gh, customer.subject_id, pack, locale)
        marketplace = content.marketplace_told(gh)
    except GatehouseError as exc:
        return _failure(request, customer, exc)
    context = {
        "signed_in": True,
        "csrf_token": customer.csrf_token,
        "erased": [content.field_label(pack, f, locale) for f in content.ERASED_FIELDS],
        "holds": holds,
        "recipients": content.recipients(transfers, pack, locale),
        "marketplace": marketplace,
        "ack_days": pack.deadlines.erasure_ack_days,
        "remedies": request_service.remedies(pack, locale),
    }
    zone = customer_zone(subject_row, pack.jurisdictions)
    return _render(request, "privacy/delete.html", context, zone=zone)


@router.post("/delete")
def delete_account(request: Request, csrf_token: CsrfField = "") -> Response:
    """Delete the account now, end the session, and show the receipt."""
    customer = _customer(request)
    if customer is None:
        # A second press of the button, or a reload, after the deletion went through.
        deletion_id, expired = _ticket(request)
        if deletion_id is not None and not expired:
            return _redirect(f"{PRIVACY_PATH}/receipt")
        return _signed_out(request)
    if not _csrf_ok(customer, csrf_token):
        return _problem(request, customer, "csrf", 403)
    gh = gatehouse_of(request)
    try:
        receipt = customer_service.delete_account(gh, customer.subject_id)
    except GatehouseError as exc:
        return _failure(request, customer, exc)
    response = _receipt_page(request, customer.subject_id, receipt)
    clear_session_cookie(response)
    _receipt_cookie(response, _issue_ticket(gh, receipt["deletion_id"]))
    return response


@router.get("/receipt")
def receipt_page(request: Request) -> Response:
    """The deletion receipt, for a short while, in the browser that deleted the account."""
    deletion_id, expired = _ticket(request)
    if deletion_id is None:
        return _signed_out(request)
    stored = None if expired else _stored_receipt(gatehouse_of(request), deletion_id)
    if stored is None:
        return _gone(request, "receipt")
    subject_id, receipt = stored
    return _receipt_page(request, subject_id, receipt)


@router.get("/receipt.json")
def receipt_json(request: Request) -> Response:
    """The deletion receipt as JSON, handed over once, right after the deletion."""
    deletion_id, expired = _ticket(request)
    gh = gatehouse_of(request)
    if deletion_id is None:
        return error_response(401, "unauthorized", "no deletion receipt belongs to this browser")
    stored = None if expired else _stored_receipt(gh, deletion_id)
    if stored is None or not _deliver_receipt(gh, stored[0], deletion_id):
        return error_response(
            410, "receipt_gone", "the receipt was downloaded already or is no longer available"
        )
    subject_id, receipt = stored
    stamp = receipt["deleted_at"][:10].replace("-", "")
    return JSONResponse(
        jsonable_encoder({"receipt": receipt}),
        headers={
            "Content-Disposition": f'attachment; filename="deletion-receipt-{stamp}.json"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/logout")
def logout(request: Request, csrf_token: CsrfField = "") -> Response:
    """Sign out of the privacy center on this device."""
    customer = _customer(request)
    if customer is None:
        return _signed_out(request)
    if not _csrf_ok(customer, csrf_token):
        return _problem(request, customer, "csrf", 403)
    end_session(gatehouse_of(request), request.cookies.get(SESSION_COOKIE))
    response = _render(
        request, "privacy/signed_out.html", _signed_out_context("signed_out"), status=200
    )
    clear_session_cookie(response)
    return response


@router.get("/{rest:path}")
def unknown(request: Request, rest: str) -> Response:
    """Any other privacy-center address: a 404 page in the visitor's language."""
    if not rest.strip("/"):
        return _redirect(PRIVACY_PATH)
    return _problem(request, _customer(request), "not_found", 404)
