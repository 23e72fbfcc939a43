"""The chain of checkpoints: each one signed by a trusted key, numbered without a gap, naming
its predecessor's hash and proving (RFC 6962, per shard) that it extends it; and checkpoints
published outside the database held to the stored ones.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from gatehouse.ledger.checkpoint import Checkpoint, verify_checkpoint
from gatehouse.ledger.merkle import CompactRange, verify_consistency
from gatehouse.ledger.verify_types import BadEntry

__all__ = ["LeafRun", "trusted_key_for", "chain_problem", "published_problem", "proven_leaves"]


def trusted_key_for(checkpoint: Checkpoint, trusted_keys: Collection[str]) -> str | None:
    """The trusted key (base64) whose signature the checkpoint carries, or None."""
    if checkpoint.chained:
        key = checkpoint.public_key
        candidates: Iterable[str] = () if key is None or key not in trusted_keys else (key,)
    else:
        candidates = trusted_keys
    for key in candidates:
        if verify_checkpoint(checkpoint, key):
            return key
    return None


def _pair_problem(older: Checkpoint, newer: Checkpoint) -> BadEntry | None:
    old_k, new_k = older.sequence, newer.sequence
    if new_k != old_k + 1:
        missing = f"#{old_k + 1}" if new_k == old_k + 2 else f"#{old_k + 1}..#{new_k - 1}"
        return BadEntry(-1, -1, f"checkpoint {missing} is missing (after #{old_k}, #{new_k})")
    if len(newer.shards) != len(older.shards):
        reason = f"checkpoint #{new_k} covers {len(newer.shards)} shards, #{old_k} covers"
        return BadEntry(-1, -1, f"{reason} {len(older.shards)}")
    if newer.at < older.at:
        return BadEntry(-1, -1, f"checkpoint #{new_k} is dated before checkpoint #{old_k}")
    for before, after in zip(older.shards, newer.shards, strict=True):
        if after.size < before.size:
            reason = (
                f"checkpoint #{new_k} shrinks shard {after.shard}"
                f" from {before.size} to {after.size} entries"
            )
            return BadEntry(after.shard, after.size, reason)
    if not newer.chained:
        return None
    if newer.previous != older.digest():
        reason = f"checkpoint #{new_k} does not name the hash of checkpoint #{old_k}"
        return BadEntry(-1, -1, f"{reason}: one of them was replaced")
    if len(newer.consistency) != len(newer.shards):
        return BadEntry(-1, -1, f"checkpoint #{new_k} lacks a consistency proof per shard")
    for before, after, proof in zip(older.shards, newer.shards, newer.consistency, strict=True):
        try:
            nodes = [bytes.fromhex(node) for node in proof]
            old_root, new_root = bytes.fromhex(before.root), bytes.fromhex(after.root)
        except ValueError:
            nodes, old_root, new_root = [], b"", b""
        if not verify_consistency(before.size, after.size, old_root, new_root, nodes):
            reason = f"checkpoint #{new_k} does not prove shard {after.shard} extends #{old_k}"
            return BadEntry(-1, -1, reason)
    return None


def chain_problem(checkpoints: Sequence[Checkpoint]) -> BadEntry | None:
    """The first break in verified checkpoints of one ledger, sorted by sequence."""
    if not checkpoints:
        return None
    first = checkpoints[0]
    if first.sequence != 1:
        missing = "#1" if first.sequence == 2 else f"#1..#{first.sequence - 1}"
        return BadEntry(
            -1, -1, f"checkpoint {missing} is missing (the first stored is #{first.sequence})"
        )
    if first.chained and (first.previous is not None or first.consistency):
        return BadEntry(-1, -1, "checkpoint #1 names a predecessor")
    for older, newer in zip(checkpoints, checkpoints[1:], strict=False):
        if older.sequence == newer.sequence:
            if (older.body_bytes(), older.signature) != (newer.body_bytes(), newer.signature):
                return BadEntry(-1, -1, f"two different checkpoints #{newer.sequence}")
            continue
        problem = _pair_problem(older, newer)
        if problem is not None:
            return problem
    return None


def published_problem(
    stored: Mapping[int, Checkpoint], published: Sequence[tuple[str, Checkpoint]]
) -> BadEntry | None:
    """The first published checkpoint (``(where, checkpoint)``) the database lost or changed."""
    for where, checkpoint in sorted(published, key=lambda item: item[1].sequence):
        number = checkpoint.sequence
        ours = stored.get(number)
        if ours is None:
            return BadEntry(
                -1, -1, f"checkpoint #{number} from {where} is missing from the database"
            )
        if (ours.body_bytes(), ours.signature) != (checkpoint.body_bytes(), checkpoint.signature):
            why = "signed by another key" if ours.key_id != checkpoint.key_id else "rewritten"
            return BadEntry(
                -1, -1, f"checkpoint #{number} in the database differs from {where} ({why})"
            )
    return None


@dataclass(frozen=True)
class LeafRun:
    """Leaves ``first``.. of a shard a checkpoint newly covered, with the Merkle frontier of
    the ``first`` leaves before them: together they rebuild the root the checkpoint signed."""

    shard: int
    first: int
    frontier: tuple[bytes, ...]
    leaves: tuple[bytes, ...]


def proven_leaves(
    runs: Iterable[tuple[Checkpoint, LeafRun]],
) -> dict[int, dict[int, bytes]]:
    """The leaves (shard, then seq) of each run that rebuilds its verified checkpoint's root.

    A run that does not is ignored: it only ever serves to name an entry, never to judge one.
    """
    known: dict[int, dict[int, bytes]] = {}
    for checkpoint, run in runs:
        head = checkpoint.head(run.shard)
        if head is None or head.size != run.first + len(run.leaves):
            continue
        try:
            tree = CompactRange(run.first, run.frontier)
            for leaf in run.leaves:
                tree.append(leaf)
        except ValueError:
            continue
        if tree.root().hex() == head.root:
            shard = known.setdefault(run.shard, {})
            shard.update(enumerate(run.leaves, start=run.first))
    return known
