"""Reference ledger computations, from scratch over whole shards, that Gatehouse's incremental
and streamed ones are held to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gatehouse.ledger import (
    GENESIS_HASH,
    Checkpoint,
    LedgerEntry,
    ShardHead,
    checkpoint_inclusion,
    inclusion_proof,
    root,
    verify_ledger,
)


def shard_head(entries: Sequence[LedgerEntry], shard: int) -> ShardHead:
    """The head of a shard whose chain verifies, from all of its entries."""
    result = verify_ledger({shard: entries})
    assert result.ok, result.first_bad
    return ShardHead(
        shard=shard,
        size=len(entries),
        root=root([entry.leaf() for entry in entries]).hex(),
        head_hash=entries[-1].entry_hash if entries else GENESIS_HASH,
    )


def inclusion_proof_for(
    entries_of_shard: Sequence[LedgerEntry],
    seq: int,
    tree_size: int,
    checkpoint: Checkpoint | None = None,
) -> dict[str, Any]:
    """The proof that entry ``seq`` is in the shard's tree of ``tree_size`` entries, with the
    checkpoint-level path when ``checkpoint`` is given: the shape the API serves."""
    assert 0 <= seq < tree_size <= len(entries_of_shard)
    leaves = [entry.leaf() for entry in entries_of_shard[:tree_size]]
    shard = entries_of_shard[0].shard
    proof: dict[str, Any] = {
        "shard": shard,
        "seq": seq,
        "tree_size": tree_size,
        "leaf_hash": leaves[seq].hex(),
        "audit_path": [node.hex() for node in inclusion_proof(leaves, seq)],
        "shard_root": root(leaves).hex(),
    }
    if checkpoint is not None:
        proof["checkpoint_sequence"] = checkpoint.sequence
        proof["checkpoint_path"] = checkpoint_inclusion(checkpoint, shard)
    return proof
