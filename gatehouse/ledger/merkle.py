"""RFC 6962 / RFC 9162 Merkle tree hashes, audit paths and consistency proofs.

Only the standard Certificate Transparency tree shape and verification algorithms are used, so
that tools outside Gatehouse can check its proofs without knowing anything about Gatehouse.
Every function here works on leaf *hashes* (32 bytes each), never on raw leaf data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

__all__ = [
    "HASH_SIZE",
    "EMPTY_ROOT",
    "leaf_hash",
    "node_hash",
    "root",
    "inclusion_proof",
    "verify_inclusion",
    "consistency_proof",
    "verify_consistency",
    "extension_proof",
    "CompactRange",
    "perfect_root",
]

HASH_SIZE = 32
# The one-byte prefixes keep a leaf from ever being passed off as an interior node
# (second-preimage resistance), exactly as RFC 6962 section 2.1 prescribes.
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 6962 leaf hash ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 6962 interior node hash ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def perfect_root(leaves: Sequence[bytes]) -> bytes:
    """MTH of a perfect tree (a power of two leaves), hashed a level at a time.

    The same value as :func:`root` for such a tree, without its recursion: the verifier
    hashes every leaf of the ledger through here.
    """
    width = len(leaves)
    if width == 0 or width & (width - 1):
        raise ValueError("a perfect tree holds a power of two leaves")
    sha256 = hashlib.sha256
    level = list(leaves)
    while len(level) > 1:
        pairs = zip(level[::2], level[1::2], strict=True)
        level = [sha256(_NODE_PREFIX + left + right).digest() for left, right in pairs]
    return level[0]


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _check_leaves(leaves: Sequence[bytes]) -> None:
    for position, leaf in enumerate(leaves):
        if not _is_hash(leaf):
            raise ValueError(f"leaf {position} is not a {HASH_SIZE}-byte hash")


def _split(size: int) -> int:
    """The largest power of two strictly below ``size`` (``size >= 2``): RFC 6962's ``k``."""
    return 1 << ((size - 1).bit_length() - 1)


def _subtree(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) for a non-empty range; indices instead of slices keep it O(n)."""
    if hi - lo == 1:
        return leaves[lo]
    k = _split(hi - lo)
    return node_hash(_subtree(leaves, lo, lo + k), _subtree(leaves, lo + k, hi))


def root(leaves: Sequence[bytes]) -> bytes:
    """Return the Merkle tree hash (MTH) of ``leaves``; the empty tree hashes to SHA-256("")."""
    _check_leaves(leaves)
    if not leaves:
        return EMPTY_ROOT
    return _subtree(leaves, 0, len(leaves))


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """Return the audit path (RFC 6962 PATH) for leaf ``index``, nearest sibling first."""
    _check_leaves(leaves)
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf index {index} is outside a tree of {len(leaves)} leaves")
    path: list[bytes] = []
    lo, hi = 0, len(leaves)
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(_subtree(leaves, lo + k, hi))
            hi = lo + k
        else:
            path.append(_subtree(leaves, lo, lo + k))
            lo += k
    # Collected top-down; the RFC lists the path from the leaf upwards.
    path.reverse()
    return path


def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root_hash: bytes
) -> bool:
    """Check an audit path with the RFC 9162 section 2.1.3.2 algorithm."""
    if not (_is_hash(leaf) and _is_hash(root_hash) and all(_is_hash(p) for p in proof)):
        return False
    if not 0 <= index < tree_size:
        return False
    fn, sn = index, tree_size - 1
    result = leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and result == root_hash


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """Return the RFC 6962 consistency proof (PROOF) from ``old_size`` to ``len(leaves)``."""
    _check_leaves(leaves)
    new_size = len(leaves)
    if not 0 <= old_size <= new_size:
        raise ValueError(f"old size {old_size} is outside 0..{new_size}")
    if old_size in (0, new_size):
        return []
    proof: list[bytes] = []
    # Iterative SUBPROOF(m, D[lo:hi], whole): ``whole`` is the RFC's flag b.
    lo, hi, m, whole = 0, new_size, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(_subtree(leaves, lo + k, hi))
            hi = lo + k
        else:
            proof.append(_subtree(leaves, lo, lo + k))
            lo += k
            m -= k
            whole = False
    if not whole:
        proof.append(_subtree(leaves, lo, hi))
    proof.reverse()
    return proof


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> bool:
    """Check a consistency proof with the RFC 9162 section 2.1.4.2 algorithm."""
    if not (_is_hash(old_root) and _is_hash(new_root) and all(_is_hash(p) for p in proof)):
        return False
    if not 0 <= old_size <= new_size:
        return False
    # The RFC leaves these two cases to the caller: both have an empty proof.
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old_result = new_result = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            old_result = node_hash(node, old_result)
            new_result = node_hash(node, new_result)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            new_result = node_hash(new_result, node)
        fn >>= 1
        sn >>= 1
    return sn == 0 and old_result == old_root and new_result == new_root


def _frontier_ranges(size: int) -> list[tuple[int, int]]:
    """The leaf ranges of a tree's frontier: its perfect subtrees, largest (leftmost) first."""
    ranges, lo = [], 0
    for bit in reversed(range(size.bit_length())):
        if size >> bit & 1:
            ranges.append((lo, lo + (1 << bit)))
            lo += 1 << bit
    return ranges


def extension_proof(
    old_size: int, frontier: Sequence[bytes], new_leaves: Sequence[bytes]
) -> list[bytes]:
    """PROOF(old_size, old_size + len(new_leaves)) from the old tree's frontier and the leaves
    appended since: every node of such a proof lies wholly in one of those two parts, so the
    old leaves themselves are never needed."""
    _check_leaves(frontier)
    _check_leaves(new_leaves)
    if len(frontier) != old_size.bit_count():
        raise ValueError("a frontier of size n holds exactly popcount(n) hashes")
    known = dict(zip(_frontier_ranges(old_size), frontier, strict=True))
    new_size = old_size + len(new_leaves)
    if old_size in (0, new_size):
        return []
    proof: list[bytes] = []

    def node(lo: int, hi: int) -> bytes:
        if lo >= old_size:
            return _subtree(new_leaves, lo - old_size, hi - old_size)
        if (lo, hi) not in known:
            raise ValueError(f"leaf range {lo}..{hi} is not on the old tree's frontier")
        return known[(lo, hi)]

    # The same walk as consistency_proof, over the two parts instead of every leaf.
    lo, hi, m, whole = 0, new_size, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(node(lo + k, hi))
            hi = lo + k
        else:
            proof.append(node(lo, lo + k))
            lo += k
            m -= k
            whole = False
    if not whole:
        proof.append(node(lo, hi))
    proof.reverse()
    return proof


class CompactRange:
    """The roots of the perfect subtrees along a growing tree's right edge.

    It lets a shard head keep its Merkle root current in O(log n) space and amortised O(1)
    hashing per append, so nobody has to reload every leaf to sign a checkpoint.
    """

    __slots__ = ("_size", "_hashes")

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        stored = list(hashes)
        if size < 0 or len(stored) != size.bit_count():
            raise ValueError("a compact range of size n holds exactly popcount(n) hashes")
        _check_leaves(stored)
        self._size = size
        self._hashes = stored

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The subtree roots, largest (leftmost) first: with ``size``, the state to persist."""
        return tuple(self._hashes)

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash at the right edge."""
        if not _is_hash(leaf):
            raise ValueError(f"a leaf must be a {HASH_SIZE}-byte hash")
        self._hashes.append(leaf)
        self._size += 1
        # Each trailing zero bit of the new size is a pair of equal subtrees to merge.
        size = self._size
        while not size & 1:
            right = self._hashes.pop()
            left = self._hashes.pop()
            self._hashes.append(node_hash(left, right))
            size >>= 1

    def append_subtree(self, node: bytes, width: int) -> None:
        """Add the root of a perfect subtree of ``width`` (a power of two) leaves at the right
        edge; the tree's size must be a multiple of ``width``, as RFC 6962 aligns subtrees."""
        if not _is_hash(node):
            raise ValueError(f"a subtree root must be a {HASH_SIZE}-byte hash")
        if width < 1 or width & (width - 1) or self._size % width:
            raise ValueError(f"a subtree of {width} leaves is not aligned at {self._size}")
        self._hashes.append(node)
        self._size += width
        size = self._size // width
        while not size & 1:
            right = self._hashes.pop()
            left = self._hashes.pop()
            self._hashes.append(node_hash(left, right))
            size >>= 1

    def root(self) -> bytes:
        """Return the Merkle tree hash of the leaves appended so far."""
        if not self._hashes:
            return EMPTY_ROOT
        # Folding right to left reproduces RFC 6962's largest-power-of-two split.
        result = self._hashes[-1]
        for subtree in reversed(self._hashes[:-1]):
            result = node_hash(subtree, result)
        return result

    def copy(self) -> CompactRange:
        """Return an independent copy."""
        return CompactRange(self._size, self._hashes)
