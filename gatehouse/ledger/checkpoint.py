"""Signed checkpoints: every shard's tree size and root, one root over the shards, Ed25519.

A checkpoint is the ledger's commitment to its past. Once signed, rewriting any entry it covers
changes a shard root, even if the forger recomputes the whole hash chain after the edit. From
format v2 on, each checkpoint also names its predecessor's hash and carries, per shard, the
RFC 6962 consistency proof from the predecessor's tree, so checkpoints form a chain of their own:
one deleted or replaced from the middle breaks it. ``docs/ledger-format.md`` specifies the bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
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
    "CHECKPOINT_FORMAT_V1",
    "ShardHead",
    "Checkpoint",
    "CheckpointSigner",
    "checkpoint_root",
    "key_id_for",
    "verify_checkpoint",
]

# Signed inside the body, so a signature over a checkpoint can never be replayed as a
# signature over some other Gatehouse message, nor over a later incompatible layout.
CHECKPOINT_FORMAT = "gatehouse.checkpoint.v2"
CHECKPOINT_FORMAT_V1 = "gatehouse.checkpoint.v1"
"""The first layout, without the chain fields; still verified, never signed any more."""

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


def _body(
    sequence: int, at: datetime, shards: Sequence[ShardHead], root_hex: str, key_id: str
) -> dict[str, Any]:
    return {
        "format": CHECKPOINT_FORMAT_V1,
        "sequence": sequence,
        "at": format_at(at),
        "shards": [head.to_dict() for head in shards],
        "root": root_hex,
        "key_id": key_id,
    }


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement of every shard head at one moment; ``sequence`` numbers them.

    In format v2 the signed body also holds ``public_key`` (standard base64 of the raw key),
    ``previous`` (the predecessor's :meth:`digest`, None for checkpoint #1) and
    ``consistency`` (per shard, the hex nodes of the proof from the predecessor's size). A v1
    checkpoint has none of them signed; its ``public_key`` may be recorded beside it.
    """

    sequence: int
    at: datetime
    shards: tuple[ShardHead, ...]
    root: str
    key_id: str
    signature: str
    format: str = CHECKPOINT_FORMAT_V1
    public_key: str | None = None
    previous: str | None = None
    consistency: tuple[tuple[str, ...], ...] = ()

    @property
    def chained(self) -> bool:
        """Whether this checkpoint signs its link to the one before (format v2)."""
        return self.format == CHECKPOINT_FORMAT

    def body(self) -> dict[str, Any]:
        """The signed document, before it is encoded."""
        document = _body(self.sequence, self.at, self.shards, self.root, self.key_id)
        if self.format != CHECKPOINT_FORMAT_V1:
            document["format"] = self.format
            document["public_key"] = self.public_key
            document["previous"] = self.previous
            document["consistency"] = [list(proof) for proof in self.consistency]
        return document

    def body_bytes(self) -> bytes:
        """Return the exact bytes the signature covers (everything but the signature)."""
        return _json_bytes(self.body())

    def digest(self) -> str:
        """SHA-256 of :meth:`body_bytes`, hex: what the next checkpoint names as ``previous``."""
        return hashlib.sha256(self.body_bytes()).hexdigest()

    def head(self, shard: int) -> ShardHead | None:
        """Return the head recorded for ``shard``, or None if the checkpoint lacks it."""
        if 0 <= shard < len(self.shards) and self.shards[shard].shard == shard:
            return self.shards[shard]
        return None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able form, suitable for storage and for publishing."""
        document = {**self.body(), "signature": self.signature}
        if self.format == CHECKPOINT_FORMAT_V1 and self.public_key is not None:
            # Recorded beside a v1 body, which never signed it.
            document["public_key"] = self.public_key
        return document

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Checkpoint:
        """Rebuild a checkpoint from :meth:`to_dict` output; verify it before trusting it."""
        form = data.get("format", CHECKPOINT_FORMAT_V1)
        if form not in (CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_V1):
            raise ValueError(f"unknown checkpoint format {form!r}")
        public_key = data.get("public_key")
        if public_key is not None and not isinstance(public_key, str):
            raise ValueError("public_key must be a string")
        previous = data.get("previous")
        if previous is not None and not isinstance(previous, str):
            raise ValueError("previous must be a hex string")
        proofs = data.get("consistency", [])
        if not isinstance(proofs, list) or not all(
            isinstance(proof, list) and all(isinstance(node, str) for node in proof)
            for proof in proofs
        ):
            raise ValueError("consistency must be a list of lists of hex strings")
        return cls(
            sequence=data["sequence"],
            at=parse_at(data["at"]),
            shards=tuple(ShardHead.from_dict(head) for head in data["shards"]),
            root=data["root"],
            key_id=data["key_id"],
            signature=data["signature"],
            format=form,
            public_key=public_key,
            previous=previous,
            consistency=tuple(tuple(proof) for proof in proofs),
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

    def sign(
        self,
        sequence: int,
        at: datetime,
        shards: Iterable[ShardHead],
        *,
        previous: Checkpoint | None = None,
        consistency: Sequence[Sequence[bytes]] = (),
    ) -> Checkpoint:
        """Sign heads for every shard 0..N-1 (in any order) as checkpoint ``sequence``.

        ``previous`` is the checkpoint this one follows, and ``consistency`` the proof per
        shard (in shard order) that each shard's tree extends the one ``previous`` signed.
        """
        if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 0:
            raise ValueError("sequence must be a non-negative integer")
        heads = tuple(sorted(shards, key=lambda head: head.shard))
        root_hex = checkpoint_root(heads)
        format_at(at)  # rejects a naive time before astimezone() could read it as local
        proofs = tuple(tuple(node.hex() for node in proof) for proof in consistency)
        if previous is None and proofs:
            raise ValueError("a checkpoint without a predecessor has no consistency proofs")
        if previous is not None and len(proofs) != len(heads):
            raise ValueError("a checkpoint after another carries one proof per shard")
        unsigned = Checkpoint(
            sequence=sequence,
            at=at.astimezone(UTC),
            shards=heads,
            root=root_hex,
            key_id=self.key_id,
            signature="",
            format=CHECKPOINT_FORMAT,
            public_key=self.public_key_b64(),
            previous=None if previous is None else previous.digest(),
            consistency=proofs,
        )
        signature = self._private_key.sign(unsigned.body_bytes())
        return replace(unsigned, signature=base64.b64encode(signature).decode("ascii"))

    def sign_bytes(self, document: bytes) -> str:
        """Sign a document of another kind as it is; return the standard base64 signature.

        The document should name its own format. Bytes that read as a checkpoint body are
        refused, so signing some other document can never vouch for a checkpoint.
        """
        try:
            parsed = json.loads(document)
        except (ValueError, RecursionError):
            parsed = None
        if isinstance(parsed, dict) and parsed.get("format") in (
            CHECKPOINT_FORMAT,
            CHECKPOINT_FORMAT_V1,
        ):
            raise ValueError("a checkpoint is signed with sign(), never as plain bytes")
        return base64.b64encode(self._private_key.sign(document)).decode("ascii")


def verify_signed_bytes(document: bytes, signature_b64: str, public_key_b64: str) -> bool:
    """Whether ``signature_b64`` is :meth:`CheckpointSigner.sign_bytes`'s signature of
    ``document`` by the key ``public_key_b64``."""
    public_raw = _strict_b64(public_key_b64, _PUBLIC_KEY_BYTES)
    signature = _strict_b64(signature_b64, _SIGNATURE_BYTES)
    if public_raw is None or signature is None:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, document)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_checkpoint(checkpoint: Checkpoint, public_key_b64: str) -> bool:
    """Check the signature with ``public_key_b64`` and that ``root`` matches the shard heads.

    A v2 checkpoint must also name that very key in its signed ``public_key``.
    """
    public_raw = _strict_b64(public_key_b64, _PUBLIC_KEY_BYTES)
    signature = _strict_b64(checkpoint.signature, _SIGNATURE_BYTES)
    if public_raw is None or signature is None or checkpoint.key_id != key_id_for(public_raw):
        return False
    if checkpoint.chained and checkpoint.public_key != public_key_b64:
        return False
    try:
        if checkpoint_root(checkpoint.shards) != checkpoint.root:
            return False
        body = checkpoint.body_bytes()
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, body)
    except (InvalidSignature, ValueError, TypeError, AttributeError):
        return False
    return True
