"""The operator console at ``/console``: what needs the privacy team's attention today.

One page, five panels (:mod:`gatehouse.services.console`): rights requests by due date
(flagged from day 7, marked when overdue), erasure acknowledgements still outstanding at
recipients, dead outbox jobs with a retry button, refused transfers by reason, and allowed
transfers by country with a chart.

The operator signs in with an operator API key; recipient keys are refused. The session is
server-side like the recipient portal's, but in its own table: a portal session belongs to a
recipient, a console session to an operator key. English by default (the privacy team may
sit anywhere), Korean on request.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from markupsafe import Markup

from gatehouse.domain.errors import Conflict, GatehouseError, NotFound
from gatehouse.http.deps import gatehouse_of
from gatehouse.reports.charts import Bar, bar_chart
from gatehouse.services import console as panels
from gatehouse.services.browser_sessions import CONSOLE, BrowserSession
from gatehouse.web.console_incidents import open_incidents
from gatehouse.web.i18n import N_
from gatehouse.web.sessions import LoginTexts, SignIn
from gatehouse.web.site import Site, text

__all__ = [
    "router",
    "CONSOLE_PATH",
    "SITE",
    "SIGN_IN",
    "SESSION_COOKIE",
    "LOGIN_NONCE_COOKIE",
    "CHART_BARS",
]

CONSOLE_PATH = "/console"
SESSION_COOKIE = "gh_console"
LOGIN_NONCE_COOKIE = "gh_console_login"
# The chart shows the busiest countries; the table beside it lists them all.
CHART_BARS = 25

_MAX_ID_CHARS = 64
# How the publisher names a missing policy item: "privacy_officer.phone", "x.t[rcp_1].country".
_POLICY_ITEM = re.compile(r"[a-z_]{1,40}(?:\.[a-z_]{1,40}(?:\[[A-Za-z0-9_-]{1,64}\])?){0,3}")

router = APIRouter(prefix=CONSOLE_PATH, include_in_schema=False)

CsrfField = Annotated[str, Form()]

SITE = Site(path=CONSOLE_PATH, templates="console")
SIGN_IN = SignIn(
    site=SITE,
    audience=CONSOLE,
    session_cookie=SESSION_COOKIE,
    nonce_cookie=LOGIN_NONCE_COOKIE,
    texts=LoginTexts(
        key_label=N_("Operator API key"),
        key_help=N_(
            "The key `gatehouse init` printed, or another operator key. It starts with gh_op_."
        ),
        bad_key=N_("This key was not accepted. Use an operator API key."),
    ),
)
SIGN_IN.install(router)

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
_AGENT_ITEMS = {
    "domestic_agent.name": N_("name (for a company, its name and representative)"),
    "domestic_agent.address": N_("address (for a company, its place of business)"),
    "domestic_agent.phone": N_("phone number"),
    "domestic_agent.email": N_("e-mail address"),
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
# What the problem page says about a refused retry.
_RETRY_PROBLEMS = ((NotFound, "not_found"), (Conflict, "not_dead"))


def _label(locale: str, labels: dict[str, str], code: str) -> str:
    return text(locale, labels.get(code, code))


def _requests(dashboard: panels.Dashboard, locale: str) -> list[dict[str, Any]]:
    return [
        {
            **asdict(row),
            "type": _label(locale, _REQUEST_TYPES, row.type),
            "flag": _label(locale, _DEADLINE_FLAGS, row.state),
        }
        for row in dashboard.requests
    ]


def _erasures(dashboard: panels.Dashboard, locale: str) -> list[dict[str, Any]]:
    return [
        {**asdict(row), "status_label": _label(locale, _ERASURE_STATUS, row.status)}
        for row in dashboard.erasures
    ]


def _refusals(dashboard: panels.Dashboard, locale: str) -> list[dict[str, Any]]:
    return [
        {"code": row.code, "label": _label(locale, _REFUSALS, row.code), "count": row.count}
        for row in dashboard.refusals
    ]


def _chart(dashboard: panels.Dashboard, locale: str) -> Markup | None:
    if not dashboard.countries:
        return None
    bars = [Bar(f"{row.name} ({row.code})", row.count) for row in dashboard.countries]
    bars = bars[:CHART_BARS]
    return bar_chart(
        bars,
        chart_id="console-countries",
        title=text(locale, N_("Allowed transfers by country")),
        description=", ".join(f"{bar.label} {bar.value}" for bar in bars),
    )


def _policy_item(item: str | None) -> str | None:
    """A policy item named in the query, shown only if it looks like one (no free text)."""
    if item is None or not _POLICY_ITEM.fullmatch(item):
        return None
    return item


@router.get("")
def dashboard(request: Request) -> Response:
    """The five panels."""
    session = SIGN_IN.current(request)
    if session is None:
        return SIGN_IN.to_login(request)
    locale = SITE.locale(request)
    today = panels.dashboard(gatehouse_of(request), locale)
    context: dict[str, Any] = {
        "requests": _requests(today, locale),
        "erasures": _erasures(today, locale),
        "dead_jobs": today.dead_jobs,
        "job_counts": today.job_counts,
        "refusals": _refusals(today, locale),
        "countries": today.countries,
        "chart": _chart(today, locale),
        "incidents": open_incidents(gatehouse_of(request), locale),
        "done": request.query_params.get("done"),
        "now": today.now,
        "deadlines": today.deadlines,
        "profile_set": today.profile.has_profile,
        "agent": today.profile.agent if today.profile.blocking else None,
        "policy_in_force": today.policy_in_force,
        "policy_upcoming": today.policy_upcoming,
        "policy_missing": _policy_item(request.query_params.get("policy_missing")),
        "agent_missing": [
            _label(locale, _AGENT_ITEMS, item)
            for item in (today.profile.agent.missing if today.profile.agent else ())
        ],
    }
    return SIGN_IN.page(request, session, "console/dashboard.html", context)


def _problem(
    request: Request, session: BrowserSession | None, problem: str, status: int
) -> Response:
    return SITE.problem(request, problem, status, SIGN_IN.frame(request, session))


@router.post("/jobs/{job_id}/retry")
def retry_job(request: Request, job_id: str, csrf_token: CsrfField = "") -> Response:
    """Re-queue a dead outbox job, due now, with a fresh set of attempts."""
    session = SIGN_IN.current(request)
    if session is None:
        return SIGN_IN.to_login(request)
    if not SITE.csrf_ok(session, csrf_token):
        return _problem(request, session, "csrf", 403)
    if len(job_id) > _MAX_ID_CHARS:
        return _problem(request, session, "not_found", 404)
    try:
        panels.retry_job(gatehouse_of(request), job_id)
    except GatehouseError as exc:
        frame = SIGN_IN.frame(request, session)
        return SITE.failure(request, exc, frame, kinds=_RETRY_PROBLEMS)
    return SITE.redirect(f"{CONSOLE_PATH}?done=retried#jobs")


@router.get("/{rest:path}")
def unknown(request: Request, rest: str) -> Response:
    """Any other console address: a 404 page, not a JSON error."""
    if not rest.strip("/"):
        return SITE.redirect(CONSOLE_PATH)
    return _problem(request, SIGN_IN.current(request), "not_found", 404)
