"""Envelope encryption: wrapping data keys and encrypting fields."""

from __future__ import annotations

import pytest

from gatehouse.domain.errors import GatehouseError
from gatehouse.vault import (
    FieldCipher,
    Keyring,
    KeyShredded,
    MasterKey,
    MasterKeyUnknown,
    VaultTamperError,
    WrappedKey,
    new_data_key,
    rewrap_key,
    unwrap_key,
    wrap_key,
)


@pytest.fixture
def keyring() -> Keyring:
    return Keyring([MasterKey.generate()])


def _flip(blob: bytes, index: int) -> bytes:
    changed = bytearray(blob)
    changed[index] ^= 0x01
    return bytes(changed)


def test_new_data_key_is_random_256_bits() -> None:
    first, second = new_data_key(), new_data_key()
    assert len(first) == 32
    assert first != second


def test_wrap_unwrap_round_trip(keyring: Keyring) -> None:
    data_key = new_data_key()
    wrapped = wrap_key(data_key, "sub_a", keyring)
    assert wrapped.kek_id == keyring.current.key_id
    assert len(wrapped.blob) == 12 + 32 + 16
    assert data_key not in wrapped.blob
    assert unwrap_key(wrapped, "sub_a", keyring) == data_key


def test_wrapping_twice_uses_fresh_nonces(keyring: Keyring) -> None:
    data_key = new_data_key()
    assert wrap_key(data_key, "sub_a", keyring).blob != wrap_key(data_key, "sub_a", keyring).blob


def test_wrapped_key_moved_to_another_subject_fails(keyring: Keyring) -> None:
    wrapped = wrap_key(new_data_key(), "sub_a", keyring)
    with pytest.raises(VaultTamperError) as moved:
        unwrap_key(wrapped, "sub_b", keyring)
    assert moved.value.code == "ciphertext_mismatch"
    assert moved.value.details["context"] == "sub_b"
    assert "sub_b" in moved.value.message


def test_unwrap_under_wrong_master_key_fails(keyring: Keyring) -> None:
    wrapped = wrap_key(new_data_key(), "sub_a", keyring)
    impostor = MasterKey.generate()
    # Same kek_id, different material: as if the key file had been swapped.
    forged = WrappedKey(kek_id=impostor.key_id, blob=wrapped.blob)
    with pytest.raises(VaultTamperError):
        unwrap_key(forged, "sub_a", Keyring([impostor]))


def test_unwrap_with_unknown_kek_id_fails(keyring: Keyring) -> None:
    wrapped = wrap_key(new_data_key(), "sub_a", keyring)
    with pytest.raises(MasterKeyUnknown):
        unwrap_key(wrapped, "sub_a", Keyring([MasterKey.generate()]))


def test_tampered_or_truncated_wrapped_key_fails(keyring: Keyring) -> None:
    wrapped = wrap_key(new_data_key(), "sub_a", keyring)
    for blob in (_flip(wrapped.blob, 20), wrapped.blob[:20], b""):
        with pytest.raises(VaultTamperError):
            unwrap_key(WrappedKey(wrapped.kek_id, blob), "sub_a", keyring)


def test_tamper_error_never_carries_key_material(keyring: Keyring) -> None:
    data_key = new_data_key()
    wrapped = wrap_key(data_key, "sub_a", keyring)
    with pytest.raises(VaultTamperError) as err:
        unwrap_key(wrapped, "sub_b", keyring)
    text = f"{err.value} {err.value.details!r}"
    assert keyring.current.material.hex() not in text
    assert data_key.hex() not in text


def test_rewrap_moves_to_current_key_and_keeps_data_key() -> None:
    old = MasterKey.generate()
    data_key = new_data_key()
    wrapped = wrap_key(data_key, "sub_a", Keyring([old]))

    new = MasterKey.generate()
    rotated = Keyring([new, old])
    rewrapped = rewrap_key(wrapped, "sub_a", rotated)
    assert rewrapped.kek_id == new.key_id != old.key_id
    assert unwrap_key(rewrapped, "sub_a", Keyring([new])) == data_key
    # Already under the current key: nothing to do.
    assert rewrap_key(rewrapped, "sub_a", rotated) is rewrapped


def test_rewrap_checks_context() -> None:
    old, new = MasterKey.generate(), MasterKey.generate()
    wrapped = wrap_key(new_data_key(), "sub_a", Keyring([old]))
    with pytest.raises(VaultTamperError):
        rewrap_key(wrapped, "sub_b", Keyring([new, old]))


def test_field_round_trip_including_unicode() -> None:
    cipher = FieldCipher("sub_a", new_data_key())
    for text in ("ada@example.com", "", "김민준", "+821012345678"):
        blob = cipher.encrypt("subject", "name", text)
        assert text.encode() not in blob or text == ""
        assert cipher.decrypt("subject", "name", blob) == text


def test_field_encryption_uses_fresh_nonces() -> None:
    cipher = FieldCipher("sub_a", new_data_key())
    first = cipher.encrypt("subject", "email", "a@b.c")
    assert cipher.encrypt("subject", "email", "a@b.c") != first


def test_field_moved_to_another_subject_fails() -> None:
    # Even with the same data key, the subject id in the associated data must match.
    data_key = new_data_key()
    blob = FieldCipher("sub_a", data_key).encrypt("subject", "email", "ada@example.com")
    with pytest.raises(VaultTamperError) as moved:
        FieldCipher("sub_b", data_key).decrypt("subject", "email", blob)
    assert moved.value.code == "ciphertext_mismatch"
    assert "'email'" in moved.value.message
    assert "sub_b" in moved.value.message
    assert moved.value.details == {"subject_id": "sub_b", "scope": "subject", "field": "email"}


def test_field_moved_to_another_field_fails() -> None:
    cipher = FieldCipher("sub_a", new_data_key())
    blob = cipher.encrypt("subject", "email", "ada@example.com")
    with pytest.raises(VaultTamperError) as moved:
        cipher.decrypt("subject", "phone", blob)
    assert moved.value.code == "ciphertext_mismatch"
    assert "'phone'" in moved.value.message


def test_field_moved_to_another_scope_fails() -> None:
    cipher = FieldCipher("sub_a", new_data_key())
    blob = cipher.encrypt("order:ord_1", "address", "1 Main St")
    assert cipher.decrypt("order:ord_1", "address", blob) == "1 Main St"
    with pytest.raises(VaultTamperError) as moved:
        cipher.decrypt("order:ord_2", "address", blob)
    assert "'address'" in moved.value.message
    assert "order:ord_2" in moved.value.message


def test_flipping_any_byte_fails() -> None:
    cipher = FieldCipher("sub_a", new_data_key())
    blob = cipher.encrypt("subject", "email", "ada@example.com")
    for index in (0, 11, 12, len(blob) - 1):
        with pytest.raises(VaultTamperError):
            cipher.decrypt("subject", "email", _flip(blob, index))


def test_malformed_field_blob_fails() -> None:
    cipher = FieldCipher("sub_a", new_data_key())
    for blob in (b"", b"\x00" * 12, b"\x00" * 27):
        with pytest.raises(VaultTamperError):
            cipher.decrypt("subject", "email", blob)


def test_field_under_another_data_key_fails() -> None:
    blob = FieldCipher("sub_a", new_data_key()).encrypt("subject", "email", "x@y.z")
    with pytest.raises(VaultTamperError):
        FieldCipher("sub_a", new_data_key()).decrypt("subject", "email", blob)


def test_separator_in_names_is_refused() -> None:
    with pytest.raises(ValueError):
        FieldCipher("sub|a", new_data_key())
    cipher = FieldCipher("sub_a", new_data_key())
    with pytest.raises(ValueError):
        cipher.encrypt("subject|x", "email", "v")
    with pytest.raises(ValueError):
        cipher.encrypt("subject", "e|mail", "v")


def test_bad_data_key_length_is_refused(keyring: Keyring) -> None:
    with pytest.raises(ValueError):
        FieldCipher("sub_a", b"\x00" * 16)
    with pytest.raises(ValueError):
        wrap_key(b"\x00" * 16, "sub_a", keyring)


def test_field_cipher_repr_hides_key() -> None:
    data_key = new_data_key()
    text = repr(FieldCipher("sub_a", data_key))
    assert "sub_a" in text
    assert data_key.hex() not in text and repr(data_key) not in text


def test_key_shredded_error() -> None:
    err = KeyShredded("subject sub_a was erased")
    assert isinstance(err, GatehouseError)
    assert err.code == "subject_erased"
