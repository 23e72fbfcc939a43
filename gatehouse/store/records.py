"""What the repositories hand back: plain, frozen values, never database rows.

A use case that reads these needs no database to be tested: an in-memory repository returns
the same values. Field names follow the columns they come from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gatehouse.domain.consents import ConsentRecord
from gatehouse.domain.requests import RightsRequest
from gatehouse.domain.subjects import Subject
from gatehouse.vault import WrappedKey

__all__ = [
    "SubjectRecord",
    "Held",
    "StoredNotice",
    "RecipientName",
    "PiiRead",
    "StoredOrder",
    "DecisionRead",
    "OpenView",
    "TransferDecision",
    "StoredRequest",
    "StoredTransfer",
    "StoredView",
    "ErasureRequest",
    "Deletion",
]

SubjectRecord = tuple[Subject, str, WrappedKey, Mapping[str, bytes], Mapping[str, str]]
"""What one new subject writes: the subject, its external-ref digest, wrapped key,
ciphertexts by field and blind-index digests by kind."""

Held = tuple[str, str, str]
"""What a recipient holds: ``(recipient_id, transfer_id, order_ref)``."""


@dataclass(frozen=True)
class StoredNotice:
    """A rendered notice as it was stored, once, under the hash of its content."""

    hash: str
    kind: str
    locale: str
    purpose: str
    flow: str
    pack_id: str
    pack_version: str
    # Recipient id -> fingerprint of the recipient when the notice was rendered.
    recipients: Mapping[str, str]
    countries: Sequence[str]
    body: Mapping[str, Any]
    text: str
    created_at: datetime
    content_digest: str | None
    required: bool | None


@dataclass(frozen=True)
class RecipientName:
    """How a recipient is named to a customer: its legal name and country."""

    id: str
    legal_name: str | None
    country: str | None


@dataclass(frozen=True)
class PiiRead:
    """One unmasked read of a subject's data by an operator key, with its stated reason."""

    api_key_id: str
    reason: str
    fields: Sequence[str]
    at: datetime


@dataclass(frozen=True)
class StoredOrder:
    """An order's facts; its items and delivery note are sealed in the vault, not here."""

    id: str
    subject_id: str
    recipient_id: str
    external_ref: str
    customs_required: bool
    has_delivery_note: bool
    status: str
    created_at: datetime
    delivered_at: datetime | None
    confirmed_at: datetime | None
    cancelled_at: datetime | None


@dataclass(frozen=True)
class DecisionRead:
    """What a transfer decision reads per order, in one statement: the order, its subject and
    the subject's whole consent history, oldest first."""

    order: StoredOrder
    subject: Subject
    consents: tuple[ConsentRecord, ...]


@dataclass(frozen=True)
class OpenView:
    """A recipient's window on an allowed transfer, not yet closed."""

    transfer_id: str
    order_id: str
    subject_id: str
    recipient_id: str
    purpose: str
    consent_notice: str | None
    safe_number: str | None
    opened_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class StoredRequest:
    """A stored rights request; its texts are sealed, so a resolution's message is None."""

    request: RightsRequest
    channel: str


@dataclass(frozen=True)
class StoredTransfer:
    """One transfer decision as it was recorded, allowed or refused."""

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
    fields: Sequence[str]
    decided_at: datetime
    legal_provision: str | None
    legal_provision_text: str | None


@dataclass(frozen=True)
class TransferDecision(StoredTransfer):
    """One transfer decision, allowed or refused, with its recipient's name and its view."""

    recipient_name: str | None
    view_expires_at: datetime | None
    view_closed_at: datetime | None


@dataclass(frozen=True)
class StoredView:
    """A recipient's window on an allowed transfer, open or closed, with its order's facts."""

    transfer_id: str
    order_id: str
    subject_id: str
    recipient_id: str
    purpose: str
    consent_notice: str | None
    safe_number: str | None
    opened_at: datetime
    expires_at: datetime
    closed_at: datetime | None
    close_reason: str | None
    # From the order: the recipient's own reference, and what the window depends on.
    external_ref: str
    customs_required: bool
    delivered_at: datetime | None
    confirmed_at: datetime | None
    order_status: str


@dataclass(frozen=True)
class ErasureRequest:
    """One recipient asked to erase what it received about a subject."""

    id: str
    deletion_id: str | None
    consent_id: str | None
    cause: str
    recipient_id: str
    transfer_ids: Sequence[str]
    order_refs: Sequence[str]
    requested_at: datetime
    due_at: datetime
    # None until the recipient acknowledges, or the deadline passes unanswered.
    acknowledged_at: datetime | None = None
    attestation: str | None = None
    escalated_at: datetime | None = None


@dataclass(frozen=True)
class Deletion:
    """A subject's deletion and the receipt it produced."""

    id: str
    subject_id: str
    requested_by: str
    at: datetime
    receipt: Mapping[str, Any]
