"""Blind indexes: keyed digests that let the store find rows by a value it keeps encrypted.

The index key is random, created once with :func:`gatehouse.vault.envelope.new_data_key`
and stored wrapped by the master key under the context :data:`BLIND_INDEX_CONTEXT`. It is
deliberately not derived from the master key: rotating the master key only rewraps it, so
the digests already stored stay valid and nothing needs re-indexing.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes, hmac

__all__ = ["BLIND_INDEX_CONTEXT", "BlindIndexer"]

BLIND_INDEX_CONTEXT = "blind-index"

_KEY_BYTES = 32
# 128 bits keeps accidental collisions out of reach while halving the column size.
_DIGEST_HEX_CHARS = 32


class BlindIndexer:
    """Computes blind-index digests under one secret key."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) != _KEY_BYTES:
            raise ValueError(f"a blind-index key must be exactly {_KEY_BYTES} bytes")
        self._key = bytes(key)

    def __repr__(self) -> str:
        return "BlindIndexer(key=<hidden>)"

    def digest(self, kind: str, value: str) -> str:
        """Return the hex digest of an already normalised ``value`` of the given ``kind``.

        Normalise first (lower-cased email, E.164 phone) so equal values match. Because the
        digest is keyed, a database dump alone cannot be used to test guessed values.
        """
        if not kind or "\x00" in kind:
            raise ValueError("kind must be non-empty and must not contain NUL")
        mac = hmac.HMAC(self._key, hashes.SHA256())
        # The NUL separator keeps ("ab", "c") and ("a", "bc") apart; kinds never contain it.
        mac.update(kind.encode("utf-8") + b"\x00" + value.encode("utf-8"))
        return mac.finalize().hex()[:_DIGEST_HEX_CHARS]
