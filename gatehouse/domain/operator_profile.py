"""The operator's profile: who the controller is, whom to ask, and its domestic agent.

The profile is the marketplace's own business data (its legal name, its privacy officer, how
customers reach it), not a customer's personal data. Still, error messages name the field that
failed and never repeat its value, as everywhere else.

:func:`domestic_agent_requirement` decides, from the profile's figures and a rule pack's
:class:`~gatehouse.domain.policy.agent.DomesticAgentRule`, whether a domestic agent must be
named and which of its particulars are still missing.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from gatehouse.domain.contact import normalise_email, normalise_phone
from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.policy.agent import DomesticAgentRule

__all__ = [
    "AgentRequirement",
    "ChannelKind",
    "DomesticAgent",
    "Figures",
    "OperatorProfile",
    "PrivacyOfficer",
    "RightsChannel",
    "content_hash",
    "domestic_agent_requirement",
    "profile_content",
    "profile_from_content",
]

MAX_TEXT = 200
MAX_ADDRESS = 300
MAX_URL = 2000
# Sums in KRW beyond a quadrillion are a typo, not a company.
MAX_KRW = 10**18
MAX_SUBJECTS = 10**10


class ChannelKind(StrEnum):
    """How a data subject can make a rights request."""

    WEB = "web"
    EMAIL = "email"
    PHONE = "phone"


@dataclass(frozen=True)
class PrivacyOfficer:
    """The controller's privacy officer (개인정보 보호책임자)."""

    name: str
    title: str
    department: str
    phone: str
    email: str


@dataclass(frozen=True)
class RightsChannel:
    """One way to make a rights request: a web address, an e-mail address or a phone number."""

    kind: ChannelKind
    value: str


@dataclass(frozen=True)
class DomesticAgent:
    """The domestic agent as declared; any particular may still be missing (None)."""

    name: str | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Figures:
    """What the domestic-agent rule weighs, for the previous (business) year."""

    total_revenue_krw: int
    korean_revenue_krw: int
    # Average per day of Korean data subjects whose data is stored, over the rule's months.
    daily_korean_subjects: int
    # The PIPC asked for materials (Art. 63(1)) and found an agent necessary.
    pipc_requested_agent: bool = False


@dataclass(frozen=True)
class OperatorProfile:
    """The controller, as its privacy policy and the domestic-agent rule need it."""

    legal_name: str
    address: str
    representative: str
    privacy_officer: PrivacyOfficer
    rights_channels: tuple[RightsChannel, ...]
    korean_establishment: bool
    figures: Figures
    domestic_agent: DomesticAgent | None = None

    def __post_init__(self) -> None:
        _check(self)


@dataclass(frozen=True)
class AgentRequirement:
    """Whether a domestic agent is required, why, and which particulars are still missing."""

    required: bool
    article: str | None
    # Codes: total_revenue, korean_revenue, daily_subjects, pipc_request.
    reasons: tuple[str, ...]
    # Dotted field names, e.g. ``domestic_agent.phone``.
    missing: tuple[str, ...]

    @property
    def satisfied(self) -> bool:
        """True unless an agent is required and some particular is missing."""
        return not (self.required and self.missing)


def _bad(field: str, problem: str, code: str = "invalid_operator_profile") -> InvalidInput:
    details = [{"field": field, "problem": problem, "type": code}]
    return InvalidInput(f"{field}: {problem}", code=code, details=details)


def _text(value: object, field: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise _bad(field, "must be text")
    cleaned = " ".join(unicodedata.normalize("NFC", value).split())
    if not cleaned:
        raise _bad(field, "must not be empty")
    if len(cleaned) > limit:
        raise _bad(field, f"must be at most {limit} characters")
    return cleaned


def _phone(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise _bad(field, "must be text")
    try:
        return normalise_phone(value, "KR")
    except InvalidInput as exc:
        raise _bad(field, exc.message, "invalid_phone") from None


def _email(value: object, field: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise _bad(field, f"must be an e-mail address of at most {MAX_TEXT} characters")
    try:
        return normalise_email(value)
    except InvalidInput as exc:
        raise _bad(field, exc.message, "invalid_email") from None


def _web(value: object, field: str) -> str:
    url = _text(value, field, MAX_URL)
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or " " in url:
        raise _bad(field, "must be an absolute https:// address")
    return url


def _amount(value: object, field: str, limit: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= limit:
        raise _bad(field, f"must be a whole number from 0 to {limit}")
    return value


def _check(profile: OperatorProfile) -> None:
    # Normalised values are written back: the dataclass is frozen, so through object.__setattr__.
    def put(obj: object, name: str, value: object) -> None:
        object.__setattr__(obj, name, value)

    put(profile, "legal_name", _text(profile.legal_name, "legal_name"))
    put(profile, "address", _text(profile.address, "address", MAX_ADDRESS))
    put(profile, "representative", _text(profile.representative, "representative"))
    officer = profile.privacy_officer
    for name in ("name", "title", "department"):
        put(officer, name, _text(getattr(officer, name), f"privacy_officer.{name}"))
    put(officer, "phone", _phone(officer.phone, "privacy_officer.phone"))
    put(officer, "email", _email(officer.email, "privacy_officer.email"))
    if not profile.rights_channels:
        raise _bad("rights_channels", "at least one channel is required")
    channels = []
    for index, channel in enumerate(profile.rights_channels):
        field = f"rights_channels[{index}].value"
        check = {ChannelKind.WEB: _web, ChannelKind.EMAIL: _email, ChannelKind.PHONE: _phone}
        kind = ChannelKind(channel.kind)
        channels.append(RightsChannel(kind, check[kind](channel.value, field)))
    put(profile, "rights_channels", tuple(channels))
    figures = profile.figures
    put(
        figures,
        "total_revenue_krw",
        _amount(figures.total_revenue_krw, "figures.total_revenue_krw", MAX_KRW),
    )
    put(
        figures,
        "korean_revenue_krw",
        _amount(figures.korean_revenue_krw, "figures.korean_revenue_krw", MAX_KRW),
    )
    put(
        figures,
        "daily_korean_subjects",
        _amount(figures.daily_korean_subjects, "figures.daily_korean_subjects", MAX_SUBJECTS),
    )
    agent = profile.domestic_agent
    if agent is not None:
        checks = {
            "name": lambda v, f: _text(v, f),
            "address": lambda v, f: _text(v, f, MAX_ADDRESS),
            "phone": _phone,
            "email": _email,
        }
        for name, check_item in checks.items():
            value = getattr(agent, name)
            if value is not None:
                put(agent, name, check_item(value, f"domestic_agent.{name}"))


def domestic_agent_requirement(
    profile: OperatorProfile, rule: DomesticAgentRule | None
) -> AgentRequirement:
    """Whether ``profile`` must name a domestic agent under ``rule``, and what is missing.

    Each threshold is met at or above its figure (이상). A Korean place of business takes the
    controller out of the rule where the rule says so; a PIPC request brings it back in.
    """
    if rule is None:
        return AgentRequirement(False, None, (), ())
    figures = profile.figures
    reasons: list[str] = []
    if not (profile.korean_establishment and rule.establishment_exempts):
        tests = (
            ("total_revenue", rule.total_revenue_krw, figures.total_revenue_krw),
            ("korean_revenue", rule.korean_revenue_krw, figures.korean_revenue_krw),
            ("daily_subjects", rule.daily_subjects, figures.daily_korean_subjects),
        )
        reasons = [code for code, limit, value in tests if limit is not None and value >= limit]
    if figures.pipc_requested_agent:
        reasons.append("pipc_request")
    if not reasons:
        return AgentRequirement(False, rule.article, (), ())
    agent = profile.domestic_agent or DomesticAgent()
    missing = tuple(
        f"domestic_agent.{item}" for item in rule.agent_items if not getattr(agent, item, None)
    )
    return AgentRequirement(True, rule.article, tuple(reasons), missing)


def profile_content(profile: OperatorProfile) -> dict[str, Any]:
    """The profile as plain JSON values, the form it is stored and hashed in."""
    content = asdict(profile)
    content["rights_channels"] = [
        {"kind": c.kind.value, "value": c.value} for c in profile.rights_channels
    ]
    return content


def content_hash(content: Mapping[str, Any]) -> str:
    """SHA-256 of the content's canonical JSON (sorted keys, no spaces), in hex."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def profile_from_content(content: Mapping[str, Any]) -> OperatorProfile:
    """The profile back from :func:`profile_content`."""
    agent = content.get("domestic_agent")
    return OperatorProfile(
        legal_name=content["legal_name"],
        address=content["address"],
        representative=content["representative"],
        privacy_officer=PrivacyOfficer(**content["privacy_officer"]),
        rights_channels=tuple(
            RightsChannel(ChannelKind(c["kind"]), c["value"]) for c in content["rights_channels"]
        ),
        korean_establishment=content["korean_establishment"],
        figures=Figures(**content["figures"]),
        domestic_agent=DomesticAgent(**agent) if agent is not None else None,
    )
