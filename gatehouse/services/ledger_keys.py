"""Which keys sign and verify the ledger's checkpoints.

The signing key is derived from the master key (HKDF, see :mod:`gatehouse.ledger.keys`) and
never stored. A database from before that held a key of its own, wrapped, in ``vault_secrets``:
its public key still verifies the checkpoints it signed, and it signs nothing new.
"""

from __future__ import annotations

from gatehouse.ledger import Checkpoint, CheckpointSigner, derive_signer, trusted_key_for
from gatehouse.services.runtime import Gatehouse
from gatehouse.vault import unwrap_key

__all__ = [
    "LEGACY_SIGNING_SECRET",
    "checkpoint_key",
    "signer",
    "legacy_public_key",
    "trusted_keys",
]

LEGACY_SIGNING_SECRET = "ledger-signing"
"""The ``vault_secrets`` name (and wrapping context) of a stored key from before derivation."""


def signer(gh: Gatehouse) -> CheckpointSigner:
    """The key new checkpoints are signed with: derived from the current master key."""
    return derive_signer(gh.keyring.current.material)


def legacy_public_key(gh: Gatehouse) -> str | None:
    """The public half of a stored signing key from before derivation, if the database has one."""
    with gh.unit_of_work(read_only=True) as uow:
        wrapped = uow.vault_secrets.get(LEGACY_SIGNING_SECRET)
    if wrapped is None:
        return None
    # Unwrapping needs the master key, so a key planted in the database is refused here.
    raw = unwrap_key(wrapped, LEGACY_SIGNING_SECRET, gh.keyring)
    return CheckpointSigner.from_private_bytes(raw).public_key_b64()


def _derived_keys(gh: Gatehouse) -> set[str]:
    return {
        derive_signer(gh.keyring.get(key_id).material).public_key_b64()
        for key_id in gh.keyring.key_ids
    }


def trusted_keys(gh: Gatehouse) -> set[str]:
    """Every public key this installation vouches for: one per master key in the keyring
    (current and previous, so a rotation keeps older checkpoints verifiable) and a legacy
    stored key."""
    keys = _derived_keys(gh)
    legacy = legacy_public_key(gh)
    if legacy is not None:
        keys.add(legacy)
    return keys


def checkpoint_key(gh: Gatehouse, checkpoint: Checkpoint) -> str | None:
    """The trusted public key that verifies ``checkpoint``, or None if none does.

    Only a v1 checkpoint can be the legacy key's, so only then is the database read.
    """
    key = trusted_key_for(checkpoint, _derived_keys(gh))
    if key is not None or checkpoint.chained:
        return key
    legacy = legacy_public_key(gh)
    return None if legacy is None else trusted_key_for(checkpoint, {legacy})
