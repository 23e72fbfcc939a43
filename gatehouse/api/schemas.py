"""Request and response bodies. Strict types: "5" is not an integer and 1 is not a string.

The recipient register's bodies live in ``registry_schemas`` and are re-exported here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StrictInt, StrictStr

from gatehouse.api.bodies import Body, ShortText, Text
from gatehouse.api.registry_schemas import (
    CertificationIn,
    CertificationOut,
    OnwardTransferIn,
    OnwardTransferOut,
    PrivacyOfficerIn,
    PrivacyOfficerOut,
    RecipientCreated,
    RecipientIn,
    RecipientOut,
    RecipientPage,
    RecipientPatch,
)

__all__ = [
    "Body",
    "PrivacyOfficerIn",
    "CertificationIn",
    "OnwardTransferIn",
    "RecipientIn",
    "RecipientPatch",
    "PrivacyOfficerOut",
    "CertificationOut",
    "OnwardTransferOut",
    "RecipientOut",
    "RecipientCreated",
    "RecipientPage",
    "TermsClausesIn",
    "TermsIn",
    "TermsOut",
    "AddressIn",
    "SubjectIn",
    "SubjectCreated",
    "SubjectOut",
    "SubjectMatches",
    "SuspendIn",
    "CountryStatusOut",
    "NoticeItemOut",
    "NoticeOut",
    "PolicyLinkOut",
    "RenderedNoticeOut",
    "ConsentIn",
    "WithdrawIn",
    "ConsentOut",
    "ConsentStateOut",
    "ConsentList",
    "OrderItemIn",
    "OrderIn",
    "OrderCreated",
    "OrderEventIn",
    "OrderEventOut",
    "TransferIn",
    "TransferAllowed",
    "TransferRecord",
    "TransferPage",
    "DisclosureIn",
    "DisclosureOut",
    "ViewSummary",
    "ViewPage",
    "ViewOut",
    "ErasureAckIn",
    "ErasureOut",
    "ErasurePage",
    "KeyOut",
    "RevokedOut",
    "DeletionReceipt",
]


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


class NoticeItemOut(BaseModel):
    key: str
    label: str
    value: str


class NoticeOut(BaseModel):
    notice_hash: str
    # consent: asks for separate consent; disclosure: informs, asks nothing.
    kind: str
    # Whether the order cannot proceed without this consent (show it as required, never as
    # optional); None for a disclosure.
    required: bool | None
    # False for a notice outside the pack's required language: it may be shown beside the
    # notice in that language, but a consent must be recorded against that one.
    carries_consent: bool
    heading: str
    locale: str
    purpose: str
    flow: str
    pack: str
    recipients: list[dict[str, object]]
    countries: list[str]
    fields: list[str]
    items: list[NoticeItemOut]
    text: str


class PolicyLinkOut(BaseModel):
    version: int
    url: str = Field(description="The version's permanent page.")


class RenderedNoticeOut(NoticeOut):
    # Beside the notice, not in it: the notice_hash covers the notice's body only, so a new
    # policy version leaves it (and the consents given to it) unchanged.
    privacy_policy: PolicyLinkOut | None = Field(
        description="The privacy policy version in force; null before the first is published."
    )


class ConsentIn(Body):
    notice_hash: Annotated[StrictStr, Field(min_length=64, max_length=64)]
    # No default: a consent is never pre-ticked, so the caller must say yes or no.
    granted: StrictBool
    channel: Annotated[StrictStr, Field(max_length=20)]


class WithdrawIn(Body):
    channel: Annotated[StrictStr, Field(max_length=20)] = "web"


class ConsentOut(BaseModel):
    id: str
    subject_id: str
    notice_hash: str
    purpose: str
    flow: str
    required: bool | None
    granted: bool
    channel: str
    at: datetime
    recipients: list[str]
    withdraws: str | None = None
    policy_version: int | None = Field(
        default=None, description="The privacy policy version in force when it was recorded."
    )
    policy_url: str | None = None


class ConsentStateOut(BaseModel):
    id: str
    notice_hash: str
    purpose: str
    flow: str
    required: bool | None
    recipients: list[str]
    granted: bool
    granted_at: datetime | None
    withdrawn_at: datetime | None
    channel: str
    policy_version: int | None = Field(
        default=None, description="The privacy policy version in force at the latest answer."
    )
    policy_url: str | None = None


class ConsentList(BaseModel):
    items: list[ConsentStateOut]
    next_cursor: str | None = None


class OrderItemIn(Body):
    sku: Annotated[StrictStr, Field(min_length=1, max_length=100)]
    name: Annotated[StrictStr, Field(min_length=1, max_length=300)]
    quantity: StrictInt


class OrderIn(Body):
    subject_id: Annotated[StrictStr, Field(max_length=64)]
    recipient_id: Annotated[StrictStr, Field(max_length=64)]
    external_ref: Annotated[StrictStr, Field(min_length=1, max_length=200)]
    items: Annotated[list[OrderItemIn], Field(min_length=1, max_length=100)]
    delivery_note: Annotated[StrictStr, Field(max_length=1000)] | None = None
    customs_required: StrictBool


class OrderCreated(BaseModel):
    id: str
    status: str


class OrderEventIn(Body):
    type: Literal["shipped", "delivered", "purchase_confirmed", "cancelled"]


class OrderEventOut(BaseModel):
    order_id: str
    status: str
    at: datetime


class TransferIn(Body):
    purpose: Annotated[StrictStr, Field(max_length=40)]
    flow: Literal["provision", "entrustment", "storage", "inquiry"]
    legal_provision: Annotated[StrictStr, Field(max_length=500)] | None = None


class TransferAllowed(BaseModel):
    transfer_id: str
    basis: str
    notice_hash: str | None
    fields: list[str]
    view_expires_at: datetime


class TransferRecord(BaseModel):
    id: str
    order_id: str
    subject_id: str
    recipient_id: str
    country: str | None
    purpose: str
    flow: str
    allowed: bool
    basis: str | None
    refusal: str | None
    notice_hash: str | None
    fields: list[str]
    decided_at: datetime
    # For LAW_TREATY: the provision's key, and its citation and text as decided under.
    legal_provision: str | None = None
    legal_provision_text: str | None = None


class TransferPage(BaseModel):
    items: list[TransferRecord]
    next_cursor: str | None


class DisclosureIn(Body):
    recipient_ids: Annotated[
        list[Annotated[StrictStr, Field(max_length=64)]], Field(min_length=1, max_length=200)
    ]
    purpose: Annotated[StrictStr, Field(max_length=40)]
    flow: Literal["entrustment", "storage"]
    pack: Annotated[StrictStr, Field(max_length=40)] = "KR-PIPA"
    locale: Annotated[StrictStr, Field(max_length=20)] = "ko"


class DisclosureOut(BaseModel):
    id: str
    notice: NoticeOut


class ViewSummary(BaseModel):
    transfer_id: str
    order_ref: str
    purpose: str
    opened_at: datetime
    expires_at: datetime
    closed: bool
    close_reason: str | None


class ViewPage(BaseModel):
    items: list[ViewSummary]
    next_cursor: str | None


class ViewOut(BaseModel):
    transfer_id: str
    order_ref: str
    items: list[dict[str, object]]
    recipient_fields: dict[str, object]
    expires_at: datetime


class ErasureAckIn(Body):
    attestation: Annotated[StrictStr, Field(max_length=2000)] | None = None


class ErasureOut(BaseModel):
    id: str
    cause: Literal["subject_deleted", "consent_withdrawn"] = Field(
        description="Why: the customer deleted the account, or withdrew the consent."
    )
    deletion_id: str | None = Field(description="The deletion, when the account was deleted.")
    consent_id: str | None = Field(description="The withdrawn consent, after a withdrawal.")
    recipient_id: str
    transfer_ids: list[str]
    order_refs: list[str]
    requested_at: datetime
    due_at: datetime
    status: str
    acknowledged_at: datetime | None
    attestation: str | None
    escalated_at: datetime | None


class ErasurePage(BaseModel):
    items: list[ErasureOut]
    next_cursor: str | None


class KeyOut(BaseModel):
    api_key: str = Field(description="Shown once; Gatehouse keeps only its hash.")


class RevokedOut(BaseModel):
    revoked: int


class DeletionReceipt(BaseModel):
    receipt: dict[str, object]
    erasure_notices: list[dict[str, object]]
