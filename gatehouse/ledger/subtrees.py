"""Stored subtree hashes: the roots of a shard's complete, aligned subtrees of 2^k leaves.

With every such root from :data:`BLOCK_LEVEL` up kept beside the entries, an audit path needs
the leaves of at most two blocks (the entry's, and the last, partial one) and O(log n) stored
roots, instead of every leaf of the shard. A stored root is only a shortcut: the path it
yields must still reproduce the signed shard root, and the verifier recomputes each one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from gatehouse.ledger.merkle import node_hash, perfect_root
from gatehouse.ledger.proofs import path_ranges
from gatehouse.ledger.verify_types import BadEntry

__all__ = [
    "BLOCK_LEAVES",
    "BLOCK_LEVEL",
    "TILE_LEAVES",
    "TILE_LEVEL",
    "StoredTree",
    "block_subtrees",
    "Subtree",
    "subtree_problem",
    "subtrees_above",
]

BLOCK_LEVEL = 10
BLOCK_LEAVES = 1 << BLOCK_LEVEL
"""Leaves under a block: the unit in which subtrees are stored, archived and checked."""

TILE_LEVEL = 6
TILE_LEAVES = 1 << TILE_LEVEL
"""Leaves under the smallest stored subtree: the most leaves a proof reads of one block.
A block's roots from this level up are stored with it, so that a page of proofs spread over
a shard reads 64 leaves and hashes 63 nodes per proof, not 1,024 and 1,023."""

Subtree = tuple[int, int, bytes]
"""``(level, index, root)``: the root over leaves ``index * 2^level`` up to the next index's."""


def subtrees_above(roots: Mapping[int, bytes], level: int = BLOCK_LEVEL) -> Iterator[Subtree]:
    """Every complete subtree from the roots at ``level`` (by index) up: those roots
    themselves, then each pair of siblings both present, level by level."""
    nodes = dict(roots)
    while nodes:
        for index in sorted(nodes):
            yield level, index, nodes[index]
        nodes = {
            index // 2: node_hash(nodes[index], nodes[index + 1])
            for index in nodes
            if index % 2 == 0 and index + 1 in nodes
        }
        level += 1


def block_subtrees(index: int, leaves: Sequence[bytes]) -> list[Subtree]:
    """The roots that a complete block stores: its tiles' and every level up to its own."""
    if len(leaves) != BLOCK_LEAVES:
        raise ValueError(f"block {index} holds {len(leaves)} leaves, not {BLOCK_LEAVES}")
    first = index * (BLOCK_LEAVES // TILE_LEAVES)
    tiles = {
        first + n: perfect_root(leaves[offset : offset + TILE_LEAVES])
        for n, offset in enumerate(range(0, BLOCK_LEAVES, TILE_LEAVES))
    }
    return [node for node in subtrees_above(tiles, TILE_LEVEL) if node[0] <= BLOCK_LEVEL]


def subtree_problem(
    shard: int,
    tiles: Mapping[int, bytes],
    stored: Iterable[tuple[int, int, str]],
) -> BadEntry | None:
    """The first stored subtree (``(level, index, hex root)``) that the shard's recomputed
    tile roots (of :data:`TILE_LEAVES` each) do not reproduce, or that covers entries the
    shard does not hold. A block stored before its tiles were is checked as ever."""
    expected = {(level, index): node for level, index, node in subtrees_above(tiles, TILE_LEVEL)}
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

    ``stored(level, index)`` returns a stored root or None; ``tile(index)`` returns the leaf
    hashes of tile ``index`` (fewer than :data:`TILE_LEAVES` for the last, partial one). A
    root missing from storage is rebuilt from the ones below it, down to tile leaves, so a
    shard whose subtrees were never stored still yields its paths, by reading its leaves.
    """

    def __init__(
        self,
        size: int,
        stored: Callable[[int, int], bytes | None],
        tile: Callable[[int], Sequence[bytes]],
    ) -> None:
        self.size = size
        # Only complete blocks store their roots: none is looked for in the last, partial one.
        self._complete = size - size % BLOCK_LEAVES
        self._stored = stored
        self._tile = tile
        self._tiles: dict[int, Sequence[bytes]] = {}
        # Roots read ahead by :meth:`preload`; None marks one known not to be stored.
        self._roots: dict[tuple[int, int], bytes | None] = {}
        self._computed: dict[tuple[int, int], bytes] = {}

    def reads_for(self, indices: Iterable[int]) -> tuple[list[tuple[int, int]], list[int]]:
        """The stored roots ``(level, index)`` and the tiles that the audit paths of the
        leaves ``indices`` read, not counting those already preloaded, when every root not
        known to be missing is stored: a caller fetches them at once and preloads
        them, and asks again in case some root was missing."""
        roots: set[tuple[int, int]] = set()
        tiles: set[int] = set()
        for index in indices:
            tiles.add(index // TILE_LEAVES)
            for low, high in path_ranges(index, self.size):
                self._reads_of(low, high, roots, tiles)
        return sorted(roots - self._roots.keys()), sorted(tiles - self._tiles.keys())

    def _reads_of(self, low: int, high: int, roots: set[tuple[int, int]], tiles: set[int]) -> None:
        width = high - low
        if self._storable(low, high):
            level = width.bit_length() - 1
            if self._roots.get((level, low >> level), b"") is not None:
                roots.add((level, low >> level))
                return
        if low // TILE_LEAVES == (high - 1) // TILE_LEAVES:
            tiles.add(low // TILE_LEAVES)
        else:
            k = 1 << ((width - 1).bit_length() - 1)
            self._reads_of(low, low + k, roots, tiles)
            self._reads_of(low + k, high, roots, tiles)

    def _storable(self, low: int, high: int) -> bool:
        width = high - low
        perfect = width & (width - 1) == 0 and low % width == 0
        return perfect and width >= TILE_LEAVES and high <= self._complete

    def preload(
        self,
        roots: Mapping[tuple[int, int], bytes | None],
        tiles: Mapping[int, Sequence[bytes]],
    ) -> None:
        """Take roots and tiles read ahead (a root mapped to None is not stored, and is
        rebuilt from below); later paths read them from here."""
        self._roots.update(roots)
        self._tiles.update(tiles)

    def _leaves(self, index: int) -> Sequence[bytes]:
        if index not in self._tiles:
            self._tiles[index] = self._tile(index)
        return self._tiles[index]

    def _root(self, low: int, high: int) -> bytes:
        if self._storable(low, high):
            key = ((high - low).bit_length() - 1, low // (high - low))
            found = self._roots[key] if key in self._roots else self._stored(*key)
            if found is not None:
                return found
        # Computed roots are kept: every path of a page shares the ones on the right edge.
        if (low, high) not in self._computed:
            self._computed[(low, high)] = self._compute(low, high)
        return self._computed[(low, high)]

    def _compute(self, low: int, high: int) -> bytes:
        if low // TILE_LEAVES == (high - 1) // TILE_LEAVES:
            # Inside one tile: from its leaves, which the proof reads once.
            leaves = self._leaves(low // TILE_LEAVES)
            base = low - low % TILE_LEAVES
            if high - base > len(leaves):
                raise ValueError(f"entries below {high} are missing")
            return _range_root(leaves, low - base, high - base)
        k = 1 << ((high - low - 1).bit_length() - 1)
        return node_hash(self._root(low, low + k), self._root(low + k, high))

    def leaf(self, index: int) -> bytes:
        """The leaf hash at ``index``, from its tile."""
        leaves = self._leaves(index // TILE_LEAVES)
        offset = index % TILE_LEAVES
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
