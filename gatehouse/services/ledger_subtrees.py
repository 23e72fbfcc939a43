"""Stored subtree roots: written when a checkpoint first covers a block, read by proofs.

Only ledgers kept in a database store subtrees; on any other :class:`Ledger` proofs stream
the shard's leaves as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from gatehouse.ledger import (
    BLOCK_LEAVES,
    BLOCK_LEVEL,
    TILE_LEAVES,
    LedgerEntry,
    StoredTree,
    Subtree,
    block_subtrees,
    node_hash,
    perfect_root,
)
from gatehouse.store.ledger_subtrees import SubtreeRepository

__all__ = [
    "SubtreeLedger",
    "preload_paths",
    "store_subtrees",
    "stored_frontier",
    "stored_tree",
]


@runtime_checkable
class SubtreeLedger(Protocol):
    """A ledger that keeps subtree roots beside its entries."""

    @property
    def subtrees(self) -> SubtreeRepository: ...

    def hashes_between(self, shard: int, low: int, high: int) -> list[tuple[int, str]]: ...

    def hashes_in(self, shard: int, ranges: Sequence[tuple[int, int]]) -> list[tuple[int, str]]: ...

    def entries_at(self, shard: int, seqs: Sequence[int]) -> dict[int, LedgerEntry]: ...


def _run(ledger: SubtreeLedger, shard: int, index: int, width: int) -> list[bytes]:
    """The leaf hashes of the ``width``-leaf run ``index``, as far as they go without a gap."""
    return _without_gap(
        index * width, ledger.hashes_between(shard, index * width, (index + 1) * width)
    )


def _without_gap(low: int, rows: Iterable[tuple[int, str]]) -> list[bytes]:
    leaves: list[bytes] = []
    for seq, entry_hash in rows:
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
    below: list[Subtree] = []
    for index in range(repo.last_index(shard, BLOCK_LEVEL) + 1, size // BLOCK_LEAVES):
        leaves = _run(ledger, shard, index, BLOCK_LEAVES)
        if len(leaves) != BLOCK_LEAVES:
            raise ValueError(f"shard {shard} lacks entries of block {index}")
        *tiles, (_, _, block) = block_subtrees(index, leaves)
        below += tiles
        new[(BLOCK_LEVEL, index)] = block
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
    subtrees = below + [(lvl, index, node) for (lvl, index), node in sorted(new.items())]
    repo.add_subtrees(shard, subtrees)
    return len(subtrees)


def stored_tree(ledger: SubtreeLedger, shard: int, size: int) -> StoredTree:
    """Audit paths in the shard's tree of ``size`` leaves from its stored subtrees."""
    repo = ledger.subtrees
    return StoredTree(
        size,
        lambda level, index: repo.subtree(shard, level, index),
        lambda index: _run(ledger, shard, index, TILE_LEAVES),
    )


def preload_paths(ledger: SubtreeLedger, shard: int, tree: StoredTree, seqs: Iterable[int]) -> None:
    """Read what the audit paths of ``seqs`` need in two queries, the stored roots and the
    tiles' leaves, instead of one query per node: a customer's page proves dozens of entries
    spread over a shard of millions, each path twenty roots deep."""
    wanted = list(seqs)
    # A root that was never stored (a block stored before its tiles were) is rebuilt from
    # the roots below it: asked for in the next round, a level further down each time.
    for _ in range(BLOCK_LEVEL + 1):
        keys, tiles = tree.reads_for(wanted)
        if not keys and not tiles:
            return
        found = ledger.subtrees.subtrees_at(shard, keys)
        ranges = [(index * TILE_LEAVES, (index + 1) * TILE_LEAVES) for index in tiles]
        rows: dict[int, list[tuple[int, str]]] = {index: [] for index in tiles}
        for seq, entry_hash in ledger.hashes_in(shard, ranges):
            rows[seq // TILE_LEAVES].append((seq, entry_hash))
        leaves = {index: _without_gap(index * TILE_LEAVES, run) for index, run in rows.items()}
        tree.preload({key: found.get(key) for key in keys}, leaves)


def stored_frontier(ledger: SubtreeLedger, shard: int, size: int) -> tuple[bytes, ...] | None:
    """The Merkle frontier of the shard's first ``size`` leaves (its perfect subtrees, largest
    first) from stored roots and the leaves of the last, partial block; None when a root it
    needs was never stored. Whoever uses it holds it to a signed root: it is not trusted."""
    repo = ledger.subtrees
    base = size - size % BLOCK_LEAVES
    partial = _run(ledger, shard, base // BLOCK_LEAVES, BLOCK_LEAVES) if base < size else []
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
