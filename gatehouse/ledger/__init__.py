"""The tamper-evident ledger: sharded hash chains, RFC 6962 Merkle trees, signed checkpoints.

This package is pure: it computes and checks, and leaves storage to an adapter built on it.
"""

from gatehouse.ledger.append import ShardState, append_entry
from gatehouse.ledger.checkpoint import (
    CHECKPOINT_FORMAT,
    Checkpoint,
    CheckpointSigner,
    ShardHead,
    checkpoint_root,
    key_id_for,
    verify_checkpoint,
)
from gatehouse.ledger.entry import (
    GENESIS_HASH,
    LedgerEntry,
    canonical_bytes,
    format_at,
    leaf_hash,
    make_entry,
    parse_at,
    shard_for,
)
from gatehouse.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)
from gatehouse.ledger.proofs import (
    LeafTree,
    checkpoint_inclusion,
    path_ranges,
    streamed_audit_path,
    verify_inclusion_proof,
)
from gatehouse.ledger.verify import (
    BadEntry,
    VerifyResult,
    verify_ledger,
)

__all__ = [
    "BadEntry",
    "CHECKPOINT_FORMAT",
    "Checkpoint",
    "CheckpointSigner",
    "CompactRange",
    "EMPTY_ROOT",
    "GENESIS_HASH",
    "HASH_SIZE",
    "LedgerEntry",
    "ShardHead",
    "ShardState",
    "VerifyResult",
    "append_entry",
    "canonical_bytes",
    "checkpoint_inclusion",
    "checkpoint_root",
    "consistency_proof",
    "format_at",
    "inclusion_proof",
    "key_id_for",
    "leaf_hash",
    "make_entry",
    "node_hash",
    "parse_at",
    "path_ranges",
    "LeafTree",
    "root",
    "shard_for",
    "streamed_audit_path",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
    "verify_inclusion_proof",
    "verify_ledger",
]
