"""The checkpoint signing key derived from master key material, and its fingerprint."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest

from gatehouse.ledger import derive_signer, key_fingerprint


def test_the_same_material_derives_the_same_key_and_other_material_another() -> None:
    material = os.urandom(32)
    assert derive_signer(material).private_bytes() == derive_signer(material).private_bytes()
    assert (
        derive_signer(material).public_key_b64() != derive_signer(os.urandom(32)).public_key_b64()
    )
    # Derived, not the material itself: the master key never signs anything.
    assert derive_signer(material).private_bytes() != material


def test_the_fingerprint_is_sha256_of_the_raw_public_key() -> None:
    signer = derive_signer(os.urandom(32))
    raw = base64.b64decode(signer.public_key_b64())
    assert key_fingerprint(signer.public_key_b64()) == hashlib.sha256(raw).hexdigest()
    assert key_fingerprint(signer.public_key_b64()).startswith(signer.key_id)


@pytest.mark.parametrize("bad", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_key_has_no_fingerprint(bad: str) -> None:
    with pytest.raises(ValueError):
        key_fingerprint(bad)


def test_material_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(ValueError):
        derive_signer(b"too short")
