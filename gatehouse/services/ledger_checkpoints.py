"""The ledger's signing key and its signed checkpoints; each call is its own unit of work."""

from __future__ import annotations

from datetime import datetime, timedelta

from gatehouse.domain.errors import Conflict
from gatehouse.ledger import Checkpoint, CheckpointSigner, ShardHead, ShardState
from gatehouse.services.ledger_append import LEDGER_SHARDS
from gatehouse.services.ports import DuplicateKey, Ledger
from gatehouse.services.runtime import Gatehouse
from gatehouse.vault import unwrap_key, wrap_key

__all__ = [
    "LEDGER_SIGNING_SECRET",
    "stored_signer",
    "public_key",
    "make_checkpoint",
    "checkpoint_if_due",
    "latest_checkpoint",
]

LEDGER_SIGNING_SECRET = "ledger-signing"
"""The ``vault_secrets`` name (and wrapping context) of the checkpoint signing key."""

_CHECKPOINT_ATTEMPTS = 5


# -- the signing key ----------------------------------------------------------------------


def stored_signer(gh: Gatehouse) -> CheckpointSigner | None:
    """The stored checkpoint signing key, or None before the first checkpoint."""
    with gh.unit_of_work(read_only=True) as uow:
        wrapped = uow.vault_secrets.get(LEDGER_SIGNING_SECRET)
    if wrapped is None:
        return None
    raw = unwrap_key(wrapped, LEDGER_SIGNING_SECRET, gh.keyring)
    return CheckpointSigner.from_private_bytes(raw)


def _signer(gh: Gatehouse) -> CheckpointSigner:
    """The ledger's signing key, created and stored wrapped on first use."""
    signer = stored_signer(gh)
    if signer is not None:
        return signer
    signer = CheckpointSigner.generate()
    wrapped = wrap_key(signer.private_bytes(), LEDGER_SIGNING_SECRET, gh.keyring)
    try:
        with gh.unit_of_work() as uow:
            uow.vault_secrets.add(LEDGER_SIGNING_SECRET, wrapped, gh.clock())
    except DuplicateKey:
        # Another process stored one first; theirs signs every checkpoint.
        signer = stored_signer(gh)
        if signer is None:
            raise
    return signer


def public_key(gh: Gatehouse) -> str:
    """The base64 Ed25519 public key that verifies this ledger's checkpoints."""
    return _signer(gh).public_key_b64()


def make_checkpoint(gh: Gatehouse) -> Checkpoint:
    """Sign every shard's current head as the next checkpoint, store it and return it."""
    signer = _signer(gh)
    for _ in range(_CHECKPOINT_ATTEMPTS):
        try:
            with gh.unit_of_work() as uow:
                checkpoint = _sign_next(uow.ledger, signer, gh.clock())
            return checkpoint
        except DuplicateKey:
            # Another process took this sequence number; read the newer state and try again.
            continue
    raise Conflict("checkpoints are being signed concurrently; try again", code="checkpoint_busy")


def _sign_next(repo: Ledger, signer: CheckpointSigner, now: datetime) -> Checkpoint:
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
    checkpoint = signer.sign(sequence, now, heads)
    repo.add_checkpoint(checkpoint)
    return checkpoint


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
