"""Stored subtree hashes: the roots of a shard's complete, aligned subtrees of 2^k leaves.

With every such root from :data:`BLOCK_LEVEL` up kept beside the entries, an audit path needs
the leaves of at most two blocks (the entry's, and the last, partial one) and O(log n) stored
roots, instead of every leaf of the shard. A stored root is only a shortcut: the path it
yields must still reproduce the signed shard root, and the verifier recomputes each one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from gatehouse.ledger.merkle import node_hash
from gatehouse.ledger.proofs import path_ranges
from gatehouse.ledger.verify_types import BadEntry

__all__ = [
    "BLOCK_LEAVES",
    "BLOCK_LEVEL",
    "StoredTree",
    "Subtree",
    "subtree_problem",
    "subtrees_above",
]

BLOCK_LEVEL = 10
BLOCK_LEAVES = 1 << BLOCK_LEVEL
"""Leaves under the smallest stored subtree: the most a proof reads of one block."""

Subtree = tuple[int, int, bytes]
"""``(level, index, root)``: the root over leaves ``index * 2^level`` up to the next index's."""


def subtrees_above(blocks: Mapping[int, bytes]) -> Iterator[Subtree]:
    """Every complete subtree from the block roots ``blocks`` (by block index) up: the blocks
    themselves, then each pair of siblings both present, level by level."""
    level, nodes = BLOCK_LEVEL, dict(blocks)
    while nodes:
        for index in sorted(nodes):
            yield level, index, nodes[index]
        nodes = {
            index // 2: node_hash(nodes[index], nodes[index + 1])
            for index in nodes
            if index % 2 == 0 and index + 1 in nodes
        }
        level += 1


def subtree_problem(
    shard: int, blocks: Mapping[int, bytes], stored: Iterable[tuple[int, int, str]]
) -> BadEntry | None:
    """The first stored subtree (``(level, index, hex root)``) that the shard's recomputed
    block roots do not reproduce, or that covers entries the shard does not hold."""
    expected = {(level, index): node for level, index, node in subtrees_above(blocks)}
    for level, index, node in sorted(stored):
        low, high = index << level, (index + 1) << level
        if expected.get((level, index), b"").hex() != node:
            where = f"entries {low}..{high - 1}"
            if (level, index) not in expected:
                reason = f"a stored subtree covers {where}, which the shard does not hold"
            else:
                reason = f"the stored subtree of {where} does not match them"
            return BadEntry(shard, low, reason)
    return None


class StoredTree:
    """Audit paths in a shard tree of ``size`` leaves from stored subtree roots.

    ``stored(level, index)`` returns a stored root or None; ``block(index)`` returns the leaf
    hashes of block ``index`` (fewer than :data:`BLOCK_LEAVES` for the last, partial one).
    A root missing from storage is rebuilt from the ones below it, down to block leaves, so
    a shard whose subtrees were never stored still yields its paths, by reading its leaves.
    """

    def __init__(
        self,
        size: int,
        stored: Callable[[int, int], bytes | None],
        block: Callable[[int], Sequence[bytes]],
    ) -> None:
        self.size = size
        self._stored = stored
        self._block = block
        self._blocks: dict[int, Sequence[bytes]] = {}

    def _leaves(self, index: int) -> Sequence[bytes]:
        if index not in self._blocks:
            self._blocks[index] = self._block(index)
        return self._blocks[index]

    def _root(self, low: int, high: int) -> bytes:
        width = high - low
        perfect = width & (width - 1) == 0 and low % width == 0
        if perfect and width >= BLOCK_LEAVES:
            level = width.bit_length() - 1
            found = self._stored(level, low >> level)
            if found is not None:
                return found
        if low // BLOCK_LEAVES == (high - 1) // BLOCK_LEAVES:
            # Inside one block: from its leaves, which the proof reads once.
            leaves = self._leaves(low // BLOCK_LEAVES)
            base = low - low % BLOCK_LEAVES
            if high - base > len(leaves):
                raise ValueError(f"entries below {high} are missing")
            return _range_root(leaves, low - base, high - base)
        k = 1 << ((width - 1).bit_length() - 1)
        return node_hash(self._root(low, low + k), self._root(low + k, high))

    def leaf(self, index: int) -> bytes:
        """The leaf hash at ``index``, from its block."""
        leaves = self._leaves(index // BLOCK_LEAVES)
        offset = index % BLOCK_LEAVES
        if offset >= len(leaves):
            raise ValueError(f"entry {index} is missing")
        return leaves[offset]

    def audit_path(self, index: int) -> list[str]:
        """RFC 6962 PATH(index) as hex, nearest first."""
        if not 0 <= index < self.size:
            raise ValueError(f"leaf {index} is not in a tree of {self.size}")
        return [self._root(low, high).hex() for low, high in path_ranges(index, self.size)]


def _range_root(leaves: Sequence[bytes], low: int, high: int) -> bytes:
    if high - low == 1:
        return leaves[low]
    k = 1 << ((high - low - 1).bit_length() - 1)
    return node_hash(_range_root(leaves, low, low + k), _range_root(leaves, low + k, high))
