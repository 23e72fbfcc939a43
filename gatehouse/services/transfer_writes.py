"""What a group of transfer decisions writes, gathered while deciding and written at once.

Deciding is pure, so a group's items are all decided first; their rows then go in with a
statement a table for the whole group (the transfers, the safe-number leases, the views, the
totals), and the ledger's entries and shard heads with one each when its group ends
(:class:`gatehouse.services.ledger_append.ShardGroup`). An item refused before anything was
gathered for it writes nothing, and fails no other.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from gatehouse.domain.errors import Conflict
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.store.records import OpenView, StoredTransfer

__all__ = ["PendingWrites"]


@dataclass
class PendingWrites:
    """Decisions and views of one transaction, not yet written."""

    transfers: list[StoredTransfer] = field(default_factory=list)
    views: list[OpenView] = field(default_factory=list)
    # Transfer id -> the candidates of the safe number its view is to carry.
    numbers: dict[str, list[str]] = field(default_factory=dict)

    def add(
        self, transfer: StoredTransfer, view: OpenView | None, numbers: list[str] | None
    ) -> None:
        """Queue a decision and, for an allowed one, its view, and the candidates of the safe
        number to lease for it when its purpose releases the phone that way."""
        self.transfers.append(transfer)
        if view is not None:
            self.views.append(view)
            if numbers is not None:
                self.numbers[transfer.id] = numbers

    def write(self, uow: UnitOfWork, now: datetime) -> None:
        """Write everything queued: the decisions first (a lease names its transfer), then
        the numbers, then the views that carry them.

        An exhausted safe-number pool is the pool's failure, not an item's: it raises, and
        the whole transaction with it.
        """
        uow.transfers.add_transfers(self.transfers)
        if self.numbers:
            leased = uow.safe_numbers.lease_many(self.numbers, now)
            if len(leased) < len(self.numbers):
                raise Conflict("the safe-number pool is exhausted", code="safe_numbers_exhausted")
            self.views = [
                replace(view, safe_number=leased[view.transfer_id])
                if view.transfer_id in leased
                else view
                for view in self.views
            ]
        uow.transfers.add_views(self.views)
