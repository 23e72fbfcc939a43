"""The vault: envelope encryption of customer PII and blind indexes for lookups."""

from gatehouse.vault.blind_index import BLIND_INDEX_CONTEXT, BlindIndexer
from gatehouse.vault.envelope import (
    FieldCipher,
    WrappedKey,
    new_data_key,
    rewrap_key,
    unwrap_key,
    wrap_key,
)
from gatehouse.vault.errors import (
    KeyFileExists,
    KeyShredded,
    MasterKeyInvalid,
    MasterKeyMissing,
    MasterKeyUnknown,
    VaultError,
    VaultTamperError,
)
from gatehouse.vault.keys import (
    Keyring,
    MasterKey,
    create_key_file,
    load_keyring,
    write_key_file,
)

__all__ = [
    "BLIND_INDEX_CONTEXT",
    "BlindIndexer",
    "FieldCipher",
    "KeyFileExists",
    "KeyShredded",
    "Keyring",
    "MasterKey",
    "MasterKeyInvalid",
    "MasterKeyMissing",
    "MasterKeyUnknown",
    "VaultError",
    "VaultTamperError",
    "WrappedKey",
    "create_key_file",
    "load_keyring",
    "new_data_key",
    "rewrap_key",
    "unwrap_key",
    "wrap_key",
    "write_key_file",
]
