"""Recipients abroad and the rule that decides whether one may receive data at all."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from urllib.parse import urlsplit

from gatehouse.domain.contact import normalise_country, normalise_email, normalise_phone
from gatehouse.domain.errors import InvalidInput

__all__ = [
    "RecipientKind",
    "RecipientStatus",
    "PrivacyOfficer",
    "Certification",
    "Recipient",
    "eligibility_gaps",
    "new_recipient",
]


class RecipientKind(StrEnum):
    """What the recipient does with the data; it decides which flows are plausible."""

    SELLER = "seller"
    LOGISTICS = "logistics"
    STORAGE = "storage"
    OTHER = "other"


class RecipientStatus(StrEnum):
    """Whether transfers to the recipient are switched on (Art. 28-9 kill switch)."""

    ACTIVE = "active"
    SUSPENDED = "suspended"


@dataclass(frozen=True)
class PrivacyOfficer:
    """The recipient's person in charge of personal data."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None

    @property
    def has_contact(self) -> bool:
        """A named officer that can be reached by e-mail or phone."""
        return bool(self.name) and bool(self.email or self.phone)


@dataclass(frozen=True)
class Certification:
    """A certification such as ISMS-P that can serve as a lawful basis until it expires."""

    scheme: str
    id: str
    expires_on: date

    def valid_on(self, day: date) -> bool:
        """True while the certification has not expired."""
        return day <= self.expires_on


@dataclass(frozen=True)
class Recipient:
    """A party abroad that may receive customers' data."""

    id: str
    kind: RecipientKind
    legal_name: str | None
    country: str | None
    contact_phone: str | None
    contact_email: str | None
    privacy_officer: PrivacyOfficer
    purposes: tuple[str, ...]
    retention_days: int | None
    certifications: tuple[Certification, ...]
    webhook_url: str | None
    status: RecipientStatus
    accepted_terms_version: str | None
    created_at: datetime
    updated_at: datetime
    suspended_reason: str | None = None


def eligibility_gaps(
    recipient: Recipient, current_terms_version: str | None, overdue_erasures: int = 0
) -> list[str]:
    """Name every item that keeps the recipient from being eligible (empty when eligible).

    Eligibility is about the register entry being complete (Art. 28-8(2) items and R6);
    suspension is a separate switch checked at transfer time.
    """
    gaps: list[str] = []
    if not recipient.legal_name:
        gaps.append("legal_name")
    if not recipient.country:
        gaps.append("country")
    if not (recipient.contact_phone or recipient.contact_email):
        gaps.append("contact")
    if not recipient.privacy_officer.has_contact:
        gaps.append("privacy_officer_contact")
    if current_terms_version is None:
        gaps.append("terms_published")
    elif recipient.accepted_terms_version != current_terms_version:
        gaps.append("accepted_terms")
    if overdue_erasures:
        # A recipient that ignores erasure requests gets no new data until it catches up.
        gaps.append("erasures_overdue")
    return gaps


def _optional_text(value: str | None, field_name: str, limit: int) -> str | None:
    if value is None:
        return None
    text = " ".join(value.split())
    if not text:
        return None
    if len(text) > limit:
        raise InvalidInput(
            f"{field_name} is longer than {limit} characters",
            code="invalid_field",
            details={"field": field_name},
        )
    return text


def _webhook_url(value: str | None) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or len(value) > 2000:
        raise InvalidInput(
            "webhook_url must be an absolute http(s) URL",
            code="invalid_url",
            details={"field": "webhook_url"},
        )
    return value


def new_recipient(
    *,
    recipient_id: str,
    kind: str,
    legal_name: str | None,
    country: str | None,
    contact_phone: str | None,
    contact_email: str | None,
    privacy_officer: PrivacyOfficer,
    purposes: Sequence[str],
    known_purposes: Collection[str],
    retention_days: int | None,
    certifications: Sequence[Certification],
    webhook_url: str | None,
    at: datetime,
) -> Recipient:
    """Validate and normalise a registration; incomplete entries are allowed but not eligible."""
    try:
        recipient_kind = RecipientKind(kind)
    except ValueError:
        raise InvalidInput(
            f"kind must be one of {', '.join(k.value for k in RecipientKind)}",
            code="invalid_kind",
        ) from None
    unknown = sorted(set(purposes) - set(known_purposes))
    if unknown:
        raise InvalidInput(
            f"unknown purposes: {', '.join(unknown)}",
            code="unknown_purpose",
            details={"unknown": unknown, "known": sorted(known_purposes)},
        )
    if retention_days is not None and not 1 <= retention_days <= 3650:
        raise InvalidInput("retention_days must be between 1 and 3650", code="invalid_retention")
    officer = PrivacyOfficer(
        name=_optional_text(privacy_officer.name, "privacy_officer.name", 200),
        email=normalise_email(privacy_officer.email) if privacy_officer.email else None,
        phone=normalise_phone(privacy_officer.phone) if privacy_officer.phone else None,
    )
    return Recipient(
        id=recipient_id,
        kind=recipient_kind,
        legal_name=_optional_text(legal_name, "legal_name", 200),
        country=normalise_country(country) if country else None,
        contact_phone=normalise_phone(contact_phone) if contact_phone else None,
        contact_email=normalise_email(contact_email) if contact_email else None,
        privacy_officer=officer,
        purposes=tuple(dict.fromkeys(purposes)),
        retention_days=retention_days,
        certifications=tuple(certifications),
        webhook_url=_webhook_url(webhook_url),
        status=RecipientStatus.ACTIVE,
        accepted_terms_version=None,
        created_at=at,
        updated_at=at,
    )
