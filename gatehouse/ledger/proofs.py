"""Two-level inclusion proofs: an entry in its shard tree, and that shard's head in a checkpoint.

Both levels are plain RFC 9162 audit paths, so a customer or an auditor can check a proof with
any Certificate Transparency library given the checkpoint and its public key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gatehouse.ledger.checkpoint import Checkpoint, verify_checkpoint
from gatehouse.ledger.merkle import CompactRange, inclusion_proof, node_hash, verify_inclusion

__all__ = [
    "LeafTree",
    "checkpoint_inclusion",
    "verify_inclusion_proof",
    "path_ranges",
    "streamed_audit_path",
]


def checkpoint_inclusion(checkpoint: Checkpoint, shard: int) -> list[str]:
    """Return the audit path (hex) of ``shard``'s head leaf in the checkpoint's tree."""
    if checkpoint.head(shard) is None:
        raise ValueError(f"checkpoint #{checkpoint.sequence} has no head for shard {shard}")
    leaves = [head.leaf() for head in checkpoint.shards]
    return [node.hex() for node in inclusion_proof(leaves, shard)]


def path_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose subtree roots make up RFC 6962 PATH(index), nearest first."""
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


class LeafTree:
    """Every perfect subtree of a shard's leaves, hashed once, for many audit paths.

    Building it costs one node hash per leaf; each audit path then costs O(log² n) lookups
    and hashes, where :func:`streamed_audit_path` reads every leaf again for each path.
    It holds about two hashes per leaf, so it suits a shard read once for several proofs.
    """

    def __init__(self, leaves: list[bytes]) -> None:
        self.size = len(leaves)
        levels = [leaves]
        while len(levels[-1]) > 1:
            below = levels[-1]
            levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
        self._levels = levels

    def _root(self, lo: int, hi: int) -> bytes:
        width = hi - lo
        if width & (width - 1) == 0 and lo % width == 0:
            # A perfect, aligned subtree: hashed already. RFC 6962 splits only into these.
            return self._levels[width.bit_length() - 1][lo // width]
        k = 1 << ((width - 1).bit_length() - 1)
        return node_hash(self._root(lo, lo + k), self._root(lo + k, hi))

    def root(self) -> bytes:
        """The tree's root hash."""
        if self.size == 0:
            raise ValueError("an empty tree has no root")
        return self._root(0, self.size)

    def audit_path(self, index: int) -> list[str]:
        """RFC 6962 PATH(index) as hex, nearest first."""
        if not 0 <= index < self.size:
            raise ValueError(f"leaf {index} is not in a tree of {self.size}")
        return [self._root(lo, hi).hex() for lo, hi in path_ranges(index, self.size)]


def streamed_audit_path(hashes: Iterable[tuple[int, str]], index: int, size: int) -> list[str]:
    """The audit path of leaf ``index``, from leaf hashes streamed in order, in O(log n) memory.

    ``hashes`` yields ``(seq, hex leaf hash)`` from seq 0; a gap or a count other than
    ``size`` raises ValueError. The ranges of the path are disjoint and cover every leaf but
    ``index``, so one pass that feeds each leaf to its range's compact range yields every
    subtree root.
    """
    ranges = path_ranges(index, size)
    ordered = sorted(ranges)
    subtrees = {bounds: CompactRange() for bounds in ranges}
    current = 0
    expected = 0
    for seq, entry_hash in hashes:
        if seq != expected:
            raise ValueError(f"entry {expected} is missing")
        expected += 1
        if seq == index:
            continue
        while ordered[current][1] <= seq:
            current += 1
        subtrees[ordered[current]].append(bytes.fromhex(entry_hash))
    if expected != size:
        raise ValueError(f"found {expected} entries, expected {size}")
    return [subtrees[bounds].root().hex() for bounds in ranges]


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("expected an integer")
    return value


def _hex_list(value: object) -> list[bytes]:
    if not isinstance(value, list):
        raise TypeError("expected a list of hex strings")
    return [bytes.fromhex(item) for item in value]


def verify_inclusion_proof(
    proof: Mapping[str, Any], checkpoint: Checkpoint, public_key_b64: str | None = None
) -> bool:
    """Check both levels of a proof against ``checkpoint``.

    Without ``public_key_b64`` this only shows the entry is in *this* checkpoint; pass the key
    (or call :func:`verify_checkpoint` first) before trusting the checkpoint itself.
    """
    try:
        shard = _int(proof["shard"])
        seq = _int(proof["seq"])
        tree_size = _int(proof["tree_size"])
        leaf = bytes.fromhex(proof["leaf_hash"])
        audit_path = _hex_list(proof["audit_path"])
        shard_root = bytes.fromhex(proof["shard_root"])
        cp_path_hex = proof.get("checkpoint_path")
        checkpoint_path = None if cp_path_hex is None else _hex_list(cp_path_hex)
    except (KeyError, TypeError, ValueError):
        return False
    if "checkpoint_sequence" in proof and proof["checkpoint_sequence"] != checkpoint.sequence:
        return False
    if public_key_b64 is not None and not verify_checkpoint(checkpoint, public_key_b64):
        return False
    if not verify_inclusion(leaf, seq, tree_size, audit_path, shard_root):
        return False
    claimed = checkpoint.head(shard)
    if claimed is None or claimed.size != tree_size or claimed.root != shard_root.hex():
        return False
    try:
        if checkpoint_path is None:
            checkpoint_path = _hex_list(checkpoint_inclusion(checkpoint, shard))
        checkpoint_root = bytes.fromhex(checkpoint.root)
        head_leaf = claimed.leaf()
    except (TypeError, ValueError):
        return False
    return verify_inclusion(
        head_leaf, shard, len(checkpoint.shards), checkpoint_path, checkpoint_root
    )
