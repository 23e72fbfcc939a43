"""Which customers one generator process writes, so several can write one marketplace at once.

The ledger's shards are the only state the processes could fight over: each shard's entries
must be appended in order by one writer. So the customers are split by their ledger shard,
and each process writes only its own customers, their orders and their shards' entries. A
process still draws every customer and every order of a chunk or slice from the shared
random streams, so the marketplace comes out the same however many processes wrote it; the
costly work (sealing, rows, ledger entries) is done once, by the owner.
"""

from __future__ import annotations

from dataclasses import dataclass

from gatehouse.ledger import shard_for
from gatehouse.services.ledger_append import LEDGER_SHARDS
from gatehouse.store.summary_tables import DECISION_SLOTS

__all__ = ["Part", "WHOLE"]

# A subject's console counter row is keyed by the same hash as its ledger shard, so a part
# that owns a shard also owns its counters and parts never write the same summary row.
if DECISION_SLOTS != LEDGER_SHARDS:  # pragma: no cover - a change to either must see this
    raise RuntimeError("parts assume decision_counts' slots are the ledger's shards")


@dataclass(frozen=True)
class Part:
    """The ``index``-th of ``count`` parts: the customers whose ledger shard it owns."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.count <= LEDGER_SHARDS or not 0 <= self.index < self.count:
            raise ValueError(f"a part is one of 1 to {LEDGER_SHARDS} parts, not {self}")

    def owns(self, subject_id: str) -> bool:
        """Whether this part writes ``subject_id``'s rows and ledger entries."""
        return self.count == 1 or shard_for(subject_id, LEDGER_SHARDS) % self.count == self.index


WHOLE = Part()
"""The one part of a run in a single process."""
