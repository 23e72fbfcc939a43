"""The pure half of an append: from a shard's stored state to its next entry and next state.

A storage adapter reads one shard's state row, calls :func:`append_entry`, and writes the entry
and the new state in the same transaction. Keeping the Merkle frontier beside the head makes
the shard root current at every append for O(log n) hashes, without reading old entries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gatehouse.ledger.checkpoint import ShardHead
from gatehouse.ledger.entry import LedgerEntry, make_entry
from gatehouse.ledger.merkle import CompactRange

__all__ = ["ShardState", "append_entry"]


@dataclass(frozen=True)
class ShardState:
    """A shard head plus its Merkle frontier (the :class:`CompactRange` hashes)."""

    head: ShardHead
    frontier: tuple[bytes, ...]

    @classmethod
    def empty(cls, shard: int) -> ShardState:
        """Return the state of a shard with no entries."""
        return cls(head=ShardHead.empty(shard), frontier=())

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able form: the head fields plus ``frontier`` as hex strings."""
        return {**self.head.to_dict(), "frontier": [node.hex() for node in self.frontier]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ShardState:
        """Rebuild a state from :meth:`to_dict` output."""
        frontier = tuple(bytes.fromhex(node) for node in data["frontier"])
        return cls(head=ShardHead.from_dict(data), frontier=frontier)


def append_entry(
    state: ShardState,
    kind: str,
    at: datetime,
    subject_id: str | None,
    recipient_id: str | None,
    payload: Mapping[str, Any],
) -> tuple[LedgerEntry, ShardState]:
    """Return the shard's next entry and the state to store with it.

    Raises ValueError if the stored frontier does not reproduce the stored root, so a corrupt
    state row stops appends instead of silently forking the shard's tree.
    """
    head = state.head
    compact = CompactRange(head.size, state.frontier)
    if compact.root().hex() != head.root:
        raise ValueError(f"shard {head.shard} state is inconsistent: frontier and root differ")
    entry = make_entry(
        head.shard, head.size, kind, at, subject_id, recipient_id, payload, head.head_hash
    )
    compact.append(bytes.fromhex(entry.entry_hash))
    new_head = ShardHead(
        shard=head.shard, size=compact.size, root=compact.root().hex(), head_hash=entry.entry_hash
    )
    return entry, ShardState(head=new_head, frontier=compact.hashes)
