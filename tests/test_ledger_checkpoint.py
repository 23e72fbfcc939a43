"""Signed checkpoints: Ed25519 over the canonical body, and a Merkle root over the shard heads."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gatehouse.ledger.checkpoint import (
    CHECKPOINT_FORMAT,
    Checkpoint,
    CheckpointSigner,
    ShardHead,
    checkpoint_root,
    key_id_for,
    verify_checkpoint,
    verify_signed_bytes,
)
from gatehouse.ledger.entry import GENESIS_HASH
from gatehouse.ledger.merkle import EMPTY_ROOT, leaf_hash, root

AT = datetime(2025, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
HEADS = (
    ShardHead(shard=0, size=3, root="a" * 64, head_hash="b" * 64),
    ShardHead.empty(1),
    ShardHead(shard=2, size=1, root="c" * 64, head_hash="c" * 64),
)


@pytest.fixture(scope="module")
def signer() -> CheckpointSigner:
    return CheckpointSigner.generate()


def resign(signer: CheckpointSigner, checkpoint: Checkpoint) -> Checkpoint:
    """A validly signed checkpoint whose fields were chosen by hand, bypassing sign()."""
    raw = Ed25519PrivateKey.from_private_bytes(signer.private_bytes()).sign(checkpoint.body_bytes())
    return dataclasses.replace(checkpoint, signature=base64.b64encode(raw).decode())


def test_a_signed_checkpoint_verifies(signer: CheckpointSigner) -> None:
    checkpoint = signer.sign(1, AT, HEADS)
    assert verify_checkpoint(checkpoint, signer.public_key_b64())
    assert checkpoint.shards == HEADS
    assert checkpoint.key_id == signer.key_id
    assert len(base64.b64decode(checkpoint.signature)) == 64


def test_another_key_does_not_verify(signer: CheckpointSigner) -> None:
    checkpoint = signer.sign(1, AT, HEADS)
    other = CheckpointSigner.generate()
    assert not verify_checkpoint(checkpoint, other.public_key_b64())
    # Even with the key id rewritten to match, the signature itself fails.
    disguised = dataclasses.replace(checkpoint, key_id=other.key_id)
    assert not verify_checkpoint(disguised, other.public_key_b64())


@pytest.mark.parametrize(
    "change",
    [
        {"sequence": 2},
        {"at": AT + timedelta(microseconds=1)},
        {"root": "d" * 64},
        {"key_id": "0" * 16},
        {"shards": (dataclasses.replace(HEADS[0], size=4), *HEADS[1:])},
        {"shards": (dataclasses.replace(HEADS[0], root="e" * 64), *HEADS[1:])},
        {"shards": (dataclasses.replace(HEADS[0], head_hash="e" * 64), *HEADS[1:])},
        {"shards": HEADS[:2]},
    ],
)
def test_any_modified_field_fails(signer: CheckpointSigner, change: dict[str, Any]) -> None:
    checkpoint = dataclasses.replace(signer.sign(1, AT, HEADS), **change)
    assert not verify_checkpoint(checkpoint, signer.public_key_b64())


def test_a_modified_signature_fails(signer: CheckpointSigner) -> None:
    checkpoint = signer.sign(1, AT, HEADS)
    raw = bytearray(base64.b64decode(checkpoint.signature))
    for position in (0, 31, 63):
        changed = bytearray(raw)
        changed[position] ^= 0x01
        forged = dataclasses.replace(checkpoint, signature=base64.b64encode(changed).decode())
        assert not verify_checkpoint(forged, signer.public_key_b64())


@pytest.mark.parametrize("signature", ["", "not base64!", "AAAA", "=" * 88])
def test_malformed_signatures_fail(signer: CheckpointSigner, signature: str) -> None:
    checkpoint = dataclasses.replace(signer.sign(1, AT, HEADS), signature=signature)
    assert not verify_checkpoint(checkpoint, signer.public_key_b64())


def test_non_canonical_base64_is_refused(signer: CheckpointSigner) -> None:
    checkpoint = signer.sign(1, AT, HEADS)
    # 64 bytes leave two unused bits in the last base64 digit; setting them keeps the bytes.
    last = checkpoint.signature[-3]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    variant = alphabet[alphabet.index(last) ^ 0x01]
    spelled = checkpoint.signature[:-3] + variant + checkpoint.signature[-2:]
    assert base64.b64decode(spelled) == base64.b64decode(checkpoint.signature)
    forged = dataclasses.replace(checkpoint, signature=spelled)
    assert not verify_checkpoint(forged, signer.public_key_b64())


@pytest.mark.parametrize("public_key", ["", "not base64", base64.b64encode(b"x" * 31).decode()])
def test_malformed_public_keys_fail(signer: CheckpointSigner, public_key: str) -> None:
    assert not verify_checkpoint(signer.sign(1, AT, HEADS), public_key)


def test_a_signed_but_wrong_root_is_refused(signer: CheckpointSigner) -> None:
    # The signer's own key signed it, yet the root does not follow from the heads.
    checkpoint = resign(signer, dataclasses.replace(signer.sign(1, AT, HEADS), root="d" * 64))
    assert not verify_checkpoint(checkpoint, signer.public_key_b64())


def test_the_root_is_the_merkle_root_over_the_shard_head_leaves(signer: CheckpointSigner) -> None:
    checkpoint = signer.sign(1, AT, HEADS)
    leaves = [
        hashlib.sha256(
            b"\x00" + json.dumps(h.to_dict(), sort_keys=True, separators=(",", ":")).encode()
        ).digest()
        for h in HEADS
    ]
    assert checkpoint.root == root(leaves).hex() == checkpoint_root(HEADS)
    assert HEADS[0].leaf() == leaf_hash(HEADS[0].canonical()) == leaves[0]
    assert HEADS[0].canonical() == (
        b'{"head_hash":"' + b"b" * 64 + b'","root":"' + b"a" * 64 + b'","shard":0,"size":3}'
    )


def test_the_body_covers_everything_but_the_signature(signer: CheckpointSigner) -> None:
    checkpoint = signer.sign(7, AT, HEADS)
    body = json.loads(checkpoint.body_bytes())
    assert body == {
        "format": CHECKPOINT_FORMAT,
        "sequence": 7,
        "at": "2025-03-04T05:06:07.890123Z",
        "shards": [head.to_dict() for head in HEADS],
        "root": checkpoint.root,
        "key_id": signer.key_id,
        "public_key": signer.public_key_b64(),
        "previous": None,
        "consistency": [],
    }


def test_heads_are_put_in_shard_order(signer: CheckpointSigner) -> None:
    checkpoint = signer.sign(1, AT, reversed(HEADS))
    assert checkpoint.shards == HEADS
    assert checkpoint.head(2) == HEADS[2]
    assert checkpoint.head(3) is None


@pytest.mark.parametrize(
    "heads",
    [
        (),
        (HEADS[0], HEADS[2]),
        (HEADS[0], HEADS[0]),
        (HEADS[1],),
        (dataclasses.replace(HEADS[1], size=-1), HEADS[0]),
        (HEADS[0], dataclasses.replace(HEADS[1], root="a" * 64)),
        (HEADS[0], dataclasses.replace(HEADS[1], head_hash="a" * 64)),
        (dataclasses.replace(HEADS[0], root="A" * 64),),
    ],
)
def test_signing_needs_a_plausible_head_for_every_shard(
    signer: CheckpointSigner, heads: tuple[ShardHead, ...]
) -> None:
    with pytest.raises(ValueError):
        signer.sign(1, AT, heads)


def test_signing_needs_an_aware_time_and_a_sequence(signer: CheckpointSigner) -> None:
    with pytest.raises(ValueError):
        signer.sign(1, datetime(2025, 1, 1), HEADS)
    with pytest.raises(ValueError):
        signer.sign(-1, AT, HEADS)


def test_times_are_stored_in_utc(signer: CheckpointSigner) -> None:
    seoul = AT.astimezone(timezone(timedelta(hours=9)))
    checkpoint = signer.sign(1, seoul, HEADS)
    assert checkpoint.at.utcoffset() == timedelta(0)
    assert checkpoint.body_bytes() == signer.sign(1, AT, HEADS).body_bytes()


def test_the_key_round_trips_through_its_raw_bytes(signer: CheckpointSigner) -> None:
    raw = signer.private_bytes()
    assert len(raw) == 32
    again = CheckpointSigner.from_private_bytes(raw)
    assert again.public_key_b64() == signer.public_key_b64()
    assert again.key_id == signer.key_id
    # Ed25519 is deterministic: the reloaded key gives the very same signature.
    assert again.sign(1, AT, HEADS) == signer.sign(1, AT, HEADS)
    with pytest.raises(ValueError):
        CheckpointSigner.from_private_bytes(raw[:31])


def test_key_id_is_the_first_16_hex_of_the_public_key_hash(signer: CheckpointSigner) -> None:
    public = base64.b64decode(signer.public_key_b64())
    assert signer.key_id == hashlib.sha256(public).hexdigest()[:16] == key_id_for(public)


def test_a_checkpoint_survives_a_json_round_trip(signer: CheckpointSigner) -> None:
    checkpoint = signer.sign(3, AT, HEADS)
    reloaded = Checkpoint.from_dict(json.loads(json.dumps(checkpoint.to_dict())))
    assert reloaded == checkpoint
    assert verify_checkpoint(reloaded, signer.public_key_b64())


def test_empty_head_is_the_empty_tree() -> None:
    head = ShardHead.empty(4)
    assert head == ShardHead(shard=4, size=0, root=EMPTY_ROOT.hex(), head_hash=GENESIS_HASH)
    assert ShardHead.from_dict(head.to_dict()) == head


def test_a_document_signed_as_bytes_verifies_under_its_key_alone() -> None:
    signer, other = CheckpointSigner.generate(), CheckpointSigner.generate()
    document = b'{"format":"gatehouse.audit-day.v1","day":"2026-03-01"}'
    signature = signer.sign_bytes(document)

    assert verify_signed_bytes(document, signature, signer.public_key_b64())
    assert not verify_signed_bytes(document + b" ", signature, signer.public_key_b64())
    assert not verify_signed_bytes(document, signature, other.public_key_b64())
    assert not verify_signed_bytes(document, signature[:-4] + "AAA=", signer.public_key_b64())
    assert not verify_signed_bytes(document, "not base64!", signer.public_key_b64())
    assert not verify_signed_bytes(document, signature, "short")
