"""Errors raised by the vault; each carries a stable ``code`` the adapters map to a status."""

from __future__ import annotations

from gatehouse.domain.errors import GatehouseError

__all__ = [
    "VaultError",
    "MasterKeyMissing",
    "MasterKeyInvalid",
    "MasterKeyUnknown",
    "KeyFileExists",
    "VaultTamperError",
    "KeyShredded",
]


class VaultError(GatehouseError):
    """Base for every vault error, so callers can catch the whole family at once."""

    code = "vault_error"


class MasterKeyMissing(VaultError):
    """No master key is configured anywhere."""

    code = "master_key_missing"


class MasterKeyInvalid(VaultError):
    """A master key or key file exists but cannot be used as it is."""

    code = "master_key_invalid"


class MasterKeyUnknown(VaultError):
    """Data names a master key that is not in the keyring."""

    code = "master_key_unknown"


class KeyFileExists(VaultError):
    """A new key file was requested where one already exists."""

    code = "key_file_exists"


class VaultTamperError(VaultError):
    """A ciphertext failed authentication: moved to another owner, altered, or wrong key."""

    code = "ciphertext_mismatch"


class KeyShredded(VaultError):
    """The subject's data key was destroyed, so its encrypted fields are gone for good."""

    code = "subject_erased"
