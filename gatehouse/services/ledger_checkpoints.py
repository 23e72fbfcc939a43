"""Signing checkpoints: each one chained to the one before, then published outside the database.

Every call is its own unit of work. A new checkpoint carries, per shard, the consistency proof
from the previous checkpoint, built from the stored leaf hashes and checked before anything is
signed, so Gatehouse never signs over a ledger that no longer extends what it signed before.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from gatehouse.domain.errors import Conflict
from gatehouse.ledger import (
    Checkpoint,
    CheckpointSigner,
    CompactRange,
    LeafRun,
    ShardHead,
    ShardState,
    extension_proof,
    verify_consistency,
)
from gatehouse.services.audit_days import drop_late_days
from gatehouse.services.ledger_anchors import anchor_document, publish
from gatehouse.services.ledger_append import LEDGER_SHARDS
from gatehouse.services.ledger_keys import LEGACY_SIGNING_SECRET, signer
from gatehouse.services.ledger_subtrees import SubtreeLedger, store_subtrees, stored_frontier
from gatehouse.services.ports import DuplicateKey, Ledger
from gatehouse.services.runtime import Gatehouse

__all__ = [
    "LEDGER_SIGNING_SECRET",
    "stored_signer",
    "public_key",
    "make_checkpoint",
    "checkpoint_if_due",
    "latest_checkpoint",
]

LEDGER_SIGNING_SECRET = LEGACY_SIGNING_SECRET
"""Where databases from before key derivation stored their signing key; nothing writes it now."""

_CHECKPOINT_ATTEMPTS = 5
_log = logging.getLogger(__name__)


def stored_signer(gh: Gatehouse) -> CheckpointSigner | None:
    """The signing key once a checkpoint has been signed, else None (nothing to vouch for)."""
    if latest_checkpoint(gh) is None:
        return None
    return signer(gh)


def public_key(gh: Gatehouse) -> str:
    """The base64 Ed25519 public key that verifies new checkpoints of this ledger."""
    return signer(gh).public_key_b64()


def make_checkpoint(gh: Gatehouse) -> Checkpoint:
    """Sign every shard's current head as the next checkpoint, store it, publish it to the
    anchor directory when one is configured, and return it."""
    key = signer(gh)
    for _ in range(_CHECKPOINT_ATTEMPTS):
        try:
            with gh.unit_of_work() as uow:
                checkpoint, runs = _sign_next(uow.ledger, key, gh.clock())
            break
        except DuplicateKey:
            # Another process took this sequence number; read the newer state and try again.
            continue
    else:
        raise Conflict(
            "checkpoints are being signed concurrently; try again", code="checkpoint_busy"
        )
    if gh.checkpoint_dir is not None:
        document = anchor_document(checkpoint, key.public_key_b64(), runs)
        publish(gh.checkpoint_dir, checkpoint, document)
    return checkpoint


def _extension(
    repo: Ledger, before: ShardHead, after: ShardHead
) -> tuple[list[bytes], LeafRun | None]:
    """The consistency proof from ``before`` to ``after`` and the leaves in between, from one
    pass over the stored hashes; Conflict when they do not join the two signed roots."""
    shard = after.shard
    if after.size < before.size:
        raise _mismatch(shard, f"it holds {after.size} entries, {before.size} were signed")
    if after.size == before.size:
        if after.root != before.root:
            raise _mismatch(shard, "its root changed while its size did not")
        return [], None
    if isinstance(repo, SubtreeLedger):
        stored = stored_frontier(repo, shard, before.size)
        if stored is not None:
            return _checked_extension(repo, before, after, stored)
    frontier = CompactRange()
    leaves: list[bytes] = []
    last = ""
    for seq, entry_hash in repo.stream_hashes(shard, after.size):
        if seq != frontier.size + len(leaves):
            raise _mismatch(shard, f"entry {frontier.size + len(leaves)} is missing")
        leaf = bytes.fromhex(entry_hash)
        if seq < before.size:
            frontier.append(leaf)
        else:
            leaves.append(leaf)
        last = entry_hash
    if frontier.size + len(leaves) != after.size or last != after.head_hash:
        raise _mismatch(shard, f"the stored entries do not end at its head ({after.size})")
    proof = extension_proof(before.size, frontier.hashes, leaves)
    old_root, new_root = bytes.fromhex(before.root), bytes.fromhex(after.root)
    if not verify_consistency(before.size, after.size, old_root, new_root, proof):
        raise _mismatch(shard, "the stored entries do not extend the last checkpoint")
    return proof, LeafRun(shard, before.size, frontier.hashes, tuple(leaves))


def _checked_extension(
    repo: SubtreeLedger, before: ShardHead, after: ShardHead, frontier: tuple[bytes, ...]
) -> tuple[list[bytes], LeafRun]:
    """:func:`_extension` from the frontier of the signed tree and the leaves after it alone:
    a checkpoint then reads what the shard gained, not the whole shard. A frontier that does
    not rebuild the signed root fails the same consistency check as a changed leaf."""
    shard = after.shard
    leaves: list[bytes] = []
    last = before.head_hash
    for seq, entry_hash in repo.hashes_between(shard, before.size, after.size):
        if seq != before.size + len(leaves):
            raise _mismatch(shard, f"entry {before.size + len(leaves)} is missing")
        leaves.append(bytes.fromhex(entry_hash))
        last = entry_hash
    if before.size + len(leaves) != after.size or last != after.head_hash:
        raise _mismatch(shard, f"the stored entries do not end at its head ({after.size})")
    old_root, new_root = bytes.fromhex(before.root), bytes.fromhex(after.root)
    if CompactRange(before.size, frontier).root() != old_root:
        reason = f"the stored subtrees or entries below {before.size} do not rebuild its root"
        raise _mismatch(shard, reason)
    proof = extension_proof(before.size, frontier, leaves)
    if not verify_consistency(before.size, after.size, old_root, new_root, proof):
        raise _mismatch(shard, "the stored entries do not extend the last checkpoint")
    return proof, LeafRun(shard, before.size, frontier, tuple(leaves))


def _sign_next(
    repo: Ledger, key: CheckpointSigner, now: datetime
) -> tuple[Checkpoint, list[LeafRun]]:
    count = repo.shard_count(LEDGER_SHARDS, create=True)
    # The previous checkpoint is read before the heads, so the heads read are at least as new
    # as the ones it signed: each checkpoint then extends the one before it.
    previous = repo.latest_checkpoint()
    states = {shard: ShardState.from_dict(body) for shard, body in repo.state_bodies().items()}
    heads = [
        states[shard].head if shard in states else ShardHead.empty(shard) for shard in range(count)
    ]
    sequence = 1
    if previous is not None:
        sequence = previous.sequence + 1
        # Hosts' clocks disagree a little; a checkpoint is never dated before its predecessor.
        now = max(now, previous.at)
    proofs: list[list[bytes]] = []
    runs: list[LeafRun] = []
    covered: list[tuple[int, int, int]] = []
    for head in heads:
        before = ShardHead.empty(head.shard)
        if previous is not None:
            before = previous.head(head.shard) or before
        proof, run = _extension(repo, before, head)
        proofs.append(proof)
        runs += [] if run is None else [run]
        covered.append((head.shard, before.size, head.size))
    # An entry stamped in a kept day that only this checkpoint covers (a host whose clock
    # lagged) sends that day and those after it to be folded again.
    drop_late_days(repo, covered)
    checkpoint = key.sign(
        sequence,
        now,
        heads,
        previous=previous,
        consistency=proofs if previous is not None else (),
    )
    repo.add_checkpoint(checkpoint)
    if isinstance(repo, SubtreeLedger):
        # The leaves were just held to the signed roots: their complete subtrees are stored
        # now, off the append path, for proofs that need not read the shard.
        for head in heads:
            store_subtrees(repo, head.shard, head.size)
    return checkpoint, runs


def checkpoint_if_due(gh: Gatehouse, every: timedelta) -> Checkpoint | None:
    """Sign a checkpoint when the last one is older than ``every`` and the ledger has grown.

    Periodic checkpoints bound how much history an attacker with database access could
    rewrite unnoticed; an idle ledger gains nothing from more of them.
    """
    with gh.unit_of_work(read_only=True) as uow:
        previous = uow.ledger.latest_checkpoint()
        bodies = uow.ledger.state_bodies()
    size = sum(ShardState.from_dict(body).head.size for body in bodies.values())
    if previous is not None:
        signed = sum(head.size for head in previous.shards)
        if size == signed or gh.clock() - previous.at < every:
            return None
    elif size == 0:
        return None
    return make_checkpoint(gh)


def latest_checkpoint(gh: Gatehouse) -> Checkpoint | None:
    """The newest signed checkpoint, or None before the first one."""
    with gh.unit_of_work(read_only=True) as uow:
        return uow.ledger.latest_checkpoint()


def _mismatch(shard: int, reason: str) -> Conflict:
    _log.error("ledger shard %d cannot be checkpointed: %s", shard, reason)
    return Conflict(
        f"shard {shard} cannot be checkpointed: {reason}; run `gatehouse ledger verify`",
        code="ledger_mismatch",
        details={"shard": shard},
    )
