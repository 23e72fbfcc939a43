"""The tamper-evident ledger: sharded hash chains, RFC 6962 Merkle trees, signed checkpoints.

This package is pure: it computes and checks, and leaves storage to an adapter built on it.
"""

from gatehouse.ledger.append import ShardState, append_entry
from gatehouse.ledger.chain import (
    LeafRun,
    chain_problem,
    proven_leaves,
    published_problem,
    trusted_key_for,
)
from gatehouse.ledger.checkpoint import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_FORMAT_V1,
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
from gatehouse.ledger.keys import SIGNING_KEY_INFO, derive_signer, key_fingerprint
from gatehouse.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    CompactRange,
    consistency_proof,
    extension_proof,
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
    "CHECKPOINT_FORMAT_V1",
    "LeafRun",
    "SIGNING_KEY_INFO",
    "chain_problem",
    "derive_signer",
    "key_fingerprint",
    "proven_leaves",
    "published_problem",
    "trusted_key_for",
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
    "extension_proof",
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
