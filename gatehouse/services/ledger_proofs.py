"""Inclusion proofs of stored entries against the latest signed checkpoint."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatehouse.domain.errors import Conflict, NotFound
from gatehouse.ledger import (
    Checkpoint,
    LeafTree,
    LedgerEntry,
    StoredTree,
    checkpoint_inclusion,
    streamed_audit_path,
    verify_inclusion_proof,
)
from gatehouse.services.ledger_archive_entries import with_archives
from gatehouse.services.ledger_subtrees import SubtreeLedger, preload_paths, stored_tree
from gatehouse.services.ports import Ledger
from gatehouse.services.runtime import Gatehouse

__all__ = ["InclusionProof", "prove", "inclusion_proofs", "entry_proof"]

Position = tuple[int, int]
# About 64 MB of hashes: above it a shard's proofs stream its leaves instead.
_MAX_TREE_LEAVES = 1 << 20


@dataclass(frozen=True)
class InclusionProof:
    """An entry, its audit path in its shard, and its shard's path in a signed checkpoint."""

    shard: int
    seq: int
    tree_size: int
    leaf_hash: str
    audit_path: list[str]
    shard_root: str
    checkpoint_sequence: int
    checkpoint_path: list[str]
    entry: LedgerEntry
    # The signed checkpoint the proof is against, for whoever checks it away from Gatehouse.
    checkpoint: Checkpoint | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of :func:`gatehouse.ledger.inclusion_proof_for`, with the entry.

        :func:`gatehouse.ledger.verify_inclusion_proof` checks it against the checkpoint.
        """
        return {**self.proof_fields(), "entry": self.entry.to_dict()}

    def proof_fields(self) -> dict[str, Any]:
        """The proof alone, without the entry."""
        return {
            "shard": self.shard,
            "seq": self.seq,
            "tree_size": self.tree_size,
            "leaf_hash": self.leaf_hash,
            "audit_path": list(self.audit_path),
            "shard_root": self.shard_root,
            "checkpoint_sequence": self.checkpoint_sequence,
            "checkpoint_path": list(self.checkpoint_path),
        }


def prove(
    ledger: Ledger, positions: Iterable[Position], archive_dir: Path | None = None
) -> dict[Position, InclusionProof]:
    """Prove each entry ``(shard, seq)`` is in the latest checkpoint, in the caller's unit of
    work: the checkpoint is read once, and every proof is against it. An archived entry and
    its block's leaves are read from its file in ``archive_dir`` (by default the configured
    archive directory).

    Raises ``NotFound`` when there is no checkpoint or an entry is not in it, and
    ``Conflict`` when the stored entries no longer reproduce the checkpoint.
    """
    wanted = sorted(set(positions))
    if not wanted:
        return {}
    ledger = with_archives(ledger, archive_dir)
    checkpoint = ledger.latest_checkpoint()
    if checkpoint is None:
        raise NotFound("no checkpoint has been signed yet", code="no_checkpoint")
    by_shard: dict[int, list[int]] = {}
    for shard, seq in wanted:
        by_shard.setdefault(shard, []).append(seq)
    proofs: dict[Position, InclusionProof] = {}
    # Each shard's path in the checkpoint is the same for all its proofs: computed once.
    paths: dict[int, list[str]] = {}
    for shard, seqs in by_shard.items():
        if isinstance(ledger, SubtreeLedger):
            # Stored subtrees: a few queries for all the shard's proofs, never the shard.
            head = checkpoint.head(shard)
            stored = None
            if head is not None:
                stored = stored_tree(ledger, shard, head.size)
                preload_paths(ledger, shard, stored, (s for s in seqs if 0 <= s < head.size))
            entries = ledger.entries_at(shard, seqs)
            for seq in seqs:
                proofs[(shard, seq)] = _prove(
                    ledger, checkpoint, shard, seq, paths, stored, entries.get(seq)
                )
        elif len(seqs) == 1:
            proofs[(shard, seqs[0])] = _prove(ledger, checkpoint, shard, seqs[0], paths)
        else:
            tree = _tree(ledger, checkpoint, shard)
            for seq in seqs:
                proofs[(shard, seq)] = _prove(ledger, checkpoint, shard, seq, paths, tree)
    return proofs


def _tree(ledger: Ledger, checkpoint: Checkpoint, shard: int) -> LeafTree | None:
    """The shard's leaves hashed once, for several proofs; None for a shard too large to hold
    in memory, whose proofs then stream its leaves one proof at a time."""
    head = checkpoint.head(shard)
    if head is None or head.size > _MAX_TREE_LEAVES:
        return None
    leaves: list[bytes] = []
    for seq, entry_hash in ledger.stream_hashes(shard, head.size):
        if seq != len(leaves):
            raise _tampered(shard, checkpoint, f"entry {len(leaves)} is missing")
        leaves.append(bytes.fromhex(entry_hash))
    if len(leaves) != head.size:
        raise _tampered(shard, checkpoint, f"found {len(leaves)} entries, expected {head.size}")
    return LeafTree(leaves)


def _prove(
    ledger: Ledger,
    checkpoint: Checkpoint,
    shard: int,
    seq: int,
    paths: dict[int, list[str]],
    tree: LeafTree | StoredTree | None = None,
    entry: LedgerEntry | None = None,
) -> InclusionProof:
    head = checkpoint.head(shard)
    if head is None:
        raise NotFound(f"the ledger has no shard {shard}", code="no_such_shard")
    if not 0 <= seq < head.size:
        raise NotFound(
            f"entry {seq} of shard {shard} is not in checkpoint #{checkpoint.sequence}",
            code="not_in_checkpoint",
            details={"checkpoint_sequence": checkpoint.sequence, "tree_size": head.size},
        )
    entry = entry or ledger.get_entry(shard, seq)
    if shard not in paths:
        paths[shard] = checkpoint_inclusion(checkpoint, shard)
    try:
        if entry is None or entry.leaf().hex() != entry.entry_hash:
            raise ValueError(f"entry {seq} does not match its hash")
        if tree is not None:
            path = tree.audit_path(seq)
        else:
            path = streamed_audit_path(ledger.stream_hashes(shard, head.size), seq, head.size)
    except ValueError as exc:
        raise _tampered(shard, checkpoint, str(exc)) from None
    proof = InclusionProof(
        shard=shard,
        seq=seq,
        tree_size=head.size,
        leaf_hash=entry.entry_hash,
        audit_path=path,
        shard_root=head.root,
        checkpoint_sequence=checkpoint.sequence,
        checkpoint_path=list(paths[shard]),
        entry=entry,
        checkpoint=checkpoint,
    )
    # The shard root is taken from the checkpoint, so this checks the stored leaves against it.
    if not verify_inclusion_proof(proof.proof_fields(), checkpoint):
        raise _tampered(shard, checkpoint, "the stored entries do not reproduce its root")
    return proof


def inclusion_proofs(
    gh: Gatehouse, positions: Iterable[Position]
) -> dict[Position, InclusionProof]:
    """:func:`prove` on one read-only snapshot: every proof against the same checkpoint."""
    with gh.unit_of_work(read_only=True) as uow:
        return prove(uow.ledger, positions, gh.archive_dir)


def entry_proof(gh: Gatehouse, shard: int, seq: int) -> InclusionProof:
    """Prove entry ``(shard, seq)`` is in the latest checkpoint; the entry itself is included."""
    return inclusion_proofs(gh, [(shard, seq)])[(shard, seq)]


def _tampered(shard: int, checkpoint: Checkpoint, reason: str) -> Conflict:
    return Conflict(
        f"shard {shard} no longer matches checkpoint #{checkpoint.sequence}: {reason}; "
        "run `gatehouse ledger verify`",
        code="ledger_mismatch",
        details={"shard": shard, "checkpoint_sequence": checkpoint.sequence},
    )
