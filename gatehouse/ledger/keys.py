"""The checkpoint signing key, derived from master key material, and its public fingerprint.

Deriving the key means it is never stored anywhere: every process holding the master key
computes the same Ed25519 key, and someone who can write to the database cannot read it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gatehouse.ledger.checkpoint import CheckpointSigner

__all__ = ["SIGNING_KEY_INFO", "derive_signer", "key_fingerprint"]

SIGNING_KEY_INFO = b"gatehouse/ledger/checkpoint-signing-key/v1"
"""HKDF's context string: it names the purpose, so no other derived key can equal this one."""


def derive_signer(material: bytes) -> CheckpointSigner:
    """The Ed25519 signer derived from 32 bytes of master key material with HKDF-SHA256."""
    if len(material) != 32:
        raise ValueError("master key material is 32 bytes")
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=SIGNING_KEY_INFO).derive(
        material
    )
    return CheckpointSigner.from_private_bytes(seed)


def key_fingerprint(public_key_b64: str) -> str:
    """SHA-256 of the raw 32-byte public key, as 64 hex digits: what verifiers record."""
    try:
        raw = base64.b64decode(public_key_b64, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the public key is not base64") from None
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return hashlib.sha256(raw).hexdigest()
