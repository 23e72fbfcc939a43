"""Envelope encryption: per-subject data keys wrapped by the master key, and field ciphers.

Each subject gets its own random data key; only the wrapped form is stored. Destroying a
subject's wrapped key makes every field encrypted under it unreadable (crypto-shredding),
and rotating the master key only rewraps the small data keys, never the fields.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gatehouse.vault.errors import VaultTamperError
from gatehouse.vault.keys import Keyring

__all__ = [
    "DATA_KEY_BYTES",
    "WrappedKey",
    "new_data_key",
    "wrap_key",
    "unwrap_key",
    "rewrap_key",
    "FieldCipher",
]

DATA_KEY_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
_DEK_AAD_PREFIX = b"gatehouse/dek/v1|"
_FIELD_AAD_PREFIX = "gatehouse/field/v1"


@dataclass(frozen=True)
class WrappedKey:
    """A data key encrypted under the master key ``kek_id``: nonce || ciphertext+tag."""

    kek_id: str
    blob: bytes


def _check_data_key(data_key: bytes) -> None:
    if len(data_key) != DATA_KEY_BYTES:
        raise ValueError(f"a data key must be exactly {DATA_KEY_BYTES} bytes")


def new_data_key() -> bytes:
    """Return a new random AES-256 data key."""
    return AESGCM.generate_key(bit_length=DATA_KEY_BYTES * 8)


def _dek_aad(context: str) -> bytes:
    # Binding the context means a wrapped key copied onto another subject's row fails to open.
    return _DEK_AAD_PREFIX + context.encode("utf-8")


def wrap_key(data_key: bytes, context: str, keyring: Keyring) -> WrappedKey:
    """Encrypt a data key under the keyring's current master key, bound to ``context``."""
    _check_data_key(data_key)
    master = keyring.current
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(master.material).encrypt(nonce, data_key, _dek_aad(context))
    return WrappedKey(kek_id=master.key_id, blob=nonce + sealed)


def unwrap_key(wrapped: WrappedKey, context: str, keyring: Keyring) -> bytes:
    """Decrypt a wrapped data key with the master key it names, checking its context."""
    master = keyring.get(wrapped.kek_id)
    blob = bytes(wrapped.blob)
    nonce, sealed = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
    data_key: bytes | None = None
    if len(sealed) >= _TAG_BYTES:
        try:
            data_key = AESGCM(master.material).decrypt(nonce, sealed, _dek_aad(context))
        except InvalidTag:
            data_key = None
    if data_key is None or len(data_key) != DATA_KEY_BYTES:
        raise VaultTamperError(
            f"wrapped data key does not belong to context {context!r}, "
            f"or master key {wrapped.kek_id} is wrong",
            details={"context": context, "kek_id": wrapped.kek_id},
        )
    return data_key


def rewrap_key(wrapped: WrappedKey, context: str, keyring: Keyring) -> WrappedKey:
    """Move a wrapped data key onto the current master key; the data key itself is unchanged."""
    if wrapped.kek_id == keyring.current.key_id:
        return wrapped
    return wrap_key(unwrap_key(wrapped, context, keyring), context, keyring)


class FieldCipher:
    """Encrypts one subject's fields under that subject's data key."""

    __slots__ = ("_aead", "_subject_id")

    def __init__(self, subject_id: str, data_key: bytes) -> None:
        _check_data_key(data_key)
        _check_aad_part("subject_id", subject_id)
        self._subject_id = subject_id
        self._aead = AESGCM(data_key)

    def __repr__(self) -> str:
        return f"FieldCipher(subject_id={self._subject_id!r})"

    @property
    def subject_id(self) -> str:
        """Return the subject this cipher is bound to."""
        return self._subject_id

    def _aad(self, scope: str, field: str) -> bytes:
        _check_aad_part("scope", scope)
        _check_aad_part("field", field)
        # Binding subject, scope and field means a ciphertext is only valid where it was written.
        return f"{_FIELD_AAD_PREFIX}|{self._subject_id}|{scope}|{field}".encode()

    def encrypt(self, scope: str, field: str, plaintext: str) -> bytes:
        """Encrypt ``plaintext`` for this subject's ``field`` in ``scope``."""
        aad = self._aad(scope, field)
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext.encode("utf-8"), aad)

    def decrypt(self, scope: str, field: str, blob: bytes) -> str:
        """Decrypt a value written by :meth:`encrypt` for the same subject, scope and field."""
        aad = self._aad(scope, field)
        blob = bytes(blob)
        nonce, sealed = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
        if len(sealed) >= _TAG_BYTES:
            try:
                return self._aead.decrypt(nonce, sealed, aad).decode("utf-8")
            except (InvalidTag, UnicodeDecodeError):
                pass
        raise VaultTamperError(
            f"ciphertext for field {field!r} does not belong to subject {self._subject_id} "
            f"(scope {scope!r}): it was moved or altered",
            details={"subject_id": self._subject_id, "scope": scope, "field": field},
        )


def _check_aad_part(name: str, value: str) -> None:
    # '|' separates the parts of the associated data; allowing it would let two different
    # (subject, scope, field) triples produce the same bytes.
    if "|" in value:
        raise ValueError(f"{name} must not contain '|'")
