"""One shard's part of an evidence bundle: its entries in a window, tied to a signed checkpoint.

A window usually starts mid-chain, so the bundle carries the state the first exported entry
chains from: the previous entry's hash and the Merkle frontier (the roots of the perfect
subtrees over every earlier entry). From those and the exported entries a verifier rebuilds
the shard's tree root just after the window, and an RFC 6962 consistency proof shows that
tree is a prefix of the one the checkpoint signed. Nothing outside the window is exported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gatehouse.domain.errors import Conflict
from gatehouse.ledger import (
    GENESIS_HASH,
    Checkpoint,
    CompactRange,
    LedgerEntry,
    ShardHead,
    verify_consistency,
)
from gatehouse.services.ports import Ledger

__all__ = ["ShardSpan", "WindowScan", "consistency_ranges", "find_window", "prove_span"]

Sink = Callable[[LedgerEntry], None]


@dataclass(frozen=True)
class ShardSpan:
    """Entries ``first_seq``..``end_size - 1`` of a shard, and what ties them to a checkpoint."""

    shard: int
    first_seq: int
    end_size: int
    prev_hash: str
    frontier: list[str]
    checkpoint_size: int
    consistency: list[str]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form the stand-alone verifier reads."""
        return {
            "shard": self.shard,
            "first_seq": self.first_seq,
            "end_size": self.end_size,
            "prev_hash": self.prev_hash,
            "frontier": list(self.frontier),
            "checkpoint_size": self.checkpoint_size,
            "consistency": list(self.consistency),
        }


@dataclass(frozen=True)
class WindowScan:
    """Where a shard's window lies below the checkpoint, and how many entries it left out."""

    first_seq: int | None
    last_seq: int | None
    uncovered: int
    read: int


def find_window(
    ledger: Ledger, shard: int, size: int, start: datetime, end: datetime
) -> WindowScan:
    """Find the first and last entry stamped in ``[start, end)`` among the first ``size``.

    Entries stamped in the window but appended after the checkpoint are counted, not
    exported: nothing signed covers them yet.
    """
    first: int | None = None
    last: int | None = None
    uncovered = read = 0
    for entry in ledger.stream_shard(shard):
        read += 1
        if not start <= entry.at < end:
            continue
        if entry.seq >= size:
            uncovered += 1
            continue
        first = entry.seq if first is None else first
        last = entry.seq
    return WindowScan(first, last, uncovered, read)


def write_span(ledger: Ledger, shard: int, first: int, last: int, sink: Sink) -> None:
    """Hand entries ``first..last`` to ``sink`` in order, each checked against its own hash.

    Hosts' clocks differ a little, so an entry stamped just outside the window can sit
    between two inside it; it is exported too, because the chain must have no gap.
    """
    expected = first
    for entry in ledger.stream_shard(shard):
        if entry.seq < first:
            continue
        if entry.seq != expected or not _intact(entry):
            raise _tampered(shard, f"entry {expected} is missing or does not match its hash")
        sink(entry)
        if entry.seq == last:
            return
        expected += 1
    raise _tampered(shard, f"entry {expected} is missing")


def _intact(entry: LedgerEntry) -> bool:
    try:
        return entry.leaf().hex() == entry.entry_hash
    except (ValueError, TypeError, AttributeError):
        # An edited row may no longer even encode (a float, a naive time): it is not intact.
        return False


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose subtree roots make up RFC 6962 PROOF(old, new), in proof order.

    Mirrors :func:`gatehouse.ledger.merkle.consistency_proof`; the ranges are disjoint, so one
    streaming pass over the leaf hashes yields every node.
    """
    if old_size in (0, new_size):
        return []
    ranges: list[tuple[int, int]] = []
    lo, hi, m, whole = 0, new_size, old_size, True
    while m != hi - lo:
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            m -= k
            whole = False
    if not whole:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def prove_span(
    ledger: Ledger, checkpoint: Checkpoint, head: ShardHead, first: int, last: int
) -> ShardSpan:
    """The starting state of ``first`` and the consistency proof from ``last + 1`` to the
    checkpoint's size, from one pass over the stored hashes; checked before it is returned."""
    shard, size, end = head.shard, head.size, last + 1
    ranges = consistency_ranges(end, size)
    ordered = sorted(ranges)
    subtrees = {bounds: CompactRange() for bounds in ranges}
    whole = CompactRange()
    frontier: list[str] = []
    prev_hash = GENESIS_HASH
    window_root = b""
    current = 0
    expected = 0
    for seq, entry_hash in ledger.stream_hashes(shard, size):
        if seq != expected:
            raise _tampered(shard, f"entry {expected} is missing")
        expected += 1
        if seq == first:
            frontier = [node.hex() for node in whole.hashes]
        leaf = bytes.fromhex(entry_hash)
        while current < len(ordered) and ordered[current][1] <= seq:
            current += 1
        if current < len(ordered) and ordered[current][0] <= seq:
            subtrees[ordered[current]].append(leaf)
        whole.append(leaf)
        if seq + 1 == end:
            window_root = whole.root()
        if seq < first:
            prev_hash = entry_hash
    if expected != size:
        raise _tampered(shard, f"found {expected} entries, the checkpoint signed {size}")
    proof = [subtrees[bounds].root() for bounds in ranges]
    if not verify_consistency(end, size, window_root, bytes.fromhex(head.root), proof):
        raise _tampered(
            shard, f"the stored entries do not reproduce checkpoint #{checkpoint.sequence}"
        )
    return ShardSpan(
        shard=shard,
        first_seq=first,
        end_size=end,
        prev_hash=prev_hash,
        frontier=frontier,
        checkpoint_size=size,
        consistency=[node.hex() for node in proof],
    )


def _tampered(shard: int, reason: str) -> Conflict:
    return Conflict(
        f"shard {shard} cannot be exported: {reason}; run `gatehouse ledger verify`",
        code="ledger_mismatch",
        details={"shard": shard},
    )
