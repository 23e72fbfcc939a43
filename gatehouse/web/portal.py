"""The recipient portal at ``/recipient``: sign-in, views, erasure requests, terms, webhook.

Every page goes through the same services as the recipient API, so a read in the portal is
scoped, windowed and ledgered exactly like one over the API. A session cookie replaces the
bearer key; each state-changing form carries the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from gatehouse.domain.errors import (
    GatehouseError,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from gatehouse.domain.terms import Terms
from gatehouse.domain.views import ViewClosed
from gatehouse.http.deps import gatehouse_of
from gatehouse.services.abuse import RateLimited, RateLimiter
from gatehouse.services.browser_sessions import PORTAL, BrowserSession
from gatehouse.services.erasures import acknowledge, erasure_status, list_for_recipient
from gatehouse.services.recipients import accept_terms, get_recipient
from gatehouse.services.terms import current_terms
from gatehouse.services.views import list_views, read_view
from gatehouse.services.webhooks import (
    PREVIOUS_SECRET_TTL,
    rotate_webhook_secret,
    set_webhook_url,
    webhook_settings,
)
from gatehouse.web.i18n import N_
from gatehouse.web.sessions import LoginTexts, SignIn, session_frame
from gatehouse.web.site import Site

__all__ = [
    "router",
    "PORTAL_PATH",
    "SITE",
    "SIGN_IN",
    "SESSION_COOKIE",
    "LOGIN_NONCE_COOKIE",
    "MAX_ATTESTATION_CHARS",
    "MAX_WEBHOOK_URL_CHARS",
    "PAGE_SIZE",
]

PORTAL_PATH = "/recipient"
SESSION_COOKIE = "gh_portal"
LOGIN_NONCE_COOKIE = "gh_portal_login"
PAGE_SIZE = 50
MAX_ATTESTATION_CHARS = 2000  # as the recipient API allows
MAX_WEBHOOK_URL_CHARS = 2000  # as the register stores
# Ids and cursors are at most 40 characters; a longer one names nothing and is not looked up.
_MAX_ID_CHARS = 64

router = APIRouter(prefix=PORTAL_PATH, include_in_schema=False)

CsrfField = Annotated[str, Form()]
UrlField = Annotated[str, Form()]
# Refusals whose own explanation the problem page has; others get the generic one.
_KNOWN_PROBLEMS = frozenset({"already_acknowledged", "terms_not_current"})


def _frame(request: Request, session: BrowserSession | None) -> Mapping[str, Any]:
    """What the frame needs: who is signed in, the CSRF token, and the section shown."""
    frame: dict[str, Any] = {**session_frame(request, session), "section": None}
    if session is not None:
        frame["recipient"] = get_recipient(gatehouse_of(request), session.recipient).recipient
    return frame


SITE = Site(path=PORTAL_PATH, templates="portal")
SIGN_IN = SignIn(
    site=SITE,
    audience=PORTAL,
    session_cookie=SESSION_COOKIE,
    nonce_cookie=LOGIN_NONCE_COOKIE,
    texts=LoginTexts(
        key_label=N_("Recipient API key"),
        key_help=N_(
            "The key Gatehouse issued to your company when it was registered. "
            "It starts with gh_rk_."
        ),
        bad_key=N_(
            "This key was not accepted. Check that you entered your company's recipient API key."
        ),
    ),
    frame=_frame,
)


def _signed_in(request: Request) -> BrowserSession | Response:
    """The live session, or the response that replaces the page: sign-in, or 429.

    Portal pages spend from the same per-key budget as the recipient API, so the portal is
    no way around its rate limit.
    """
    session = SIGN_IN.current(request)
    if session is None:
        return SIGN_IN.to_login(request)
    limiter: RateLimiter = request.app.state.rate_limiter
    try:
        limiter.check(gatehouse_of(request), session.key_id)
    except RateLimited as exc:
        response = _problem(request, session, "rate_limited", 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return session


SIGN_IN.install(router, guard=_signed_in)


def _cursor(value: str | None) -> str | None:
    return value if value and len(value) <= _MAX_ID_CHARS else None


def _page(
    request: Request,
    session: BrowserSession | None,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HTMLResponse:
    """Render a portal page (``portal/<template>``) with the session's frame."""
    return SIGN_IN.page(request, session, f"portal/{template}", context, status=status)


def _problem(
    request: Request, session: BrowserSession | None, problem: str, status: int
) -> HTMLResponse:
    """An error page; ``problem`` picks its text in ``portal/problem.html``."""
    context = {**_frame(request, session), "max_attestation": MAX_ATTESTATION_CHARS}
    return SITE.problem(request, problem, status, context)


def _failure(request: Request, session: BrowserSession, exc: GatehouseError) -> Response:
    """Map a service's refusal to a page with the status the API would have used."""
    if isinstance(exc, Unauthorized):
        return SIGN_IN.to_login(request)
    context = {**_frame(request, session), "max_attestation": MAX_ATTESTATION_CHARS}
    return SITE.failure(request, exc, context, known=_KNOWN_PROBLEMS)


# --- views --------------------------------------------------------------------------------


def _terms_pending(request: Request, session: BrowserSession) -> bool:
    gh = gatehouse_of(request)
    try:
        terms = current_terms(gh)
    except NotFound:
        return False
    return get_recipient(gh, session.recipient).recipient.accepted_terms_version != terms.version


@router.get("")
def dashboard(request: Request, after: str | None = None) -> Response:
    """The open views, a page at a time, with reminders of erasures and terms to act on."""
    session = _signed_in(request)
    if not isinstance(session, BrowserSession):
        return session
    gh = gatehouse_of(request)
    views, next_cursor = list_views(
        gh, session.recipient, only_open=True, after=_cursor(after), limit=PAGE_SIZE
    )
    pending, _ = list_for_recipient(gh, session.recipient, status="pending", after=None, limit=1)
    context: dict[str, Any] = {
        "section": "views",
        "views": views,
        "next_cursor": next_cursor,
        "erasures_pending": bool(pending),
        "terms_pending": _terms_pending(request, session),
    }
    return _page(request, session, "dashboard.html", context)


@router.get("/transfers/{transfer_id}")
def transfer(request: Request, transfer_id: str) -> Response:
    """One view, read through ``read_view`` so the read is ledgered; 410 once it is closed."""
    session = _signed_in(request)
    if not isinstance(session, BrowserSession):
        return session
    if len(transfer_id) > _MAX_ID_CHARS:
        return _problem(request, session, "not_found", 404)
    try:
        view = read_view(gatehouse_of(request), session.recipient, transfer_id)
    except ViewClosed as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        closed = {"section": "views", "reason": str(details.get("reason", ""))}
        return _page(request, session, "closed.html", closed, status=410)
    except GatehouseError as exc:
        return _failure(request, session, exc)
    context: dict[str, Any] = {"section": "views", "view": view, "fields": view.recipient_fields}
    return _page(request, session, "transfer.html", context)


# --- erasure requests ---------------------------------------------------------------------


@router.get("/erasures")
def erasures(request: Request, after: str | None = None) -> Response:
    """The recipient's erasure requests with status and due date; pending ones can be confirmed."""
    session = _signed_in(request)
    if not isinstance(session, BrowserSession):
        return session
    gh = gatehouse_of(request)
    rows, next_cursor = list_for_recipient(
        gh, session.recipient, status=None, after=_cursor(after), limit=PAGE_SIZE
    )
    now = gh.clock()
    items = [{"row": row, "status": erasure_status(row, now)} for row in rows]
    context: dict[str, Any] = {
        "section": "erasures",
        "erasures": items,
        "next_cursor": next_cursor,
        "done": request.query_params.get("done") == "acknowledged",
        "max_attestation": MAX_ATTESTATION_CHARS,
    }
    return _page(request, session, "erasures.html", context)


@router.post("/erasures/{erasure_id}/ack")
def acknowledge_erasure(
    request: Request,
    erasure_id: str,
    csrf_token: CsrfField = "",
    attestation: Annotated[str, Form()] = "",
) -> Response:
    """Confirm that the data named by an erasure request is erased, with an optional statement."""
    session = _signed_in(request)
    if not isinstance(session, BrowserSession):
        return session
    if not SITE.csrf_ok(session, csrf_token):
        return _problem(request, session, "csrf", 403)
    if len(erasure_id) > _MAX_ID_CHARS:
        return _problem(request, session, "not_found", 404)
    if len(attestation) > MAX_ATTESTATION_CHARS:
        return _problem(request, session, "attestation_too_long", 422)
    try:
        acknowledge(gatehouse_of(request), session.recipient, erasure_id, attestation or None)
    except GatehouseError as exc:
        return _failure(request, session, exc)
    return SITE.redirect(f"{PORTAL_PATH}/erasures?done=acknowledged")


# --- terms and webhook --------------------------------------------------------------------


@router.get("/terms")
def terms(request: Request) -> Response:
    """The current data-protection terms, with an Accept form until they are accepted."""
    session = _signed_in(request)
    if not isinstance(session, BrowserSession):
        return session
    gh = gatehouse_of(request)
    current: Terms | None
    try:
        current = current_terms(gh)
    except NotFound:
        current = None
    accepted_version = get_recipient(gh, session.recipient).recipient.accepted_terms_version
    context: dict[str, Any] = {
        "section": "terms",
        "terms": current,
        "accepted": current is not None and accepted_version == current.version,
        "done": request.query_params.get("done") == "accepted",
    }
    return _page(request, session, "terms.html", context)


@router.post("/terms/{version}/accept")
def accept(request: Request, version: str, csrf_token: CsrfField = "") -> Response:
    """Accept the current terms version with the signed-in recipient's authority."""
    session = _signed_in(request)
    if not isinstance(session, BrowserSession):
        return session
    if not SITE.csrf_ok(session, csrf_token):
        return _problem(request, session, "csrf", 403)
    if len(version) > _MAX_ID_CHARS:
        return _problem(request, session, "not_found", 404)
    try:
        accept_terms(gatehouse_of(request), session.recipient, version)
    except GatehouseError as exc:
        return _failure(request, session, exc)
    return SITE.redirect(f"{PORTAL_PATH}/terms?done=accepted")


def _webhook_page(
    request: Request,
    session: BrowserSession,
    *,
    new_secret: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    settings = webhook_settings(gatehouse_of(request), session.recipient)
    context: dict[str, Any] = {
        "section": "webhook",
        "webhook": settings,
        "new_secret": new_secret,
        "error": error,
        "done": request.query_params.get("done") == "saved",
        "max_url": MAX_WEBHOOK_URL_CHARS,
        "grace_hours": int(PREVIOUS_SECRET_TTL.total_seconds() // 3600),
    }
    return _page(request, session, "webhook.html", context, status=status)


@router.get("/webhook")
def webhook(request: Request) -> Response:
    """Where webhooks (erasure notices among them) are delivered, with forms to change it."""
    session = _signed_in(request)
    if not isinstance(session, BrowserSession):
        return session
    return _webhook_page(request, session)


@router.post("/webhook")
def save_webhook(request: Request, csrf_token: CsrfField = "", url: UrlField = "") -> Response:
    """Point webhooks at a new absolute http(s) URL; an empty field stops them."""
    session = _signed_in(request)
    if not isinstance(session, BrowserSession):
        return session
    if not SITE.csrf_ok(session, csrf_token):
        return _problem(request, session, "csrf", 403)
    try:
        set_webhook_url(gatehouse_of(request), session.recipient, url.strip() or None)
    except InvalidInput:
        return _webhook_page(request, session, error="invalid_url", status=422)
    except GatehouseError as exc:
        return _failure(request, session, exc)
    return SITE.redirect(f"{PORTAL_PATH}/webhook?done=saved")


@router.post("/webhook/rotate")
def rotate_webhook(request: Request, csrf_token: CsrfField = "") -> Response:
    """A new signing secret, shown on this one response and never again."""
    session = _signed_in(request)
    if not isinstance(session, BrowserSession):
        return session
    if not SITE.csrf_ok(session, csrf_token):
        return _problem(request, session, "csrf", 403)
    try:
        secret = rotate_webhook_secret(gatehouse_of(request), session.recipient)
    except GatehouseError as exc:
        return _failure(request, session, exc)
    # Rendered, not redirected: the secret must not travel in a URL or be stored for a redirect.
    return _webhook_page(request, session, new_secret=secret)


@router.get("/{rest:path}")
def unknown(request: Request, rest: str) -> Response:
    """Any other portal address: a 404 page in the visitor's language, not a JSON error."""
    if not rest.strip("/"):
        return SITE.redirect(PORTAL_PATH)
    return _problem(request, SIGN_IN.current(request), "not_found", 404)
