"""The console's operator pages: the controller's profile as a form, and the privacy policy.

``/console/profile`` edits the operator profile (each save is a new version, as with
``PUT /v1/operator/profile``); a refused value is shown beside its field, named. The
dashboard's policy panel shows the version in force and an announced one, and
``POST /console/policy/publish`` publishes now, naming a missing item when the policy
is incomplete. Both forms carry the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.operator_profile import (
    ChannelKind,
    DomesticAgent,
    Figures,
    OperatorProfile,
    PrivacyOfficer,
    RightsChannel,
)
from gatehouse.domain.privacy_policy import PolicyIncomplete
from gatehouse.http.deps import gatehouse_of
from gatehouse.services import operator_profile as profiles
from gatehouse.services.browser_sessions import BrowserSession
from gatehouse.services.privacy_policy import publish_policy
from gatehouse.web.console import CONSOLE_PATH, SIGN_IN, SITE

__all__ = ["PROFILE_PATH", "router"]

router = APIRouter(prefix=CONSOLE_PATH, include_in_schema=False)

PROFILE_PATH = f"{CONSOLE_PATH}/profile"
_TEXT_FIELDS = (
    "legal_name",
    "address",
    "representative",
    "privacy_officer.name",
    "privacy_officer.title",
    "privacy_officer.department",
    "privacy_officer.phone",
    "privacy_officer.email",
    "channel.web",
    "channel.email",
    "channel.phone",
    "figures.total_revenue_krw",
    "figures.korean_revenue_krw",
    "figures.daily_korean_subjects",
    "domestic_agent.name",
    "domestic_agent.address",
    "domestic_agent.phone",
    "domestic_agent.email",
)
_CHECKBOXES = ("korean_establishment", "figures.pipc_requested_agent")
# A form is a few hundred characters; anything far beyond is not a person typing.
_MAX_VALUE = 2000


def _values(profile: OperatorProfile | None) -> dict[str, str]:
    """The form's values for ``profile`` (empty when none is set)."""
    if profile is None:
        return {}
    officer = profile.privacy_officer
    agent = profile.domestic_agent or DomesticAgent()
    values = {
        "legal_name": profile.legal_name,
        "address": profile.address,
        "representative": profile.representative,
        "privacy_officer.name": officer.name,
        "privacy_officer.title": officer.title,
        "privacy_officer.department": officer.department,
        "privacy_officer.phone": officer.phone,
        "privacy_officer.email": officer.email,
        "figures.total_revenue_krw": str(profile.figures.total_revenue_krw),
        "figures.korean_revenue_krw": str(profile.figures.korean_revenue_krw),
        "figures.daily_korean_subjects": str(profile.figures.daily_korean_subjects),
        "domestic_agent.name": agent.name or "",
        "domestic_agent.address": agent.address or "",
        "domestic_agent.phone": agent.phone or "",
        "domestic_agent.email": agent.email or "",
        "korean_establishment": "on" if profile.korean_establishment else "",
        "figures.pipc_requested_agent": "on" if profile.figures.pipc_requested_agent else "",
    }
    for channel in profile.rights_channels:
        values.setdefault(f"channel.{channel.kind.value}", channel.value)
    return values


def _number(values: Mapping[str, str], field: str) -> int:
    raw = values.get(field, "").replace(",", "").replace("_", "").strip()
    if not raw.isdigit():
        raise InvalidInput(f"{field}: must be a whole number", details=[{"field": field}])
    return int(raw)


def _profile(values: Mapping[str, str]) -> OperatorProfile:
    """The domain profile from the form, or InvalidInput naming the first bad field."""
    channels = tuple(
        RightsChannel(kind, values[f"channel.{kind.value}"])
        for kind in ChannelKind
        if values.get(f"channel.{kind.value}", "").strip()
    )
    agent_fields = ("name", "address", "phone", "email")
    agent = {f: values.get(f"domestic_agent.{f}", "").strip() or None for f in agent_fields}
    try:
        return OperatorProfile(
            legal_name=values.get("legal_name", ""),
            address=values.get("address", ""),
            representative=values.get("representative", ""),
            privacy_officer=PrivacyOfficer(
                *(
                    values.get(f"privacy_officer.{f}", "")
                    for f in ("name", "title", "department", "phone", "email")
                )
            ),
            rights_channels=channels,
            korean_establishment=bool(values.get("korean_establishment")),
            figures=Figures(
                _number(values, "figures.total_revenue_krw"),
                _number(values, "figures.korean_revenue_krw"),
                _number(values, "figures.daily_korean_subjects"),
                bool(values.get("figures.pipc_requested_agent")),
            ),
            domestic_agent=DomesticAgent(**agent) if any(agent.values()) else None,
        )
    except InvalidInput as exc:
        raise _on_form_field(exc, channels) from None


def _on_form_field(exc: InvalidInput, channels: tuple[RightsChannel, ...]) -> InvalidInput:
    """The error with its field named as the form names it."""
    details = exc.details if isinstance(exc.details, list) and exc.details else [{}]
    field = str(details[0].get("field", ""))
    for index, channel in enumerate(channels):
        field = field.replace(f"rights_channels[{index}].value", f"channel.{channel.kind.value}")
    if field == "rights_channels":
        field = "channel.web"
    problem = exc.message.split(": ", 1)[-1]
    return InvalidInput(problem, code=exc.code, details={"field": field})


def _form(
    request: Request,
    session: Any,
    values: Mapping[str, str],
    *,
    error: InvalidInput | None,
    saved: bool,
    status: int = 200,
) -> Response:
    current = profiles.current_profile(gatehouse_of(request))
    context = {
        "values": values,
        "error_field": error.details["field"]
        if error and isinstance(error.details, dict)
        else None,
        "error_message": error.message if error else None,
        "saved": saved,
        "version": current.version if current else None,
        "agent": current.agent if current else None,
    }
    return SIGN_IN.page(request, session, "console/profile.html", context, status=status)


async def _signed_form(request: Request) -> tuple[BrowserSession, FormData] | Response:
    """The session and the posted form, or the login redirect or the CSRF problem page."""
    session = SIGN_IN.current(request)
    if session is None:
        return SIGN_IN.to_login(request)
    form = await request.form()
    if not SITE.csrf_ok(session, str(form.get("csrf_token", ""))):
        return SITE.problem(request, "csrf", 403, SIGN_IN.frame(request, session))
    return session, form


@router.get("/profile")
def profile_form(request: Request) -> Response:
    """The operator profile as a form, filled with the current version."""
    session = SIGN_IN.current(request)
    if session is None:
        return SIGN_IN.to_login(request)
    current = profiles.current_profile(gatehouse_of(request))
    values = _values(current.profile if current else None)
    saved = request.query_params.get("done") == "saved"
    return _form(request, session, values, error=None, saved=saved)


@router.post("/profile")
async def save_profile(request: Request) -> Response:
    """Store the form as the profile's new version; a bad value is shown beside its field."""
    signed = await _signed_form(request)
    if isinstance(signed, Response):
        return signed
    session, form = signed
    values = {name: str(form.get(name, ""))[:_MAX_VALUE] for name in _TEXT_FIELDS + _CHECKBOXES}
    try:
        profile = _profile(values)
    except InvalidInput as exc:
        return _form(request, session, values, error=exc, saved=False, status=422)
    profiles.set_profile(gatehouse_of(request), profile)
    return SITE.redirect(f"{PROFILE_PATH}?done=saved")


@router.post("/policy/publish")
async def publish(request: Request) -> Response:
    """Publish the privacy policy now if it changed; an incomplete one names its item."""
    signed = await _signed_form(request)
    if isinstance(signed, Response):
        return signed
    try:
        outcome = publish_policy(gatehouse_of(request))
    except PolicyIncomplete as exc:
        return SITE.redirect(f"{CONSOLE_PATH}?policy_missing={exc.item}#policy")
    done = "policy_published" if outcome.created else "policy_unchanged"
    return SITE.redirect(f"{CONSOLE_PATH}?done={done}#policy")
