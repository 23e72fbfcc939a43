"""Many transfers decided in one transaction: fulfilment systems work in batches.

Each item gets its own answer, as if it had been sent alone: allowed, refused with its
reason, or an error of the request itself (an unknown order, a cancelled one, an unknown
purpose), which writes nothing for that item and fails no other. The subjects' ledger shards
are locked once, in order, and each shard's head moves once for the whole batch
(:func:`gatehouse.services.transfers.decide_items`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gatehouse.domain.errors import GatehouseError, InvalidInput
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.transfers import TransferOutcome, TransferRequest, decide_items

__all__ = ["MAX_BATCH", "BatchItem", "BatchResult", "request_transfers"]

MAX_BATCH = 1000

BatchItem = TransferRequest


@dataclass(frozen=True)
class BatchResult:
    """One item's answer: its recorded outcome, or the error that kept it from being decided."""

    item: BatchItem
    outcome: TransferOutcome | None = None
    error: GatehouseError | None = None


def request_transfers(gh: Gatehouse, items: Sequence[BatchItem]) -> list[BatchResult]:
    """Decide every item in one transaction; a result per item, in the order given."""
    if not 1 <= len(items) <= MAX_BATCH:
        raise InvalidInput(
            f"a batch holds 1 to {MAX_BATCH} items", code="batch_size", details={"max": MAX_BATCH}
        )
    return [
        BatchResult(item, error=answer)
        if isinstance(answer, GatehouseError)
        else BatchResult(item, outcome=answer)
        for item, answer in zip(items, decide_items(gh, items), strict=True)
    ]
