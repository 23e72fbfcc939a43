"""Signed checkpoints: every shard's tree size and root, one root over the shards, Ed25519.

A checkpoint is the ledger's commitment to its past. Once signed, rewriting any entry it covers
changes a shard root, even if the forger recomputes the whole hash chain after the edit.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from gatehouse.ledger.entry import GENESIS_HASH, format_at, parse_at
from gatehouse.ledger.merkle import EMPTY_ROOT, leaf_hash, root

__all__ = [
    "CHECKPOINT_FORMAT",
    "ShardHead",
    "Checkpoint",
    "CheckpointSigner",
    "checkpoint_root",
    "key_id_for",
    "verify_checkpoint",
]

# Signed inside the body, so a signature over a checkpoint can never be replayed as a
# signature over some other Gatehouse message, nor over a later incompatible layout.
CHECKPOINT_FORMAT = "gatehouse.checkpoint.v1"

_HEX_HASH = re.compile(r"[0-9a-f]{64}")
_PRIVATE_KEY_BYTES = 32
_PUBLIC_KEY_BYTES = 32
_SIGNATURE_BYTES = 64


def _json_bytes(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class ShardHead:
    """A shard's state: ``size`` entries, their Merkle ``root`` and the last ``head_hash``."""

    shard: int
    size: int
    root: str
    head_hash: str

    @classmethod
    def empty(cls, shard: int) -> ShardHead:
        """Return the head of a shard that has no entries yet."""
        return cls(shard=shard, size=0, root=EMPTY_ROOT.hex(), head_hash=GENESIS_HASH)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able form."""
        return {
            "shard": self.shard,
            "size": self.size,
            "root": self.root,
            "head_hash": self.head_hash,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ShardHead:
        """Rebuild a head from :meth:`to_dict` output."""
        return cls(
            shard=data["shard"], size=data["size"], root=data["root"], head_hash=data["head_hash"]
        )

    def canonical(self) -> bytes:
        """Return the deterministic JSON bytes that the checkpoint tree hashes."""
        return _json_bytes(self.to_dict())

    def leaf(self) -> bytes:
        """Return this head's leaf in the checkpoint tree: SHA-256(0x00 || canonical)."""
        return leaf_hash(self.canonical())


def _check_head(head: ShardHead) -> None:
    for name in ("shard", "size"):
        value = getattr(head, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"shard head {name} must be a non-negative integer")
    for name in ("root", "head_hash"):
        value = getattr(head, name)
        if not isinstance(value, str) or not _HEX_HASH.fullmatch(value):
            raise ValueError(f"shard head {name} must be 64 lowercase hex digits")
    if head.size == 0 and (head.root != EMPTY_ROOT.hex() or head.head_hash != GENESIS_HASH):
        raise ValueError(f"shard {head.shard} is empty but its head claims a root or hash")


def checkpoint_root(heads: Sequence[ShardHead]) -> str:
    """Return the hex Merkle root over the heads' leaves; heads must be shards 0..N-1 in order."""
    if not heads or [head.shard for head in heads] != list(range(len(heads))):
        raise ValueError("a checkpoint covers shards 0..N-1, each once and in order")
    for head in heads:
        _check_head(head)
    return root([head.leaf() for head in heads]).hex()


def _body_bytes(
    sequence: int, at: datetime, shards: Sequence[ShardHead], root_hex: str, key_id: str
) -> bytes:
    return _json_bytes(
        {
            "format": CHECKPOINT_FORMAT,
            "sequence": sequence,
            "at": format_at(at),
            "shards": [head.to_dict() for head in shards],
            "root": root_hex,
            "key_id": key_id,
        }
    )


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement of every shard head at one moment; ``sequence`` numbers them."""

    sequence: int
    at: datetime
    shards: tuple[ShardHead, ...]
    root: str
    key_id: str
    signature: str

    def body_bytes(self) -> bytes:
        """Return the exact bytes the signature covers (everything but the signature)."""
        return _body_bytes(self.sequence, self.at, self.shards, self.root, self.key_id)

    def head(self, shard: int) -> ShardHead | None:
        """Return the head recorded for ``shard``, or None if the checkpoint lacks it."""
        if 0 <= shard < len(self.shards) and self.shards[shard].shard == shard:
            return self.shards[shard]
        return None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able form, suitable for storage and for publishing."""
        return {
            "sequence": self.sequence,
            "at": format_at(self.at),
            "shards": [head.to_dict() for head in self.shards],
            "root": self.root,
            "key_id": self.key_id,
            "signature": self.signature,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Checkpoint:
        """Rebuild a checkpoint from :meth:`to_dict` output; verify it before trusting it."""
        return cls(
            sequence=data["sequence"],
            at=parse_at(data["at"]),
            shards=tuple(ShardHead.from_dict(head) for head in data["shards"]),
            root=data["root"],
            key_id=data["key_id"],
            signature=data["signature"],
        )


def key_id_for(public_key: bytes) -> str:
    """Return the short id of a raw Ed25519 public key: the first 16 hex of its SHA-256."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def _strict_b64(text: str, length: int) -> bytes | None:
    """Decode base64 only in its canonical form, so one key or signature has one spelling."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return None
    if len(raw) != length or base64.b64encode(raw).decode("ascii") != text:
        return None
    return raw


class CheckpointSigner:
    """Signs checkpoints with an Ed25519 key; the raw key is for wrapped storage elsewhere."""

    __slots__ = ("_private_key", "_public_raw")

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self._public_raw = private_key.public_key().public_bytes_raw()

    @classmethod
    def generate(cls) -> CheckpointSigner:
        """Return a signer with a fresh random key."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_private_bytes(cls, raw: bytes) -> CheckpointSigner:
        """Load a signer from the 32 raw private key bytes returned by :meth:`private_bytes`."""
        if len(raw) != _PRIVATE_KEY_BYTES:
            raise ValueError(f"an Ed25519 private key is {_PRIVATE_KEY_BYTES} bytes")
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    def private_bytes(self) -> bytes:
        """Return the raw 32-byte private key; wrap it before it touches storage."""
        return self._private_key.private_bytes_raw()

    def public_key_b64(self) -> str:
        """Return the public key as standard base64, the form verifiers are given."""
        return base64.b64encode(self._public_raw).decode("ascii")

    @property
    def key_id(self) -> str:
        """The short id that checkpoints name their signing key by."""
        return key_id_for(self._public_raw)

    def sign(self, sequence: int, at: datetime, shards: Iterable[ShardHead]) -> Checkpoint:
        """Sign heads for every shard 0..N-1 (in any order) as checkpoint ``sequence``."""
        if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 0:
            raise ValueError("sequence must be a non-negative integer")
        heads = tuple(sorted(shards, key=lambda head: head.shard))
        root_hex = checkpoint_root(heads)
        format_at(at)  # rejects a naive time before astimezone() could read it as local
        at_utc = at.astimezone(UTC)
        body = _body_bytes(sequence, at_utc, heads, root_hex, self.key_id)
        signature = base64.b64encode(self._private_key.sign(body)).decode("ascii")
        return Checkpoint(
            sequence=sequence,
            at=at_utc,
            shards=heads,
            root=root_hex,
            key_id=self.key_id,
            signature=signature,
        )

    def sign_bytes(self, document: bytes) -> str:
        """Sign a document of another kind as it is; return the standard base64 signature.

        The document should name its own format. Bytes that read as a checkpoint body are
        refused, so signing some other document can never vouch for a checkpoint.
        """
        try:
            parsed = json.loads(document)
        except (ValueError, RecursionError):
            parsed = None
        if isinstance(parsed, dict) and parsed.get("format") == CHECKPOINT_FORMAT:
            raise ValueError("a checkpoint is signed with sign(), never as plain bytes")
        return base64.b64encode(self._private_key.sign(document)).decode("ascii")


def verify_checkpoint(checkpoint: Checkpoint, public_key_b64: str) -> bool:
    """Check the signature with ``public_key_b64`` and that ``root`` matches the shard heads."""
    public_raw = _strict_b64(public_key_b64, _PUBLIC_KEY_BYTES)
    signature = _strict_b64(checkpoint.signature, _SIGNATURE_BYTES)
    if public_raw is None or signature is None or checkpoint.key_id != key_id_for(public_raw):
        return False
    try:
        if checkpoint_root(checkpoint.shards) != checkpoint.root:
            return False
        body = checkpoint.body_bytes()
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, body)
    except (InvalidSignature, ValueError, TypeError, AttributeError):
        return False
    return True
