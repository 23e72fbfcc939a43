"""Subjects (customers): the validated PII a subject is created with, and its masked form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gatehouse.domain.contact import (
    RoadAddress,
    normalise_country,
    normalise_customs_code,
    normalise_email,
    normalise_kr_mobile,
    normalise_locale,
    normalise_person_name,
    normalise_road_address,
)
from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.masking import (
    mask_address,
    mask_customs_code,
    mask_email,
    mask_name,
    mask_phone,
    mask_postal_code,
)

__all__ = [
    "Subject",
    "SubjectPII",
    "mask_pii",
    "unmasked_pii",
    "validate_residence",
    "validate_subject_pii",
]


@dataclass(frozen=True)
class SubjectPII:
    """A subject's personal data, normalised. It only ever lives in the vault."""

    external_ref: str
    name: str
    email: str
    phone: str
    address: RoadAddress
    customs_code: str | None

    def as_fields(self) -> dict[str, str]:
        """The vault's field map; absent optional values are left out, not stored empty."""
        fields = {
            "external_ref": self.external_ref,
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "address_postal_code": self.address.postal_code,
            "address_line1": self.address.line1,
        }
        if self.address.line2:
            fields["address_line2"] = self.address.line2
        if self.customs_code:
            fields["customs_code"] = self.customs_code
        return fields

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> SubjectPII:
        """Rebuild from the vault's field map."""
        return cls(
            external_ref=fields["external_ref"],
            name=fields["name"],
            email=fields["email"],
            phone=fields["phone"],
            address=RoadAddress(
                postal_code=fields["address_postal_code"],
                line1=fields["address_line1"],
                line2=fields.get("address_line2"),
            ),
            customs_code=fields.get("customs_code"),
        )


@dataclass(frozen=True)
class Subject:
    """A customer as the registry knows it, without PII."""

    id: str
    residence_country: str
    locale: str
    rule_pack: str
    created_at: datetime
    deleted_at: datetime | None

    @property
    def deleted(self) -> bool:
        """True once the subject's data key has been shredded."""
        return self.deleted_at is not None


def validate_subject_pii(
    *,
    external_ref: str,
    name: str,
    email: str,
    phone: str,
    postal_code: str,
    line1: str,
    line2: str | None,
    customs_code: str | None,
) -> SubjectPII:
    """Normalise every field, raising ``InvalidInput`` on the first bad one."""
    ref = external_ref.strip()
    if not ref or len(ref) > 200:
        raise InvalidInput("external_ref must be 1 to 200 characters", code="invalid_external_ref")
    return SubjectPII(
        external_ref=ref,
        name=normalise_person_name(name),
        email=normalise_email(email),
        phone=normalise_kr_mobile(phone),
        address=normalise_road_address(postal_code, line1, line2),
        customs_code=normalise_customs_code(customs_code) if customs_code else None,
    )


def validate_residence(residence_country: str, locale: str) -> tuple[str, str]:
    """Normalise the country that selects the rule pack, and the subject's locale."""
    return normalise_country(residence_country), normalise_locale(locale)


def mask_pii(pii: SubjectPII) -> dict[str, object]:
    """The operator's default view: enough to recognise a customer, not to contact one."""
    return {
        "external_ref": pii.external_ref,
        "name": mask_name(pii.name),
        "email": mask_email(pii.email),
        "phone": mask_phone(pii.phone),
        "address": {
            "postal_code": mask_postal_code(pii.address.postal_code),
            "line1": mask_address(pii.address.line1),
            "line2": "***" if pii.address.line2 else None,
        },
        "customs_code": mask_customs_code(pii.customs_code) if pii.customs_code else None,
    }


def unmasked_pii(pii: SubjectPII) -> dict[str, object]:
    """The full view, only for a read with a stated, recorded reason."""
    return {
        "external_ref": pii.external_ref,
        "name": pii.name,
        "email": pii.email,
        "phone": pii.phone,
        "address": {
            "postal_code": pii.address.postal_code,
            "line1": pii.address.line1,
            "line2": pii.address.line2,
        },
        "customs_code": pii.customs_code,
    }
