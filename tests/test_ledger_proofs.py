"""Two-level inclusion proofs: entry in its shard tree, shard head in the signed checkpoint."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gatehouse.ledger.checkpoint import Checkpoint, CheckpointSigner
from gatehouse.ledger.entry import GENESIS_HASH, LedgerEntry, make_entry
from gatehouse.ledger.merkle import root, verify_inclusion
from gatehouse.ledger.proofs import (
    checkpoint_inclusion,
    inclusion_proof_for,
    verify_inclusion_proof,
)
from gatehouse.ledger.verify import shard_head

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


def test_proofs_are_refused_for_bad_requests(signed: Checkpoint) -> None:
    entries = LEDGER[1]
    with pytest.raises(ValueError):
        inclusion_proof_for(entries, 13, 13)
    with pytest.raises(ValueError):
        inclusion_proof_for(entries, 0, 14)
    with pytest.raises(ValueError):
        inclusion_proof_for(entries, 0, 12, signed)
    with pytest.raises(ValueError):
        inclusion_proof_for([entries[0], entries[2]], 0, 2)
    with pytest.raises(ValueError):
        checkpoint_inclusion(signed, len(SIZES))
