"""Everything held about a customer, as their own machine-readable copy (Art. 35 access)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from gatehouse.domain.errors import Conflict
from gatehouse.domain.subjects import Subject, SubjectPII
from gatehouse.ledger import LedgerEntry
from gatehouse.services.orders import sealed_contents
from gatehouse.services.ports import Contention
from gatehouse.services.request_records import RequestRecord, open_records
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import open_pii, require_live_subject, subject_cipher
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.store.records import PiiRead, StoredOrder, TransferDecision
from gatehouse.vault import KeyShredded

__all__ = [
    "EXPORT_FORMAT",
    "ExportedNotice",
    "ExportedConsent",
    "ExportedOrder",
    "SubjectExport",
    "export",
]

EXPORT_FORMAT = "gatehouse.subject-export/1"

# A snapshot that a concurrent writer invalidates is read again; past this, the customer is
# asked to try again rather than wait.
_ATTEMPTS = 3


@dataclass(frozen=True)
class ExportedNotice:
    """The exact notice an answer was given to."""

    hash: str
    locale: str
    purpose: str
    flow: str
    countries: Sequence[str]
    shown_at: datetime
    text: str


@dataclass(frozen=True)
class ExportedConsent:
    """One answer the subject gave: granted, refused or a withdrawal, with its notice."""

    id: str
    granted: bool
    withdraws: str | None
    channel: str
    at: datetime
    purpose: str
    recipients: Sequence[str]
    notice: ExportedNotice | None
    # The privacy-policy version in force when the answer was given (None before any).
    policy_version: int | None = None


@dataclass(frozen=True)
class ExportedOrder:
    """An order with its contents opened: the items and the delivery note as written."""

    order: StoredOrder
    items: list[dict[str, object]]
    delivery_note: str | None


@dataclass(frozen=True)
class SubjectExport:
    """Everything held about one subject, read from one snapshot of the database."""

    format: str
    generated_at: datetime
    subject: Subject
    profile: SubjectPII
    consents: list[ExportedConsent]
    orders: list[ExportedOrder]
    transfers: list[TransferDecision]
    requests: list[RequestRecord]
    operator_reads: list[PiiRead]
    ledger: list[LedgerEntry]


def _consent_history(uow: UnitOfWork, subject_id: str) -> list[ExportedConsent]:
    """Every answer the subject gave, with the exact text of the notice it answered."""
    history = uow.consents.history(subject_id)
    notices = uow.notices.by_hashes(record.notice_hash for record in history)
    answers = []
    for record in history:
        notice = notices.get(record.notice_hash)
        answers.append(
            ExportedConsent(
                id=record.id,
                granted=record.granted,
                withdraws=record.withdraws,
                channel=record.channel,
                at=record.at,
                purpose=record.purpose,
                recipients=sorted(record.recipients),
                notice=None
                if notice is None
                else ExportedNotice(
                    hash=notice.hash,
                    locale=notice.locale,
                    purpose=notice.purpose,
                    flow=notice.flow,
                    countries=list(notice.countries),
                    shown_at=notice.created_at,
                    text=notice.text,
                ),
                policy_version=record.policy_version,
            )
        )
    return answers


def _orders(gh: Gatehouse, uow: UnitOfWork, subject_id: str) -> list[ExportedOrder]:
    """Every order with its contents opened, oldest first."""
    cipher = subject_cipher(gh, uow.subjects, subject_id)
    if cipher is None:
        raise KeyShredded(f"subject {subject_id} was erased", details={"subject_id": subject_id})
    return [
        ExportedOrder(order, *sealed_contents(cipher, uow.subjects, order))
        for order in uow.orders.of_subject(subject_id)
    ]


def _export(gh: Gatehouse, uow: UnitOfWork, subject_id: str, now: datetime) -> SubjectExport:
    subject = require_live_subject(uow.subjects, subject_id)
    entries = uow.ledger.find(subject_id=subject_id)
    result = SubjectExport(
        format=EXPORT_FORMAT,
        generated_at=now,
        subject=subject,
        profile=open_pii(gh, uow.subjects, subject_id),
        consents=_consent_history(uow, subject_id),
        orders=_orders(gh, uow, subject_id),
        # Refused decisions too: Gatehouse holds those as well.
        transfers=uow.transfers.decisions_of(subject_id),
        requests=open_records(
            gh, uow.subjects, uow.requests.of_subject(subject_id, newest_first=True)
        ),
        operator_reads=uow.subjects.pii_reads(subject_id),
        ledger=entries,
    )
    uow.ledger.append(
        kind="subject.exported",
        at=now,
        subject_id=subject_id,
        recipient_id=None,
        payload={"format": EXPORT_FORMAT, "ledger_entries": len(entries)},
    )
    return result


def export(gh: Gatehouse, subject_id: str) -> SubjectExport:
    """Everything held about the subject, machine-readable (Art. 35 access, in full).

    The profile is unmasked here, customs code included: this is the customer's own copy.
    Everything is read from one snapshot, and the export itself is recorded in the ledger,
    without its content, in the same transaction.
    """
    now = gh.clock()
    for _ in range(_ATTEMPTS):
        try:
            with gh.unit_of_work(snapshot=True) as uow:
                return _export(gh, uow, subject_id, now)
        except Contention:
            continue
    raise Conflict("the data changed while it was read; try again", code="export_busy")
