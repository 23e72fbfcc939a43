"""Recipients abroad and the rule that decides whether one may receive data at all."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from urllib.parse import urlsplit

from gatehouse.domain.contact import normalise_country, normalise_email, normalise_phone
from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.group_names import match_group_name

__all__ = [
    "RecipientKind",
    "RecipientStatus",
    "PrivacyOfficer",
    "Certification",
    "OnwardTransfer",
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
    """A certification record of the recipient, such as ISMS-P.

    It can serve as a lawful basis (Art. 28-8(1) 4) only when the rule pack lists its scheme,
    its issuer is one the scheme names, it is in force, it covers the flow, and the recipient
    recorded both the safety and rights measures (가) and the means to implement them in the
    destination country (나). Records missing any of these are kept but fit no transfer.
    """

    scheme: str
    id: str
    expires_on: date
    issuer: str | None = None
    issued_on: date | None = None
    # The flows (provision, entrustment, storage, inquiry) the certified scope covers.
    covers: tuple[str, ...] = ()
    safety_and_rights_measures: str | None = None
    implementation_measures: str | None = None

    def valid_on(self, day: date) -> bool:
        """True when ``day`` falls between issue (when known) and expiry."""
        started = self.issued_on is None or self.issued_on <= day
        return started and day <= self.expires_on

    @property
    def has_measures(self) -> bool:
        """Both the 가 and the 나 measures are on record."""
        return bool(self.safety_and_rights_measures and self.implementation_measures)


@dataclass(frozen=True)
class OnwardTransfer:
    """A party the recipient passes customers' data on to (PIPA Art. 28-11)."""

    legal_name: str
    country: str
    purpose: str
    # Field names from the rule pack's pii_fields.
    items: tuple[str, ...]


# Onward transfers a recipient may declare; a longer chain is no register entry a customer
# could read in a notice.
_MAX_ONWARD_TRANSFERS = 20


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
    onward_transfers: tuple[OnwardTransfer, ...] = ()


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


# The rule a group label breaks, named in the error so the operator knows what to fix.
_NAMING_RULE = "PIPA Art. 28-8(2) item 3"


def _own_name(name: str | None, field_name: str, group_names: Collection[str]) -> str | None:
    text = _optional_text(name, field_name, 200)
    term = match_group_name(text, group_names) if text else None
    if term is not None:
        raise InvalidInput(
            f"{field_name} '{text}' is a group name ('{term}'), not a name: each recipient must "
            f"be named by its own legal name ({_NAMING_RULE})",
            code="group_name_not_allowed",
            details={"field": field_name, "term": term, "rule": _NAMING_RULE},
        )
    return text


def _onward_transfer(
    onward: OnwardTransfer, path: str, known_fields: Collection[str], group_names: Collection[str]
) -> OnwardTransfer:
    name = _own_name(onward.legal_name, f"{path}.legal_name", group_names)
    purpose = _optional_text(onward.purpose, f"{path}.purpose", 500)
    items = tuple(dict.fromkeys(onward.items))
    if not (name and onward.country and purpose and items):
        # Art. 28-11 applies the notice items to the onward recipient, so none may be blank.
        raise InvalidInput(
            f"{path} needs a legal_name, a country, a purpose and at least one item",
            code="invalid_onward_transfer",
            details={"field": path},
        )
    unknown = sorted(set(items) - set(known_fields))
    if unknown:
        raise InvalidInput(
            f"{path}.items: unknown fields {', '.join(unknown)}",
            code="invalid_onward_transfer",
            details={"field": f"{path}.items", "unknown": unknown, "known": sorted(known_fields)},
        )
    try:
        country = normalise_country(onward.country)
    except InvalidInput as exc:
        field_name = f"{path}.country"
        raise InvalidInput(
            f"{field_name}: {exc.message}", code=exc.code, details={"field": field_name}
        ) from None
    return OnwardTransfer(name, country, purpose, items)


def _onward_transfers(
    declared: Sequence[OnwardTransfer], known_fields: Collection[str], group_names: Collection[str]
) -> tuple[OnwardTransfer, ...]:
    if len(declared) > _MAX_ONWARD_TRANSFERS:
        raise InvalidInput(
            f"at most {_MAX_ONWARD_TRANSFERS} onward transfers may be declared",
            code="invalid_onward_transfer",
            details={"field": "onward_transfers", "limit": _MAX_ONWARD_TRANSFERS},
        )
    return tuple(
        _onward_transfer(onward, f"onward_transfers[{index}]", known_fields, group_names)
        for index, onward in enumerate(declared)
    )


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
    onward_transfers: Sequence[OnwardTransfer] = (),
    known_fields: Collection[str] = (),
    group_names: Collection[str] = (),
) -> Recipient:
    """Validate and normalise a registration; incomplete entries are allowed but not eligible.

    A name that is a group label (``group_names``, matched by ``match_group_name``) is refused
    outright, for the recipient and for each onward recipient: a group is never a name.
    Onward transfers list fields from ``known_fields``.
    """
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
        legal_name=_own_name(legal_name, "legal_name", group_names),
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
        onward_transfers=_onward_transfers(onward_transfers, known_fields, group_names),
    )
