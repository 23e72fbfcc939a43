"""The operator console at ``/console``: what needs the privacy team's attention today.

One page, five panels: rights requests by due date (flagged from day 7, marked when overdue),
erasure acknowledgements still outstanding at recipients, dead outbox jobs with a retry
button, refused transfers by reason, and allowed transfers by country with a chart.

The operator signs in with an operator API key; recipient keys are refused. The session is
server-side like the recipient portal's, but in its own table: a portal session belongs to a
recipient, a console session to an operator key. Only the SHA-256 of the cookie's token is
stored, a revoked key ends its sessions, and every form carries a CSRF token derived from the
session token. English by default (the privacy team may sit anywhere), Korean on request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import delete, false, func, insert, select, true
from sqlalchemy import update as sql_update

from gatehouse.domain.errors import Conflict, GatehouseError, NotFound
from gatehouse.http.deps import gatehouse_of
from gatehouse.http.errors import refusal
from gatehouse.services import outbox
from gatehouse.services.access import Audience
from gatehouse.services.erasures import erasure_status, outstanding_erasures
from gatehouse.services.rights_requests import list_requests
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.tables import api_keys, recipients, transfers
from gatehouse.store.web_tables import console_sessions
from gatehouse.web.charts import Bar, bar_chart
from gatehouse.web.i18n import (
    LANG_COOKIE,
    N_,
    SUPPORTED_LOCALES,
    format_when,
    translations,
)
from gatehouse.web.rendering import environment, protect
from gatehouse.web.sessions import new_form_nonce, nonces_match, principal_for_key

__all__ = [
    "router",
    "console_sessions",
    "CONSOLE_PATH",
    "SESSION_COOKIE",
    "SESSION_LIFETIME",
    "LOGIN_NONCE_COOKIE",
    "ConsoleSession",
    "start_session",
    "find_session",
    "end_session",
]

CONSOLE_PATH = "/console"
LOGIN_PATH = f"{CONSOLE_PATH}/login"
SESSION_COOKIE = "gh_console"
LOGIN_NONCE_COOKIE = "gh_console_login"
SESSION_LIFETIME = timedelta(hours=8)
DEFAULT_LOCALE = "en"
PANEL_ROWS = 100

_YEAR = 365 * 24 * 3600
_CSRF_LABEL = b"gatehouse console csrf v1"
_MAX_TOKEN_CHARS = 128
_MAX_ID_CHARS = 64


router = APIRouter(prefix=CONSOLE_PATH, include_in_schema=False)

CsrfField = Annotated[str, Form()]

_REQUEST_TYPES = {
    "access": N_("Access"),
    "correction": N_("Correction"),
    "deletion": N_("Deletion"),
    "suspension": N_("Suspension"),
    "complaint": N_("Complaint"),
}
_DEADLINE_FLAGS = {
    "on_time": N_("On time"),
    "due_soon": N_("Day 7: answer due soon"),
    "overdue": N_("Overdue"),
}
_ERASURE_STATUS = {
    "pending": N_("Pending"),
    "overdue": N_("Overdue"),
    "acknowledged": N_("Acknowledged"),
}
_REFUSALS = {
    "no_lawful_basis": N_("No lawful basis"),
    "flow_not_permitted": N_("Flow not permitted for this kind of recipient"),
    "recipient_not_eligible": N_("Recipient not eligible"),
    "recipient_suspended": N_("Recipient suspended"),
    "country_suspended": N_("Country suspended"),
    "subject_deleted": N_("Customer deleted"),
}


# --- sessions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsoleSession:
    """A signed-in operator, as one request sees it."""

    key_id: str
    expires_at: datetime
    csrf_token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _csrf_for(token: str) -> str:
    return hmac.new(token.encode(), _CSRF_LABEL, hashlib.sha256).hexdigest()


def start_session(gh: Gatehouse, key_id: str) -> tuple[str, ConsoleSession]:
    """Open a session for an authenticated operator key; return the cookie token and session."""
    now = gh.clock()
    token = secrets.token_urlsafe(32)
    expires_at = now + SESSION_LIFETIME
    with gh.engine.begin() as connection:
        # Sign-ins are rare: a cheap moment to forget sessions that can never come back.
        connection.execute(delete(console_sessions).where(console_sessions.c.expires_at <= now))
        connection.execute(
            insert(console_sessions).values(
                token_hash=_hash(token), key_id=key_id, created_at=now, expires_at=expires_at
            )
        )
    return token, ConsoleSession(key_id, expires_at, _csrf_for(token))


def find_session(gh: Gatehouse, token: str | None) -> ConsoleSession | None:
    """The live session behind a cookie token: not revoked, not expired, its key not revoked."""
    if not token or len(token) > _MAX_TOKEN_CHARS:
        return None
    with gh.engine.connect() as connection:
        row = connection.execute(
            select(console_sessions, api_keys.c.revoked_at.label("key_revoked_at"))
            .join(api_keys, api_keys.c.id == console_sessions.c.key_id)
            .where(
                console_sessions.c.token_hash == _hash(token),
                api_keys.c.audience == Audience.OPERATOR.value,
            )
        ).first()
    if row is None or row.revoked_at is not None or row.key_revoked_at is not None:
        return None
    if row.expires_at <= gh.clock():
        return None
    return ConsoleSession(row.key_id, row.expires_at, _csrf_for(token))


def end_session(gh: Gatehouse, token: str | None) -> None:
    """Revoke the session behind ``token``; an unknown or ended one is left alone."""
    if not token or len(token) > _MAX_TOKEN_CHARS:
        return
    with gh.engine.begin() as connection:
        connection.execute(
            sql_update(console_sessions)
            .where(
                console_sessions.c.token_hash == _hash(token),
                console_sessions.c.revoked_at.is_(None),
            )
            .values(revoked_at=gh.clock())
        )


def _csrf_ok(session: ConsoleSession, submitted: str) -> bool:
    if not submitted or len(submitted) > _MAX_TOKEN_CHARS:
        return False
    return hmac.compare_digest(session.csrf_token.encode(), submitted.encode())


def _cookie_options(path: str) -> dict[str, Any]:
    return {"path": path, "secure": True, "httponly": True, "samesite": "strict"}


# --- rendering ----------------------------------------------------------------------------


def _locale(request: Request) -> str:
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in SUPPORTED_LOCALES:
            return str(candidate)
    return DEFAULT_LOCALE


def _render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    session: ConsoleSession | None,
    status: int = 200,
) -> HTMLResponse:
    locale = _locale(request)

    def when(value: datetime | None) -> str:
        return "" if value is None else format_when(value, locale)

    frame: dict[str, Any] = {
        "lang_path": request.url.path if request.method == "GET" else CONSOLE_PATH,
        "signed_in": session is not None,
        "csrf_token": session.csrf_token if session else "",
        "when": when,
    }
    html = environment(locale).get_template(template).render(**{**frame, **context})
    response = protect(HTMLResponse(html, status_code=status))
    response.headers["Content-Language"] = locale
    if request.query_params.get("lang") == locale and request.cookies.get(LANG_COOKIE) != locale:
        response.set_cookie(LANG_COOKIE, locale, max_age=_YEAR, **_cookie_options(CONSOLE_PATH))
    return response


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _problem(
    request: Request, session: ConsoleSession | None, problem: str, status: int
) -> HTMLResponse:
    return _render(
        request, "console/problem.html", {"problem": problem}, session=session, status=status
    )


def _to_login(request: Request) -> RedirectResponse:
    had_session = SESSION_COOKIE in request.cookies
    response = _redirect(f"{LOGIN_PATH}?expired=1" if had_session else LOGIN_PATH)
    if had_session:
        response.delete_cookie(SESSION_COOKIE, **_cookie_options(CONSOLE_PATH))
    return response


def _current(request: Request) -> ConsoleSession | None:
    return find_session(gatehouse_of(request), request.cookies.get(SESSION_COOKIE))


# --- the panels ---------------------------------------------------------------------------


def _text(locale: str, message: str) -> str:
    return translations(locale).gettext(message)


def _requests_panel(gh: Gatehouse, locale: str) -> list[dict[str, Any]]:
    now = gh.clock()
    page, _cursor = list_requests(gh, status="pending", limit=PANEL_ROWS)
    rows = []
    for request in page:
        state = request.deadline_state(now).value
        rows.append(
            {
                "id": request.id,
                "subject_id": request.subject_id,
                "type": _text(locale, _REQUEST_TYPES.get(request.type.value, request.type.value)),
                "transfer_id": request.transfer_id,
                "created_at": request.deadline.created_at,
                "due_at": request.deadline.due_at,
                # Whole days since it came in, as the deadline counts them (alert after 7).
                "days": (now - request.deadline.created_at).days,
                "limit": (request.deadline.due_at - request.deadline.created_at).days,
                "state": state,
                "flag": _text(locale, _DEADLINE_FLAGS[state]),
            }
        )
    return rows


def _erasures_panel(gh: Gatehouse, locale: str) -> list[dict[str, Any]]:
    now = gh.clock()
    # By due date, not by id: past PANEL_ROWS the panel must show the most overdue ones, and
    # a long overdue backlog must not crowd out the ones falling due next.
    overdue = outstanding_erasures(gh, overdue=True, limit=PANEL_ROWS)
    pending = outstanding_erasures(gh, overdue=False, limit=PANEL_ROWS)
    seen: dict[str, Any] = {}
    for row in [*overdue, *pending]:
        seen.setdefault(row.id, row)
    ids = sorted({row.recipient_id for row in seen.values()})
    with gh.engine.connect() as connection:
        names = {
            r.id: r
            for r in connection.execute(
                select(recipients.c.id, recipients.c.legal_name, recipients.c.country).where(
                    recipients.c.id.in_(ids)
                )
            )
        }
    rows = []
    for row in seen.values():
        status = erasure_status(row, now)
        recipient = names.get(row.recipient_id)
        rows.append(
            {
                "id": row.id,
                "recipient_id": row.recipient_id,
                "recipient": recipient.legal_name if recipient else row.recipient_id,
                "country": recipient.country if recipient else "",
                "order_refs": list(row.order_refs),
                "requested_at": row.requested_at,
                "due_at": row.due_at,
                "status": status,
                "status_label": _text(locale, _ERASURE_STATUS[status]),
            }
        )
    rows.sort(key=lambda r: (r["status"] != "overdue", r["due_at"], r["id"]))
    return rows


def _refusals_panel(gh: Gatehouse, locale: str) -> list[dict[str, Any]]:
    with gh.engine.connect() as connection:
        counts = connection.execute(
            select(transfers.c.refusal, func.count())
            .where(transfers.c.allowed.is_(false()))
            .group_by(transfers.c.refusal)
        ).all()
    rows = [
        {
            "code": str(code or "unknown"),
            "label": _text(locale, _REFUSALS.get(str(code), str(code))),
            "count": int(count),
        }
        for code, count in counts
    ]
    return sorted(rows, key=lambda r: (-r["count"], r["code"]))


def _countries_panel(gh: Gatehouse, locale: str) -> tuple[list[dict[str, Any]], Any]:
    with gh.engine.connect() as connection:
        counts = connection.execute(
            select(transfers.c.country, func.count())
            .where(transfers.c.allowed.is_(true()))
            .group_by(transfers.c.country)
        ).all()
    pack = gh.packs.by_id(gh.packs.ids()[0])
    ranked = sorted(
        ((str(code or "??"), int(count)) for code, count in counts), key=lambda kv: (-kv[1], kv[0])
    )
    rows: list[dict[str, Any]] = [
        {"code": code, "name": pack.country_name(code, locale) or code, "count": count}
        for code, count in ranked
    ]
    if not rows:
        return rows, None
    bars = [Bar(f"{r['name']} ({r['code']})", int(r["count"])) for r in rows[:25]]
    chart = bar_chart(
        bars,
        chart_id="console-countries",
        title=_text(locale, N_("Allowed transfers by country")),
        description=", ".join(f"{bar.label} {bar.value}" for bar in bars),
    )
    return rows, chart


# --- routes -------------------------------------------------------------------------------


def _login_page(request: Request, *, error: str | None, status: int) -> HTMLResponse:
    nonce = new_form_nonce()
    context = {
        "nonce": nonce,
        "error": error,
        "expired": request.query_params.get("expired") == "1",
        "signed_out": request.query_params.get("signed_out") == "1",
    }
    response = _render(request, "console/login.html", context, session=None, status=status)
    response.set_cookie(LOGIN_NONCE_COOKIE, nonce, max_age=3600, **_cookie_options(LOGIN_PATH))
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    """The sign-in form, asking for an operator API key."""
    if _current(request) is not None:
        return _redirect(CONSOLE_PATH)
    return _login_page(request, error=None, status=200)


@router.post("/login")
def login(
    request: Request,
    api_key: Annotated[str, Form()] = "",
    nonce: Annotated[str, Form()] = "",
) -> Response:
    """Check the key and open a session; a wrong or non-operator key gets the form with 401."""
    if not nonces_match(request.cookies.get(LOGIN_NONCE_COOKIE), nonce):
        return _login_page(request, error="form_expired", status=403)
    gh = gatehouse_of(request)
    principal = principal_for_key(gh, api_key, Audience.OPERATOR)
    if principal is None:
        return _login_page(request, error="bad_key", status=401)
    token, _session = start_session(gh, principal.key_id)
    response = _redirect(CONSOLE_PATH)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        **_cookie_options(CONSOLE_PATH),
    )
    response.delete_cookie(LOGIN_NONCE_COOKIE, **_cookie_options(LOGIN_PATH))
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: CsrfField = "") -> Response:
    """End the session for good."""
    session = _current(request)
    if session is None:
        return _to_login(request)
    if not _csrf_ok(session, csrf_token):
        return _problem(request, session, "csrf", 403)
    end_session(gatehouse_of(request), request.cookies.get(SESSION_COOKIE))
    response = _redirect(f"{LOGIN_PATH}?signed_out=1")
    response.delete_cookie(SESSION_COOKIE, **_cookie_options(CONSOLE_PATH))
    return response


@router.get("")
def dashboard(request: Request) -> Response:
    """The five panels."""
    session = _current(request)
    if session is None:
        return _to_login(request)
    gh = gatehouse_of(request)
    locale = _locale(request)
    dead, _cursor = outbox.jobs(gh, status="dead", limit=PANEL_ROWS)
    countries, chart = _countries_panel(gh, locale)
    context: dict[str, Any] = {
        "requests": _requests_panel(gh, locale),
        "erasures": _erasures_panel(gh, locale),
        "dead_jobs": dead,
        "job_counts": outbox.counts(gh),
        "refusals": _refusals_panel(gh, locale),
        "countries": countries,
        "chart": chart,
        "done": request.query_params.get("done"),
        "now": gh.clock(),
        "deadlines": gh.packs.by_id(gh.packs.ids()[0]).deadlines,
    }
    return _render(request, "console/dashboard.html", context, session=session)


@router.post("/jobs/{job_id}/retry")
def retry_job(request: Request, job_id: str, csrf_token: CsrfField = "") -> Response:
    """Re-queue a dead outbox job, due now, with a fresh set of attempts."""
    session = _current(request)
    if session is None:
        return _to_login(request)
    if not _csrf_ok(session, csrf_token):
        return _problem(request, session, "csrf", 403)
    if len(job_id) > _MAX_ID_CHARS:
        return _problem(request, session, "not_found", 404)
    try:
        outbox.retry_dead(gatehouse_of(request), job_id)
    except NotFound:
        return _problem(request, session, "not_found", 404)
    except Conflict:
        return _problem(request, session, "not_dead", 409)
    except GatehouseError as exc:
        return _problem(request, session, "other", refusal(exc)[0])
    return _redirect(f"{CONSOLE_PATH}?done=retried#jobs")


@router.get("/{rest:path}")
def unknown(request: Request, rest: str) -> Response:
    """Any other console address: a 404 page, not a JSON error."""
    if not rest.strip("/"):
        return _redirect(CONSOLE_PATH)
    return _problem(request, _current(request), "not_found", 404)
