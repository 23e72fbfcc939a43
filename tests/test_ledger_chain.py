"""The chain of checkpoints: gaps, broken links, failing consistency proofs, published copies,
and the leaves a published checkpoint proves."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.ledger import (
    BadEntry,
    Checkpoint,
    CheckpointSigner,
    CompactRange,
    LeafRun,
    ShardHead,
    chain_problem,
    consistency_proof,
    proven_leaves,
    published_problem,
    root,
    trusted_key_for,
)

T0 = datetime(2025, 6, 1, tzinfo=UTC)
LEAVES = [os.urandom(32) for _ in range(11)]
SIZES = (3, 7, 11)


def _head(size: int) -> ShardHead:
    if size == 0:
        return ShardHead.empty(0)
    return ShardHead(0, size, root(LEAVES[:size]).hex(), LEAVES[size - 1].hex())


@pytest.fixture(scope="module")
def signer() -> CheckpointSigner:
    return CheckpointSigner.generate()


@pytest.fixture(scope="module")
def chain(signer: CheckpointSigner) -> list[Checkpoint]:
    signed: list[Checkpoint] = []
    for number, size in enumerate(SIZES, start=1):
        previous = signed[-1] if signed else None
        proofs = [consistency_proof(LEAVES[:size], previous.shards[0].size)] if previous else []
        at = T0 + timedelta(hours=number)
        signed.append(signer.sign(number, at, [_head(size)], previous=previous, consistency=proofs))
    return signed


def test_an_unbroken_chain_has_no_problem(
    chain: list[Checkpoint], signer: CheckpointSigner
) -> None:
    assert chain_problem(chain) is None
    assert chain[1].previous == chain[0].digest() and chain[0].previous is None
    assert all(trusted_key_for(cp, {signer.public_key_b64()}) for cp in chain)
    assert trusted_key_for(chain[0], {CheckpointSigner.generate().public_key_b64()}) is None


def test_a_gap_is_named(chain: list[Checkpoint]) -> None:
    assert chain_problem([chain[0], chain[2]]) == BadEntry(
        -1, -1, "checkpoint #2 is missing (after #1, #3)"
    )
    assert chain_problem(chain[1:]) == BadEntry(
        -1, -1, "checkpoint #1 is missing (the first stored is #2)"
    )


def test_a_replaced_checkpoint_breaks_the_next_link(
    chain: list[Checkpoint], signer: CheckpointSigner
) -> None:
    other = signer.sign(
        2,
        chain[1].at,
        chain[1].shards,
        previous=chain[0],
        consistency=[consistency_proof(LEAVES[:7], 3)],
    )
    replaced = dataclasses.replace(other, at=other.at + timedelta(seconds=1))
    problem = chain_problem([chain[0], replaced, chain[2]])
    assert problem is not None
    assert "checkpoint #3 does not name the hash of checkpoint #2" in problem.reason


def test_a_failing_consistency_proof_is_named(
    chain: list[Checkpoint], signer: CheckpointSigner
) -> None:
    forged = signer.sign(
        2, chain[1].at, chain[1].shards, previous=chain[0], consistency=[[os.urandom(32)]]
    )
    assert chain_problem([chain[0], forged]) == BadEntry(
        -1, -1, "checkpoint #2 does not prove shard 0 extends #1"
    )


def test_a_published_checkpoint_must_be_stored_unchanged(chain: list[Checkpoint]) -> None:
    stored = {cp.sequence: cp for cp in chain[:2]}
    assert published_problem(stored, [("the anchor", chain[1])]) is None
    assert published_problem(stored, [("the anchor", chain[2])]) == BadEntry(
        -1, -1, "checkpoint #3 from the anchor is missing from the database"
    )
    other = CheckpointSigner.generate().sign(2, chain[1].at, chain[1].shards)
    problem = published_problem(stored, [("the anchor", other)])
    assert problem is not None and "(signed by another key)" in problem.reason


def test_leaf_runs_count_only_when_they_rebuild_the_signed_root(chain: list[Checkpoint]) -> None:
    frontier = CompactRange()
    for leaf in LEAVES[:3]:
        frontier.append(leaf)
    good = LeafRun(0, 3, frontier.hashes, tuple(LEAVES[3:7]))
    bad = LeafRun(0, 3, frontier.hashes, (os.urandom(32), *LEAVES[4:7]))
    assert proven_leaves([(chain[1], good)]) == {0: dict(enumerate(LEAVES[3:7], start=3))}
    assert proven_leaves([(chain[1], bad)]) == {}
    assert proven_leaves([(chain[2], good)]) == {}
