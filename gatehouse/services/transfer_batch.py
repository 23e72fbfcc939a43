"""Many transfers decided in one transaction: fulfilment systems work in batches.

Each item gets its own answer, as if it had been sent alone: allowed, refused with its
reason, or an error of the request itself (an unknown order, a cancelled one, an unknown
purpose), which writes nothing for that item and fails no other. The subjects' ledger shards
are locked once, in order, and each shard's head moves once for the whole batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gatehouse.domain.errors import GatehouseError, InvalidInput
from gatehouse.domain.subjects import Subject
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.transfers import TransferOutcome, decide_and_record, load_order
from gatehouse.store.records import StoredOrder

__all__ = ["MAX_BATCH", "BatchItem", "BatchResult", "request_transfers"]

MAX_BATCH = 1000


@dataclass(frozen=True)
class BatchItem:
    """One transfer asked for: the order, what for, and the provision cited, if any."""

    order_id: str
    purpose: str
    flow: str
    legal_provision: str | None = None


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
    now = gh.clock()
    results: list[BatchResult] = []
    with gh.unit_of_work() as uow:
        loaded: dict[str, tuple[StoredOrder, Subject] | GatehouseError] = {}
        for item in items:
            if item.order_id not in loaded:
                try:
                    loaded[item.order_id] = load_order(uow, item.order_id)
                except GatehouseError as error:
                    loaded[item.order_id] = error
        subjects = [found[0].subject_id for found in loaded.values() if isinstance(found, tuple)]
        cached = gh.facts.facts(uow)
        with uow.ledger.group(subjects, now):
            for item in items:
                found = loaded[item.order_id]
                if isinstance(found, GatehouseError):
                    results.append(BatchResult(item, error=found))
                    continue
                order, subject = found
                try:
                    outcome = decide_and_record(
                        gh,
                        uow,
                        cached,
                        order,
                        subject,
                        item.purpose,
                        item.flow,
                        item.legal_provision,
                        now,
                    )
                except GatehouseError as error:
                    if error.code == "safe_numbers_exhausted":
                        raise
                    results.append(BatchResult(item, error=error))
                    continue
                results.append(BatchResult(item, outcome=outcome))
    return results
