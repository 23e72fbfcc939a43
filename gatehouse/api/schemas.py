"""Request and response bodies. Strict types: "5" is not an integer and 1 is not a string."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

__all__ = [
    "Body",
    "PrivacyOfficerIn",
    "CertificationIn",
    "RecipientIn",
    "RecipientOut",
    "RecipientCreated",
    "RecipientPage",
    "TermsIn",
    "TermsOut",
    "AddressIn",
    "SubjectIn",
    "SubjectCreated",
    "SubjectOut",
    "SubjectMatches",
    "SuspendIn",
    "CountryStatusOut",
]

Text = Annotated[StrictStr, Field(max_length=2000)]
ShortText = Annotated[StrictStr, Field(max_length=200)]


class Body(BaseModel):
    """Base for request bodies: unknown fields are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", strict=True)


class PrivacyOfficerIn(Body):
    name: ShortText | None = None
    email: ShortText | None = None
    phone: ShortText | None = None


class CertificationIn(Body):
    scheme: ShortText
    id: ShortText
    # JSON has no date type, so the ISO string is parsed here despite strict mode.
    expires_on: Annotated[date, Field(strict=False)]


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


class PrivacyOfficerOut(BaseModel):
    name: str | None
    email: str | None
    phone: str | None


class CertificationOut(BaseModel):
    scheme: str
    id: str
    expires_on: date


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


class TermsClausesIn(Body):
    safety_measures: Text | None = None
    complaint_handling: Text | None = None
    purpose_limitation: Text | None = None
    deletion: Text | None = None
    onward_transfer: Text | None = None


class TermsIn(Body):
    version: Annotated[StrictStr, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")]
    clauses: TermsClausesIn


class TermsOut(BaseModel):
    version: str
    clauses: dict[str, str]
    published_at: datetime


class AddressIn(Body):
    postal_code: ShortText
    line1: ShortText
    line2: ShortText | None = None


class SubjectIn(Body):
    external_ref: ShortText
    name: ShortText
    email: ShortText
    phone: ShortText
    address: AddressIn
    customs_code: ShortText | None = None
    residence_country: Annotated[StrictStr, Field(max_length=10)]
    locale: Annotated[StrictStr, Field(max_length=20)] = "ko-KR"


class SubjectCreated(BaseModel):
    id: str


class SubjectOut(BaseModel):
    id: str
    residence_country: str
    locale: str
    rule_pack: str
    created_at: datetime
    deleted: bool
    masked: bool
    pii: dict[str, object] | None


class SubjectMatches(BaseModel):
    items: list[SubjectCreated]
    next_cursor: str | None = None


class SuspendIn(Body):
    reason: Annotated[StrictStr, Field(max_length=500)] | None = None


class CountryStatusOut(BaseModel):
    country: str
    status: str
    changed: bool
    reason: str | None = None


class AcceptedOut(BaseModel):
    recipient_id: str
    accepted_terms_version: str | None
    eligible: bool
    missing: list[str]
