"""Inclusion proofs of stored entries against the latest signed checkpoint."""

from __future__ import annotations

from typing import Any

from gatehouse.domain.errors import Conflict, NotFound
from gatehouse.ledger import (
    Checkpoint,
    checkpoint_inclusion,
    streamed_audit_path,
    verify_inclusion_proof,
)
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.ledger import LedgerRepository

__all__ = ["inclusion_proof"]


def inclusion_proof(gh: Gatehouse, shard: int, seq: int) -> dict[str, Any]:
    """Prove entry ``(shard, seq)`` is in the latest checkpoint; the entry itself is included.

    The proof has the shape of :func:`gatehouse.ledger.inclusion_proof_for`, so
    :func:`gatehouse.ledger.verify_inclusion_proof` checks it against that checkpoint.
    """
    with gh.engine.connect() as connection:
        repo = LedgerRepository(connection)
        checkpoint = repo.latest_checkpoint()
        if checkpoint is None:
            raise NotFound("no checkpoint has been signed yet", code="no_checkpoint")
        head = checkpoint.head(shard)
        if head is None:
            raise NotFound(f"the ledger has no shard {shard}", code="no_such_shard")
        if not 0 <= seq < head.size:
            raise NotFound(
                f"entry {seq} of shard {shard} is not in checkpoint #{checkpoint.sequence}",
                code="not_in_checkpoint",
                details={"checkpoint_sequence": checkpoint.sequence, "tree_size": head.size},
            )
        entry = repo.get_entry(shard, seq)
        try:
            if entry is None or entry.leaf().hex() != entry.entry_hash:
                raise ValueError(f"entry {seq} does not match its hash")
            path = streamed_audit_path(repo.stream_hashes(shard, head.size), seq, head.size)
        except ValueError as exc:
            raise _tampered(shard, checkpoint, str(exc)) from None
    proof: dict[str, Any] = {
        "shard": shard,
        "seq": seq,
        "tree_size": head.size,
        "leaf_hash": entry.entry_hash,
        "audit_path": path,
        "shard_root": head.root,
        "checkpoint_sequence": checkpoint.sequence,
        "checkpoint_path": checkpoint_inclusion(checkpoint, shard),
    }
    # The shard root is taken from the checkpoint, so this checks the stored leaves against it.
    if not verify_inclusion_proof(proof, checkpoint):
        raise _tampered(shard, checkpoint, "the stored entries do not reproduce its root")
    proof["entry"] = entry.to_dict()
    return proof


def _tampered(shard: int, checkpoint: Checkpoint, reason: str) -> Conflict:
    return Conflict(
        f"shard {shard} no longer matches checkpoint #{checkpoint.sequence}: {reason}; "
        "run `gatehouse ledger verify`",
        code="ledger_mismatch",
        details={"shard": shard, "checkpoint_sequence": checkpoint.sequence},
    )
