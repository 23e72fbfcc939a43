"""One pass over a shard's entries: every hash, every link, and the Merkle roots checkpoints need.

The pass keeps O(log n) state, so a shard of any size is checked in constant memory. Entries
arrive either one by one, decoded (:meth:`ShardScanner.add`), or as runs of raw leaf
documents already checked by :func:`checked_leaves` (:meth:`ShardScanner.extend`): a run whose
every entry hashes, links and follows in order needs none of the per-entry diagnosis, and a
run that does not is read again entry by entry, so both paths name the same first problem.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from gatehouse.ledger.entry import GENESIS_HASH, LedgerEntry
from gatehouse.ledger.merkle import EMPTY_ROOT, HASH_SIZE, CompactRange, perfect_root
from gatehouse.ledger.verify_types import BadEntry

__all__ = ["LeafRow", "ShardScan", "ShardScanner", "checked_leaves"]

LeafRow = tuple[int, bytes, str, str]
"""``(seq, canonical bytes, stored entry_hash, stored prev_hash)`` of one stored entry."""

_LEAF_PREFIX = b"\x00"
_digest = operator.methodcaller("digest")


@dataclass
class ShardScan:
    """What one pass over a shard's entries established; plain data, so it crosses processes."""

    count: int = 0
    problem: BadEntry | None = None
    root: bytes = EMPTY_ROOT
    last_hash: str = GENESIS_HASH
    # Merkle root and last entry hash at each size a checkpoint needs, gathered in the one pass.
    roots_at: dict[int, bytes] = field(default_factory=dict)
    hashes_at: dict[int, str] = field(default_factory=dict)
    # The first entry whose leaf differs from a leaf a published checkpoint proved: an entry
    # rewritten with the chain recomputed after it, which only a root would otherwise show.
    rewritten: int | None = None
    # Roots of the aligned perfect subtrees of ``block`` leaves seen, by index, when asked for.
    blocks: dict[int, bytes] = field(default_factory=dict)


def checked_leaves(rows: Sequence[LeafRow], first: int, prev_hash: str) -> list[bytes] | None:
    """The leaf hashes of ``rows`` when each follows the last (seq from ``first``, prev_hash
    from ``prev_hash``) and hashes to its stored ``entry_hash``; else None, and the caller
    reads the run again entry by entry to name the problem."""
    if not rows:
        return []
    seqs, documents, hashes, links = zip(*rows, strict=True)
    # Whole-run comparisons and C-level maps: the verifier's per-entry Python work is here.
    if seqs != tuple(range(first, first + len(rows))) or links[0] != prev_hash:
        return None
    if links[1:] != hashes[:-1]:
        return None
    leaves = list(map(_digest, map(hashlib.sha256, map(_LEAF_PREFIX.__add__, documents))))
    if list(map(bytes.hex, leaves)) != list(hashes):
        return None
    return leaves


def _recomputed_leaf(entry: LedgerEntry) -> tuple[bytes, str | None]:
    try:
        return entry.leaf(), None
    except (ValueError, TypeError, AttributeError) as exc:
        # A placeholder leaf keeps later checkpoint roots computable; it can never match.
        return bytes(HASH_SIZE), str(exc)


def _entry_problem(
    entry: LedgerEntry,
    shard: int,
    position: int,
    leaf: bytes,
    error: str | None,
    prev_hash: str,
    before_prev: str,
) -> BadEntry | None:
    if entry.shard != shard:
        return BadEntry(shard, position, f"entry belongs to shard {entry.shard}")
    if error is not None:
        return BadEntry(shard, position, f"malformed entry: {error}")
    if leaf.hex() != entry.entry_hash:
        return BadEntry(shard, position, "hash mismatch (entry was edited)")
    if entry.prev_hash == prev_hash:
        return None
    if position == 0:
        return BadEntry(shard, 0, "prev_hash of entry 0 is not the genesis hash")
    if entry.prev_hash == before_prev:
        # This entry skips its predecessor, so the predecessor was slipped into the chain.
        target = "the genesis hash" if position == 1 else f"entry {position - 2}"
        return BadEntry(shard, position - 1, f"inserted entry: entry {position} links to {target}")
    return BadEntry(shard, position, f"prev_hash does not link to entry {position - 1}")


def _sequence_problem(shard: int, position: int, found: int, later: set[int]) -> BadEntry:
    if found < 0:
        return BadEntry(shard, position, f"malformed entry: seq {found}")
    if found < position:
        return BadEntry(shard, found, f"duplicate seq {found}: an entry was inserted")
    if position in later:
        return BadEntry(shard, position, f"out of order: expected {position}, found {found}")
    return BadEntry(
        shard, position, f"sequence gap: expected {position}, found {found} (missing entry)"
    )


class ShardScanner:
    """Walks one shard's entries in stored order; :meth:`finish` returns the :class:`ShardScan`.

    ``sizes`` are the tree sizes whose roots checkpoints claim, ``known`` the leaves published
    checkpoints proved (by seq), and ``block`` (a power of two), when given, asks for the root
    of every aligned perfect subtree of that many leaves, to hold stored subtrees to.
    """

    def __init__(
        self,
        shard: int,
        sizes: Iterable[int] = (),
        known: Mapping[int, bytes] | None = None,
        *,
        block: int = 0,
    ) -> None:
        if block and block & (block - 1):
            raise ValueError("a block holds a power of two leaves")
        self.shard = shard
        self._sizes = set(sizes)
        self._known = dict(known or {})
        self._block = block
        self._scan = ShardScan()
        self._compact = CompactRange()
        self._pending: list[bytes] = []  # leaves of the current block, when blocks are asked
        if 0 in self._sizes:
            self._scan.roots_at[0], self._scan.hashes_at[0] = EMPTY_ROOT, GENESIS_HASH
        self._prev_hash = self._before_prev = GENESIS_HASH
        self._anomaly: tuple[int, int] | None = None
        # Sequence numbers after the first anomaly tell a missing entry from a misplaced one.
        self._later: set[int] = set()

    @property
    def count(self) -> int:
        """Entries read so far: the position the next entry should hold."""
        return self._scan.count

    @property
    def prev_hash(self) -> str:
        """The entry_hash of the last entry read (the genesis hash before the first)."""
        return self._prev_hash

    @property
    def problem(self) -> BadEntry | None:
        """The first problem found so far, if any: an entry out of place counts from the
        moment it is seen, though :meth:`finish` names it in full."""
        if self._scan.problem is None and self._anomaly is not None:
            return _sequence_problem(self.shard, *self._anomaly, self._later)
        return self._scan.problem

    def report(self, problem: BadEntry) -> None:
        """Record a problem found beside the entries (an archive file that cannot be read or
        does not match its record); an entry's problem found before it still stands."""
        found = self._scan.problem
        if found is None or problem.seq <= found.seq:
            self._scan.problem = problem

    @property
    def in_order(self) -> bool:
        """False once an entry was out of place: every later entry must then come one by one."""
        return self._anomaly is None

    def add(self, entry: LedgerEntry) -> None:
        """Check one decoded entry, naming the first problem found in the shard."""
        scan = self._scan
        position = scan.count
        leaf, error = _recomputed_leaf(entry)
        seq = entry.seq
        seq_ok = isinstance(seq, int) and not isinstance(seq, bool)
        if self._anomaly is not None:
            if seq_ok:
                self._later.add(seq)
        elif scan.problem is None:
            if not seq_ok:
                scan.problem = BadEntry(
                    self.shard, position, "malformed entry: seq is not an integer"
                )
            elif seq != position:
                self._anomaly = (position, seq)
            else:
                scan.problem = _entry_problem(
                    entry, self.shard, position, leaf, error, self._prev_hash, self._before_prev
                )
        self._append([leaf], [entry.entry_hash])

    def extend(self, leaves: Sequence[bytes], entry_hashes: Sequence[str]) -> None:
        """Take a run that :func:`checked_leaves` accepted at the current position, with the
        run's stored entry hashes."""
        if self._anomaly is not None:
            raise ValueError("after an entry out of place, entries must come one by one")
        if len(leaves) != len(entry_hashes):
            raise ValueError("a run needs one entry hash per leaf")
        if leaves:
            self._append(leaves, entry_hashes)

    def _append(self, leaves: Sequence[bytes], entry_hashes: Sequence[str]) -> None:
        scan, compact = self._scan, self._compact
        start = scan.count
        width = len(leaves)
        end = start + width
        if self._known and scan.rewritten is None:
            for position, leaf in enumerate(leaves, start):
                if self._known.get(position, leaf) != leaf:
                    scan.rewritten = position
                    break
        for size in self._sizes:
            if start < size < end:
                # A checkpoint inside the run: its root from a copy of the range so far.
                partial = compact.copy()
                for leaf in leaves[: size - start]:
                    partial.append(leaf)
                scan.roots_at[size] = partial.root()
                scan.hashes_at[size] = entry_hashes[size - start - 1]
        aligned = width > 1 and width & (width - 1) == 0 and start % width == 0
        if aligned and width >= self._block:
            # An aligned run of 2^k leaves is one perfect subtree: hashed level by level
            # instead of a compact-range append per leaf.
            if self._block:
                roots = []
                for offset in range(0, width, self._block):
                    root = perfect_root(leaves[offset : offset + self._block])
                    scan.blocks[(start + offset) // self._block] = root
                    roots.append(root)
                compact.append_subtree(perfect_root(roots), width)
            else:
                compact.append_subtree(perfect_root(leaves), width)
        else:
            for position, leaf in enumerate(leaves, start + 1):
                compact.append(leaf)
                self._collect_block(leaf, position)
        self._before_prev = entry_hashes[-2] if width > 1 else self._prev_hash
        self._prev_hash = entry_hashes[-1]
        scan.count = end
        if end in self._sizes:
            scan.roots_at[end] = compact.root()
            scan.hashes_at[end] = entry_hashes[-1]

    def _collect_block(self, leaf: bytes, position: int) -> None:
        if not self._block:
            return
        self._pending.append(leaf)
        if position % self._block == 0:
            self._scan.blocks[position // self._block - 1] = perfect_root(self._pending)
            self._pending = []

    def finish(self) -> ShardScan:
        """The scan, once every entry was read."""
        scan = self._scan
        if self._anomaly is not None:
            found = _sequence_problem(self.shard, *self._anomaly, self._later)
            if scan.problem is None or found.seq <= scan.problem.seq:
                scan.problem = found
        scan.root = self._compact.root()
        scan.last_hash = self._prev_hash
        return scan
