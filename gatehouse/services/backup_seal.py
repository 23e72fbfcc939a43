"""The backup manifest's seal: an HMAC under a key derived from the master key.

The manifest's SHA-256 sums catch a damaged member; the seal catches a deliberate edit,
since whoever changes a member and recomputes its sum cannot recompute the seal without the
master key. The derived key is used for nothing else.
"""

from __future__ import annotations

import hmac
from hashlib import sha256

from gatehouse.services.backup_format import BackupInvalid
from gatehouse.vault import MasterKey

__all__ = ["seal", "check_seal"]

_LABEL = b"gatehouse/backup-manifest-seal/v1"


def seal(key: MasterKey, manifest: bytes) -> str:
    """The seal of the manifest's bytes under ``key``, as hex."""
    derived = hmac.new(key.material, _LABEL, sha256).digest()
    return hmac.new(derived, manifest, sha256).hexdigest()


def check_seal(key: MasterKey, manifest: bytes, stored: bytes) -> None:
    """Raise :class:`BackupInvalid` unless ``stored`` is the manifest's seal under ``key``."""
    if not hmac.compare_digest(seal(key, manifest).encode("ascii"), stored.strip()):
        raise BackupInvalid(
            "the backup's manifest does not match its seal: it was changed after the backup"
        )
