"""Stored subtree roots: written when a checkpoint first covers a block, read by proofs.

Only ledgers kept in a database store subtrees; on any other :class:`Ledger` proofs stream
the shard's leaves as before.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from gatehouse.ledger import BLOCK_LEAVES, BLOCK_LEVEL, StoredTree, Subtree, node_hash, perfect_root
from gatehouse.store.ledger_subtrees import SubtreeRepository

__all__ = ["SubtreeLedger", "store_subtrees", "stored_frontier", "stored_tree"]


@runtime_checkable
class SubtreeLedger(Protocol):
    """A ledger that keeps subtree roots beside its entries."""

    @property
    def subtrees(self) -> SubtreeRepository: ...

    def hashes_between(self, shard: int, low: int, high: int) -> list[tuple[int, str]]: ...


def _block(ledger: SubtreeLedger, shard: int, index: int) -> list[bytes]:
    """The leaf hashes of block ``index``, as far as they run without a gap."""
    low = index * BLOCK_LEAVES
    leaves: list[bytes] = []
    for seq, entry_hash in ledger.hashes_between(shard, low, low + BLOCK_LEAVES):
        if seq != low + len(leaves):
            break
        leaves.append(bytes.fromhex(entry_hash))
    return leaves


def store_subtrees(ledger: SubtreeLedger, shard: int, size: int) -> int:
    """Store the roots of the complete subtrees among the shard's first ``size`` leaves that
    are not stored yet; returns how many. The caller has just checked those leaves against
    the checkpoint it signs, in the same transaction."""
    repo = ledger.subtrees
    new: dict[tuple[int, int], bytes] = {}
    for index in range(repo.last_index(shard, BLOCK_LEVEL) + 1, size // BLOCK_LEAVES):
        leaves = _block(ledger, shard, index)
        if len(leaves) != BLOCK_LEAVES:
            raise ValueError(f"shard {shard} lacks entries of block {index}")
        new[(BLOCK_LEVEL, index)] = perfect_root(leaves)
    level = BLOCK_LEVEL
    fresh = sorted(index for lvl, index in new if lvl == level)
    while fresh:
        parents: list[int] = []
        for index in fresh:
            sibling = index ^ 1
            pair = new.get((level, sibling)) or repo.subtree(shard, level, sibling)
            parent = (level + 1, index // 2)
            if pair is None or parent in new:
                continue
            left, right = (
                (new[(level, index)], pair) if index % 2 == 0 else (pair, new[(level, index)])
            )
            new[parent] = node_hash(left, right)
            parents.append(index // 2)
        level += 1
        fresh = parents
    subtrees: list[Subtree] = [(lvl, index, node) for (lvl, index), node in sorted(new.items())]
    repo.add_subtrees(shard, subtrees)
    return len(subtrees)


def stored_tree(ledger: SubtreeLedger, shard: int, size: int) -> StoredTree:
    """Audit paths in the shard's tree of ``size`` leaves from its stored subtrees."""
    repo = ledger.subtrees
    return StoredTree(
        size,
        lambda level, index: repo.subtree(shard, level, index),
        lambda index: _block(ledger, shard, index),
    )


def stored_frontier(ledger: SubtreeLedger, shard: int, size: int) -> tuple[bytes, ...] | None:
    """The Merkle frontier of the shard's first ``size`` leaves (its perfect subtrees, largest
    first) from stored roots and the leaves of the last, partial block; None when a root it
    needs was never stored. Whoever uses it holds it to a signed root: it is not trusted."""
    repo = ledger.subtrees
    base = size - size % BLOCK_LEAVES
    partial = _block(ledger, shard, base // BLOCK_LEAVES) if base < size else []
    if len(partial) < size - base:
        return None
    frontier: list[bytes] = []
    low = 0
    for level in reversed(range(size.bit_length())):
        width = 1 << level
        if not size & width:
            continue
        if width >= BLOCK_LEAVES:
            node = repo.subtree(shard, level, low >> level)
            if node is None:
                return None
        else:
            node = perfect_root(partial[low - base : low - base + width])
        frontier.append(node)
        low += width
    return tuple(frontier)
