"""Inclusion proofs over the in-memory ledger (no database): the real hashing, fake storage."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from gatehouse.domain.errors import Conflict, NotFound
from gatehouse.ledger import verify_inclusion_proof
from gatehouse.services import ledger_proofs
from tests.support.fake_world import World, new_world

AT = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture
def w() -> World:
    world = new_world()
    # Entries in several shards, a few deep in each.
    with world.gh.unit_of_work() as uow:
        for n in range(40):
            uow.ledger.append(
                kind="test.event",
                at=AT,
                subject_id=f"sub_{n % 7}",
                recipient_id=None,
                payload={"n": n},
            )
    return world


def positions(w: World) -> list[tuple[int, int]]:
    return sorted(w.db.tables.entries)


def test_every_entry_is_proved_against_one_checkpoint_from_one_snapshot(w: World) -> None:
    w.checkpoint()
    checkpoint = w.db.tables.checkpoints[-1]
    units = len(w.db.units)

    proofs = ledger_proofs.inclusion_proofs(w.gh, positions(w))

    assert len(w.db.units) == units + 1 and w.db.units[-1].read_only
    assert set(proofs) == set(positions(w)) and len({p.shard for p in proofs.values()}) > 1
    for (shard, seq), proof in proofs.items():
        assert (proof.shard, proof.seq) == (shard, seq)
        assert proof.entry == w.db.tables.entries[(shard, seq)]
        assert verify_inclusion_proof(proof.to_dict(), checkpoint, w.signer.public_key_b64())


def test_the_json_form_keeps_its_fields(w: World) -> None:
    w.checkpoint()
    shard, seq = positions(w)[0]

    proof = ledger_proofs.entry_proof(w.gh, shard, seq).to_dict()

    assert list(proof) == [
        "shard",
        "seq",
        "tree_size",
        "leaf_hash",
        "audit_path",
        "shard_root",
        "checkpoint_sequence",
        "checkpoint_path",
        "entry",
    ]
    assert proof["entry"]["payload"] == w.db.tables.entries[(shard, seq)].payload


def test_nothing_to_prove_without_a_checkpoint_covering_the_entry(w: World) -> None:
    shard, seq = positions(w)[0]
    with pytest.raises(NotFound) as none:
        ledger_proofs.entry_proof(w.gh, shard, seq)
    assert none.value.code == "no_checkpoint"
    w.checkpoint()
    with w.gh.unit_of_work() as uow:
        later = uow.ledger.append(
            kind="test.later", at=AT, subject_id="sub_0", recipient_id=None, payload={}
        )
    with pytest.raises(NotFound) as uncovered:
        ledger_proofs.entry_proof(w.gh, later.shard, later.seq)
    assert uncovered.value.code == "not_in_checkpoint"
    with pytest.raises(NotFound) as no_shard:
        ledger_proofs.entry_proof(w.gh, 999, 0)
    assert no_shard.value.code == "no_such_shard"
    assert ledger_proofs.inclusion_proofs(w.gh, []) == {}


def test_an_edited_entry_is_reported_not_proved(w: World) -> None:
    w.checkpoint()
    shard, seq = positions(w)[-1]
    entries = w.db.tables.entries
    entries[(shard, seq)] = replace(entries[(shard, seq)], payload={"n": -1})

    with pytest.raises(Conflict) as tampered:
        ledger_proofs.entry_proof(w.gh, shard, seq)
    assert tampered.value.code == "ledger_mismatch"


def test_a_rewritten_history_no_longer_reproduces_the_checkpoint(w: World) -> None:
    w.checkpoint()
    shard, seq = positions(w)[0]
    entries = w.db.tables.entries
    # A consistent rewrite of one entry: its hash recomputed, but the signed root remembers.
    forged = replace(entries[(shard, seq)], payload={"n": 1000})
    entries[(shard, seq)] = replace(forged, entry_hash=forged.leaf().hex())

    with pytest.raises(Conflict):
        ledger_proofs.entry_proof(w.gh, shard, seq)
