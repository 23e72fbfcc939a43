"""Bodies of the recipient register: registration, changes, and how a recipient reads back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictInt, StrictStr

from gatehouse.api.bodies import Body, ShortText, Text
from gatehouse.domain.recipients import Certification
from gatehouse.http.dates import IsoDate

__all__ = [
    "CertificationIn",
    "CertificationOut",
    "OnwardTransferIn",
    "OnwardTransferOut",
    "PrivacyOfficerIn",
    "PrivacyOfficerOut",
    "RecipientCreated",
    "RecipientIn",
    "RecipientOut",
    "RecipientPage",
    "RecipientPatch",
]


class PrivacyOfficerIn(Body):
    name: ShortText | None = None
    email: ShortText | None = None
    phone: ShortText | None = None


class CertificationIn(Body):
    """A certification record; it fits a transfer only when complete (see Certification)."""

    scheme: ShortText
    id: ShortText
    issuer: ShortText | None = None
    # JSON has no date type: an ISO 8601 string, never a number read as a timestamp.
    issued_on: IsoDate | None = None
    expires_on: IsoDate
    covers: Annotated[
        list[Literal["provision", "entrustment", "storage", "inquiry"]], Field(max_length=4)
    ] = []
    # Art. 28-8(1) 4 가 and 나: what the recipient does, described for the record.
    safety_and_rights_measures: Text | None = None
    implementation_measures: Text | None = None

    def to_domain(self) -> Certification:
        """The domain record."""
        return Certification(
            scheme=self.scheme,
            id=self.id,
            expires_on=self.expires_on,
            issuer=self.issuer,
            issued_on=self.issued_on,
            covers=tuple(dict.fromkeys(self.covers)),
            safety_and_rights_measures=self.safety_and_rights_measures,
            implementation_measures=self.implementation_measures,
        )


class OnwardTransferIn(Body):
    """A party the recipient passes the data on to (PIPA Art. 28-11)."""

    legal_name: ShortText
    country: Annotated[StrictStr, Field(max_length=10)]
    purpose: Annotated[StrictStr, Field(max_length=500)]
    # Field names from the rule pack's pii_fields.
    items: Annotated[list[Annotated[StrictStr, Field(max_length=40)]], Field(max_length=20)]


class RecipientIn(Body):
    kind: Literal["seller", "logistics", "storage", "other"]
    legal_name: ShortText | None = None
    country: Annotated[StrictStr, Field(max_length=10)] | None = None
    contact_phone: ShortText | None = None
    contact_email: ShortText | None = None
    privacy_officer: PrivacyOfficerIn = PrivacyOfficerIn()
    purposes: Annotated[list[ShortText], Field(max_length=20)] = []
    retention_days: StrictInt | None = None
    certifications: Annotated[list[CertificationIn], Field(max_length=20)] = []
    webhook_url: Text | None = None
    onward_transfers: Annotated[list[OnwardTransferIn], Field(max_length=20)] = []


class RecipientPatch(Body):
    """Fields to change; fields left out stay as they are."""

    legal_name: ShortText | None = None
    country: Annotated[StrictStr, Field(max_length=10)] | None = None
    contact_phone: ShortText | None = None
    contact_email: ShortText | None = None
    privacy_officer: PrivacyOfficerIn | None = None
    purposes: Annotated[list[ShortText], Field(max_length=20)] | None = None
    retention_days: StrictInt | None = None
    certifications: Annotated[list[CertificationIn], Field(max_length=20)] | None = None
    webhook_url: Text | None = None
    onward_transfers: Annotated[list[OnwardTransferIn], Field(max_length=20)] | None = None


class PrivacyOfficerOut(BaseModel):
    name: str | None
    email: str | None
    phone: str | None


class CertificationOut(BaseModel):
    scheme: str
    id: str
    issuer: str | None
    issued_on: date | None
    expires_on: date
    covers: list[str]
    safety_and_rights_measures: str | None
    implementation_measures: str | None

    @classmethod
    def of(cls, c: Certification) -> CertificationOut:
        """The record as the API shows it."""
        return cls(
            scheme=c.scheme,
            id=c.id,
            issuer=c.issuer,
            issued_on=c.issued_on,
            expires_on=c.expires_on,
            covers=list(c.covers),
            safety_and_rights_measures=c.safety_and_rights_measures,
            implementation_measures=c.implementation_measures,
        )


class OnwardTransferOut(BaseModel):
    legal_name: str
    country: str
    purpose: str
    items: list[str]


class RecipientOut(BaseModel):
    id: str
    kind: str
    legal_name: str | None
    country: str | None
    contact_phone: str | None
    contact_email: str | None
    privacy_officer: PrivacyOfficerOut
    purposes: list[str]
    retention_days: int | None
    certifications: list[CertificationOut]
    webhook_url: str | None
    onward_transfers: list[OnwardTransferOut]
    status: str
    suspended_reason: str | None
    country_suspended: bool
    accepted_terms_version: str | None
    eligible: bool
    missing: list[str]
    created_at: datetime
    updated_at: datetime


class RecipientCreated(RecipientOut):
    api_key: str = Field(description="Shown once; Gatehouse keeps only its hash.")
    webhook_secret: str = Field(description="Shown once; signs webhooks to this recipient.")


class RecipientPage(BaseModel):
    items: list[RecipientOut]
    next_cursor: str | None
