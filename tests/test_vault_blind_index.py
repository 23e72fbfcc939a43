"""Blind-index digests."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from gatehouse.vault import (
    BLIND_INDEX_CONTEXT,
    BlindIndexer,
    Keyring,
    MasterKey,
    new_data_key,
    unwrap_key,
    wrap_key,
)


def test_digest_is_deterministic_and_32_hex_chars() -> None:
    key = new_data_key()
    first = BlindIndexer(key).digest("email", "ada@example.com")
    assert first == BlindIndexer(key).digest("email", "ada@example.com")
    assert len(first) == 32
    int(first, 16)


def test_digest_matches_the_documented_construction() -> None:
    key = bytes(range(32))
    expected = hmac.new(key, b"email\x00ada@example.com", hashlib.sha256).hexdigest()[:32]
    assert BlindIndexer(key).digest("email", "ada@example.com") == expected


def test_digest_differs_per_value_kind_and_key() -> None:
    indexer = BlindIndexer(new_data_key())
    base = indexer.digest("email", "ada@example.com")
    assert indexer.digest("email", "bob@example.com") != base
    assert indexer.digest("external_ref", "ada@example.com") != base
    assert BlindIndexer(new_data_key()).digest("email", "ada@example.com") != base


def test_kind_and_value_boundary_is_unambiguous() -> None:
    indexer = BlindIndexer(new_data_key())
    assert indexer.digest("phone", "1") != indexer.digest("phone1", "")


def test_bad_key_or_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        BlindIndexer(b"\x00" * 16)
    indexer = BlindIndexer(new_data_key())
    with pytest.raises(ValueError):
        indexer.digest("", "x")
    with pytest.raises(ValueError):
        indexer.digest("em\x00ail", "x")


def test_repr_hides_key() -> None:
    key = new_data_key()
    text = repr(BlindIndexer(key))
    assert key.hex() not in text and repr(key) not in text


def test_index_key_survives_master_key_rotation() -> None:
    # The index key is stored wrapped; rotating the master key must not change digests.
    old = MasterKey.generate()
    index_key = new_data_key()
    wrapped = wrap_key(index_key, BLIND_INDEX_CONTEXT, Keyring([old]))
    before = BlindIndexer(index_key).digest("phone", "+821012345678")

    rotated = Keyring([MasterKey.generate(), old])
    after_key = unwrap_key(wrapped, BLIND_INDEX_CONTEXT, rotated)
    assert BlindIndexer(after_key).digest("phone", "+821012345678") == before
