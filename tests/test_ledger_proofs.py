"""Two-level inclusion proofs: entry in its shard tree, shard head in the signed checkpoint."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gatehouse.ledger.checkpoint import Checkpoint, CheckpointSigner
from gatehouse.ledger.entry import GENESIS_HASH, LedgerEntry, make_entry
from gatehouse.ledger.merkle import inclusion_proof, root, verify_inclusion
from gatehouse.ledger.proofs import (
    checkpoint_inclusion,
    path_ranges,
    streamed_audit_path,
    verify_inclusion_proof,
)
from tests.support.ledger import inclusion_proof_for, shard_head

T0 = datetime(2025, 1, 1, tzinfo=UTC)
SIZES = (5, 13, 0, 1, 8)


def chain(shard: int, count: int) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    prev = GENESIS_HASH
    for seq in range(count):
        payload = {"fields": ["name"], "notice_hash": f"{seq:064x}"}
        at = T0 + timedelta(seconds=seq)
        entries.append(make_entry(shard, seq, "view.read", at, f"s{seq}", "r1", payload, prev))
        prev = entries[-1].entry_hash
    return entries


LEDGER = {shard: chain(shard, size) for shard, size in enumerate(SIZES)}


@pytest.fixture(scope="module")
def signer() -> CheckpointSigner:
    return CheckpointSigner.generate()


@pytest.fixture(scope="module")
def signed(signer: CheckpointSigner) -> Checkpoint:
    heads = [shard_head(entries, shard) for shard, entries in LEDGER.items()]
    return signer.sign(1, T0, heads)


def test_every_entry_has_a_proof_that_verifies(
    signer: CheckpointSigner, signed: Checkpoint
) -> None:
    for shard, entries in LEDGER.items():
        for seq in range(len(entries)):
            proof = inclusion_proof_for(entries, seq, len(entries), signed)
            assert proof["leaf_hash"] == entries[seq].entry_hash
            assert proof["shard_root"] == signed.shards[shard].root
            assert verify_inclusion_proof(proof, signed)
            assert verify_inclusion_proof(proof, signed, signer.public_key_b64())
            # A proof is plain JSON, and survives the trip to a customer.
            assert verify_inclusion_proof(json.loads(json.dumps(proof)), signed)


def test_the_proof_shape(signed: Checkpoint) -> None:
    proof = inclusion_proof_for(LEDGER[1], 6, 13, signed)
    assert set(proof) == {
        "shard",
        "seq",
        "tree_size",
        "leaf_hash",
        "audit_path",
        "shard_root",
        "checkpoint_sequence",
        "checkpoint_path",
    }
    assert (proof["shard"], proof["seq"], proof["tree_size"]) == (1, 6, 13)
    assert len(proof["audit_path"]) == 4
    assert proof["checkpoint_path"] == checkpoint_inclusion(signed, 1)


def test_a_proof_for_an_older_tree_size_checks_against_its_root() -> None:
    entries = LEDGER[1]
    proof = inclusion_proof_for(entries, 2, 7)
    leaves = [entry.leaf() for entry in entries[:7]]
    assert proof["shard_root"] == root(leaves).hex()
    path = [bytes.fromhex(node) for node in proof["audit_path"]]
    assert verify_inclusion(leaves[2], 2, 7, path, root(leaves))
    assert "checkpoint_path" not in proof


def test_the_checkpoint_level_path_verifies_with_plain_rfc_9162(signed: Checkpoint) -> None:
    for shard, head in enumerate(signed.shards):
        path = [bytes.fromhex(node) for node in checkpoint_inclusion(signed, shard)]
        assert verify_inclusion(
            head.leaf(), shard, len(signed.shards), path, bytes.fromhex(signed.root)
        )


def tampered(proof: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    return {**proof, key: value}


def flip(hex_text: str) -> str:
    return ("1" if hex_text[0] == "0" else "0") + hex_text[1:]


@pytest.mark.parametrize(
    "change",
    [
        ("seq", 7),
        ("shard", 0),
        ("tree_size", 12),
        ("leaf_hash", "flip"),
        ("shard_root", "flip"),
        ("audit_path", "flip"),
        ("checkpoint_path", "flip"),
        ("checkpoint_sequence", 2),
        ("seq", "6"),
        ("seq", True),
        ("leaf_hash", "not hex"),
        ("audit_path", "not a list"),
    ],
)
def test_a_tampered_proof_fails(signed: Checkpoint, change: tuple[str, Any]) -> None:
    key, value = change
    proof = inclusion_proof_for(LEDGER[1], 6, 13, signed)
    if value == "flip":
        original = proof[key]
        value = [flip(original[0]), *original[1:]] if isinstance(original, list) else flip(original)
    assert not verify_inclusion_proof(tampered(proof, key, value), signed)


def test_a_proof_with_missing_fields_fails(signed: Checkpoint) -> None:
    proof = inclusion_proof_for(LEDGER[1], 6, 13, signed)
    for key in ("shard", "seq", "tree_size", "leaf_hash", "audit_path", "shard_root"):
        incomplete = {k: v for k, v in proof.items() if k != key}
        assert not verify_inclusion_proof(incomplete, signed)


def test_a_proof_does_not_verify_against_another_checkpoint(
    signer: CheckpointSigner, signed: Checkpoint
) -> None:
    proof = inclusion_proof_for(LEDGER[1], 6, 13, signed)
    grown = {**LEDGER, 1: chain(1, 14)}
    later = signer.sign(2, T0, [shard_head(entries, shard) for shard, entries in grown.items()])
    assert not verify_inclusion_proof(proof, later)


def test_the_key_is_checked_when_given(signed: Checkpoint) -> None:
    proof = inclusion_proof_for(LEDGER[1], 6, 13, signed)
    other = CheckpointSigner.generate()
    assert not verify_inclusion_proof(proof, signed, other.public_key_b64())


def test_a_checkpoint_path_is_refused_for_a_shard_it_does_not_have(signed: Checkpoint) -> None:
    with pytest.raises(ValueError):
        checkpoint_inclusion(signed, len(SIZES))


def _hashes(size: int) -> list[bytes]:
    return [hashlib.sha256(bytes([i])).digest() for i in range(size)]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 13, 32, 33])
def test_streamed_audit_path_is_the_rfc_6962_path(size: int) -> None:
    leaves = _hashes(size)
    stream = [(i, leaf.hex()) for i, leaf in enumerate(leaves)]
    for index in range(size):
        expected = [node.hex() for node in inclusion_proof(leaves, index)]
        assert streamed_audit_path(stream, index, size) == expected


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 33])
def test_path_ranges_cover_every_other_leaf_once(size: int) -> None:
    for index in range(size):
        ranges = path_ranges(index, size)
        covered = sorted(leaf for lo, hi in ranges for leaf in range(lo, hi))
        assert covered == [leaf for leaf in range(size) if leaf != index]


def test_path_ranges_of_a_known_tree() -> None:
    assert path_ranges(0, 1) == []
    assert path_ranges(2, 7) == [(3, 4), (0, 2), (4, 7)]
    assert path_ranges(6, 7) == [(4, 6), (0, 4)]


def test_a_streamed_audit_path_refuses_a_gap_or_a_wrong_count() -> None:
    stream = [(i, leaf.hex()) for i, leaf in enumerate(_hashes(5))]
    with pytest.raises(ValueError, match="entry 2 is missing"):
        streamed_audit_path([*stream[:2], *stream[3:]], 0, 5)
    with pytest.raises(ValueError, match="found 4 entries, expected 5"):
        streamed_audit_path(stream[:4], 0, 5)
