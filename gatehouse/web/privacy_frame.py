"""What every privacy-center page shares: language, rendering, the session and its refusals.

The routes live in :mod:`gatehouse.web.privacy` (home, forms, session) and
:mod:`gatehouse.web.privacy_receipt` (deletion and its receipt); both render, authenticate and
refuse through this module, so a signed-out or erased customer meets the same pages wherever
they arrive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gatehouse.domain.errors import (
    Conflict,
    GatehouseError,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from gatehouse.domain.views import ViewClosed
from gatehouse.http.cookies import clear_session_cookie
from gatehouse.http.deps import gatehouse_of
from gatehouse.http.errors import refusal
from gatehouse.services.browser_sessions import csrf_token_for
from gatehouse.services.customer_sessions import (
    IDLE_TIMEOUT,
    LINK_LIFETIME,
    SESSION_COOKIE,
    authenticate_customer,
    belongs_to_erased_subject,
)
from gatehouse.services.receipts import RECEIPT_LIFETIME, ReceiptTicket, open_ticket
from gatehouse.web.policy_page import in_force_link
from gatehouse.web.site import Site, problem_for
from gatehouse.web.site import text as site_text

__all__ = [
    "PRIVACY_PATH",
    "DEFAULT_LOCALE",
    "RECEIPT_COOKIE",
    "MAX_ID_CHARS",
    "SITE",
    "CsrfField",
    "Customer",
    "locale_of",
    "text",
    "render",
    "redirect",
    "csrf_ok",
    "customer_of",
    "receipt_ticket",
    "set_receipt_cookie",
    "gone",
    "signed_out_context",
    "signed_out",
    "problem",
    "failure",
]

PRIVACY_PATH = "/privacy"
# Korean first: the customers are Korean, and AliExpress was faulted for an English-only
# account-deletion page.
DEFAULT_LOCALE = "ko"
RECEIPT_COOKIE = "gh_receipt"
# Ids are 40 characters at most; a longer one names nothing and is not looked up.
MAX_ID_CHARS = 64
SITE = Site(PRIVACY_PATH, "privacy", default_locale=DEFAULT_LOCALE)

_CSRF_LABEL = b"gatehouse privacy csrf v1"
# The refusals a privacy-center problem page explains; a vault error is a 409 but no
# "conflict" the customer could fix, so it falls to "other".
_PROBLEM_KINDS: tuple[tuple[type[GatehouseError], str], ...] = (
    (NotFound, "not_found"),
    (Conflict, "conflict"),
    (InvalidInput, "invalid"),
)

CsrfField = Annotated[str, Form()]


# --- language and rendering ---------------------------------------------------------------


def locale_of(request: Request) -> str:
    """``?lang=``, then the remembered choice, then Korean."""
    return SITE.locale(request)


def text(locale: str, message: str) -> str:
    """A message from the catalog, as plain text (autoescaped where it is shown)."""
    return site_text(locale, message)


def render(
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
    # Every page's footer carries the remedies block once a customer's pack is known, and
    # a link to the privacy policy in force, by its permanent address.
    page = {"remedies": [], "policy_link": in_force_link(gatehouse_of(request)), **context}
    return SITE.render(request, template, page, status=status, lang_path=lang_path, zone=zone)


def redirect(url: str) -> RedirectResponse:
    """A 303 to ``url``: the browser follows a form with GET, so a reload re-posts nothing."""
    return SITE.redirect(url)


# --- the session --------------------------------------------------------------------------


@dataclass(frozen=True)
class Customer:
    """A signed-in customer as one request sees them."""

    subject_id: str
    csrf_token: str


def csrf_ok(customer: Customer, submitted: str) -> bool:
    """Whether a form carried this session's CSRF token."""
    return SITE.csrf_ok(customer, submitted)


def customer_of(request: Request) -> Customer | None:
    """The customer the request's session cookie signs in, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    try:
        principal = authenticate_customer(gatehouse_of(request), token)
    except Unauthorized:
        return None
    assert token is not None
    return Customer(principal.subject_id, csrf_token_for(token, _CSRF_LABEL))


# --- the deletion receipt's ticket ----------------------------------------------------------


def receipt_ticket(request: Request) -> ReceiptTicket | None:
    """The browser's authentic receipt ticket (see :mod:`gatehouse.services.receipts`)."""
    return open_ticket(gatehouse_of(request), request.cookies.get(RECEIPT_COOKIE))


def set_receipt_cookie(response: Response, ticket: str) -> None:
    """Hand the browser that deleted the account its ticket to the receipt."""
    SITE.set_cookie(response, RECEIPT_COOKIE, ticket, max_age=int(RECEIPT_LIFETIME.total_seconds()))


# --- refusals -----------------------------------------------------------------------------


def gone(request: Request, what: str) -> HTMLResponse:
    """410: the account (or its receipt) is gone; link the receipt while it can still be read."""
    ticket = receipt_ticket(request)
    context = {
        "what": what,
        "receipt_link": what == "account" and ticket is not None and not ticket.expired,
    }
    return render(request, "privacy/gone.html", context, status=410)


def signed_out_context(problem: str | None) -> dict[str, Any]:
    """What the signed-out page says: why (``problem``), and how to get a new link."""
    return {
        "problem": problem,
        "link_minutes": int(LINK_LIFETIME.total_seconds() // 60),
        "idle_minutes": int(IDLE_TIMEOUT.total_seconds() // 60),
    }


def signed_out(request: Request) -> HTMLResponse:
    """The page for a visitor without a live session: 410 for a deleted account, else 401."""
    token = request.cookies.get(SESSION_COOKIE)
    # The browser that deleted the account holds its receipt ticket; one that comes back with
    # the deleted account's cookie holds that: either way the account is gone, not signed out.
    gh = gatehouse_of(request)
    if receipt_ticket(request) is not None or belongs_to_erased_subject(gh, token):
        return gone(request, "account")
    context = signed_out_context("ended" if token is not None else None)
    response = render(request, "privacy/signed_out.html", context, status=401)
    if token is not None:
        clear_session_cookie(response)
    return response


def problem(request: Request, customer: Customer | None, what: str, status: int) -> HTMLResponse:
    """A problem page (``what``: csrf, not_found, conflict, invalid, other) with its status."""
    context = {"problem": what, "signed_in": customer is not None}
    if customer is not None:
        context["csrf_token"] = customer.csrf_token
    return render(request, "privacy/problem.html", context, status=status)


def failure(request: Request, customer: Customer, exc: GatehouseError) -> Response:
    """A service's refusal as a page, with the status the customer API would have used."""
    if isinstance(exc, Unauthorized):
        return signed_out(request)
    status, headers = refusal(exc)
    # 410 on a customer's own data means the account was erased (the vault shredded its key).
    if status == 410 and not isinstance(exc, ViewClosed):
        return gone(request, "account")
    response = problem(request, customer, problem_for(exc, kinds=_PROBLEM_KINDS), status)
    response.headers.update(headers)
    return response
