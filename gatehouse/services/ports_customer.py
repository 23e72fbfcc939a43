"""Ports of the customer's side: sign-in sessions, what the privacy center reads, deletion.

The units of work offer these beside the ports of :mod:`gatehouse.services.ports`; see there
for what a port is.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from gatehouse.domain.subjects import Subject
from gatehouse.store.customer_sessions import CustomerSession
from gatehouse.store.customer_transfers import RecipientWindow, TransferGroup, TransferListing
from gatehouse.store.operator_events import SealedEvent
from gatehouse.store.records import Deletion
from gatehouse.store.retention_records import RetentionRecord

__all__ = [
    "CustomerSessions",
    "CustomerTransfers",
    "RetentionDates",
    "RetentionRecords",
    "Deletions",
    "OperatorEvents",
]


class CustomerSessions(Protocol):
    """The privacy center's sign-in links and cookie sessions, found by their token's hash."""

    def add(self, session: CustomerSession) -> None: ...

    def find(self, token_hash: str) -> CustomerSession | None: ...

    def spend(self, session_id: str, at: datetime) -> bool: ...

    def slide(self, session_id: str, idle_expires_at: datetime) -> bool: ...

    def revoke(self, token_hash: str, at: datetime) -> bool: ...

    def revoke_subject(self, subject_id: str, at: datetime) -> int: ...

    def purge_expired(self, now: datetime) -> int: ...


class CustomerTransfers(Protocol):
    """One customer's allowed transfers, as the privacy center lists and sums them up."""

    def page(
        self,
        subject_id: str,
        *,
        before: tuple[datetime, str] | None,
        limit: int,
        transfer_id: str | None = None,
    ) -> list[TransferListing]: ...

    def count_by_country(self, subject_id: str) -> dict[str | None, int]: ...

    def order_refs(self, subject_id: str, transfer_ids: Collection[str]) -> dict[str, str]: ...

    def groups(self, subject_id: str) -> list[TransferGroup]: ...

    def windows(self, subject_id: str, now: datetime) -> dict[str, RecipientWindow]: ...


class RetentionDates(Protocol):
    """The latest dates of a subject's orders and complaints, per pattern of missing ones."""

    def latest_order_dates(
        self, subject_id: str
    ) -> list[tuple[datetime, datetime | None, datetime | None]]: ...

    def latest_complaint_dates(self, subject_id: str) -> list[tuple[datetime, datetime | None]]: ...


class RetentionRecords(Protocol):
    """The separate retention store: records a deletion kept, sealed until their end date."""

    def add_many(self, records: Sequence[RetentionRecord]) -> None: ...

    def for_deletion(self, deletion_id: str) -> list[RetentionRecord]: ...

    def due_for_destruction(self, now: datetime, limit: int = 500) -> list[RetentionRecord]: ...

    def destroy(self, record_id: str, at: datetime) -> bool: ...


class Deletions(Protocol):
    """What a deletion writes about its subject: the lock, the shred, the deletion's receipt.

    The stored deletion is read back through ``Erasures.deletion``.
    """

    def lock_subject(self, subject_id: str) -> Subject | None: ...

    def add(self, deletion: Deletion) -> None: ...

    def set_receipt(self, deletion_id: str, receipt: Mapping[str, Any]) -> None: ...

    def shred(self, subject_id: str, at: datetime) -> None: ...


class OperatorEvents(Protocol):
    """Events for the marketplace's own webhook: stored sealed, delivered by the worker."""

    def webhook_set(self) -> bool: ...

    def enqueue(self, event: SealedEvent) -> str: ...
