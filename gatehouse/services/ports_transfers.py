"""Ports of the transfer gateway: orders, transfer decisions and views, safe numbers, and the
erasure requests that follow a transfer.

Re-exported by :mod:`gatehouse.services.ports`; see there for what a port is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from gatehouse.store.generations import Generations
from gatehouse.store.records import (
    DecisionRead,
    Deletion,
    ErasureRequest,
    Held,
    OpenView,
    StoredOrder,
    StoredTransfer,
    StoredView,
    TransferDecision,
)

__all__ = ["FactGenerations", "Orders", "Transfers", "SafeNumbers", "Erasures"]


class FactGenerations(Protocol):
    """Where the cached facts stand (see :mod:`gatehouse.services.fact_cache`)."""

    def read(self) -> Generations: ...


class Orders(Protocol):
    """Orders and their append-only events."""

    def add(self, order: StoredOrder) -> None: ...

    def get(self, order_id: str, *, lock: bool = False) -> StoredOrder | None: ...

    def for_decision(self, order_ids: Sequence[str]) -> dict[str, DecisionRead]: ...

    def of_subject(self, subject_id: str) -> list[StoredOrder]: ...

    def record_event(
        self, subject_id: str, order_id: str, event: str, at: datetime, **changes: Any
    ) -> None: ...


class Transfers(Protocol):
    """Transfer decisions and the views of the allowed ones."""

    def add_transfers(self, decided: Sequence[StoredTransfer]) -> None:
        """Record decisions, each counted for the console and, when allowed, in its
        subject's totals by recipient, country, purpose, basis and items (the privacy center
        reads those, not the transfers); a statement a table however many."""
        ...

    def add_views(self, opened: Sequence[OpenView]) -> None:
        """Open views; each recipient's window for its subject reaches its views' expiry.
        A statement a table however many."""
        ...

    def view(self, transfer_id: str) -> StoredView | None: ...

    def views_of_recipient(
        self, recipient_id: str, *, open_at: datetime | None, after: str | None, limit: int
    ) -> list[StoredView]: ...

    def open_views_in_country(self, country: str) -> list[OpenView]: ...

    def expired_open_views(self, now: datetime, limit: int = 1000) -> list[OpenView]: ...

    def list_transfers(
        self,
        *,
        recipient_id: str | None,
        subject_id: str | None,
        country: str | None,
        since: datetime | None,
        after: str | None,
        limit: int,
    ) -> list[StoredTransfer]: ...

    def open_views(
        self,
        *,
        subject_id: str | None = None,
        recipient_id: str | None = None,
        order_id: str | None = None,
        consent_notice: str | None = None,
    ) -> list[OpenView]: ...

    def close_views(self, transfer_ids: Sequence[str], reason: str, at: datetime) -> set[str]:
        """Close the open views among ``transfer_ids`` and recompute their recipients'
        windows; returns the ids closed now (not those that were closed already)."""
        ...

    def set_expiry(self, transfer_id: str, expires_at: datetime) -> None:
        """Move an open view's expiry and recompute its recipient's window."""
        ...

    def belongs_to(self, transfer_id: str, subject_id: str) -> bool: ...

    def decisions_of(self, subject_id: str) -> list[TransferDecision]: ...

    def held_by_views(self, transfer_ids: Iterable[str]) -> list[Held]: ...

    def held_by_transfers(self, subject_id: str) -> list[Held]: ...


class SafeNumbers(Protocol):
    """The 0505 safe-number pool."""

    def lease(self, candidates: Sequence[str], transfer_id: str, at: datetime) -> str | None: ...

    def lease_many(self, wanted: Mapping[str, Sequence[str]], at: datetime) -> dict[str, str]:
        """A number for each transfer id in ``wanted`` from its candidates, by transfer id;
        one left out found them all taken."""
        ...

    def release_many(
        self, transfer_ids: Sequence[str], at: datetime, reusable_after: datetime
    ) -> None: ...


class Erasures(Protocol):
    """Erasure requests sent to recipients, and the deletions that sent some of them."""

    def add_requests(self, requests: Sequence[ErasureRequest]) -> None: ...

    def request(self, erasure_id: str) -> ErasureRequest | None: ...

    def requests(
        self,
        *,
        recipient_id: str | None = None,
        deletion_id: str | None = None,
        status: str | None = None,
        now: datetime | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[ErasureRequest]: ...

    def outstanding(self, *, now: datetime, overdue: bool, limit: int) -> list[ErasureRequest]: ...

    def acknowledge(self, erasure_id: str, attestation: str | None, at: datetime) -> bool: ...

    def overdue_counts(self, recipient_ids: Sequence[str], now: datetime) -> dict[str, int]: ...

    def open_dues(self, recipient_id: str) -> list[datetime]: ...

    def unescalated_overdue(self, now: datetime, limit: int = 500) -> list[ErasureRequest]: ...

    def mark_escalated(self, erasure_id: str, at: datetime) -> bool: ...

    def deletion(self, deletion_id: str) -> Deletion | None: ...
