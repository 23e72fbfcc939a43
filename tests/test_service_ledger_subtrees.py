"""Stored subtrees on real databases: a checkpoint stores them, proofs read them instead of the
shard and equal the proofs from every leaf, and a forged one is caught by both."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, select, update

from gatehouse.domain.errors import Conflict
from gatehouse.ledger import (
    BLOCK_LEAVES,
    BLOCK_LEVEL,
    BadEntry,
    LedgerEntry,
    ShardState,
    append_entry,
    verify_inclusion_proof,
)
from gatehouse.services import ledger_checkpoints, ledger_proofs, ledger_verify
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.ledger_rows import entry_row, insert_entries
from gatehouse.store.ledger_tables import ledger_shards, ledger_subtrees
from tests.conftest import Fresh
from tests.support.ledger import inclusion_proof_for

SIZE = 2 * BLOCK_LEAVES + 300


def _grow(gh: Gatehouse, state: ShardState, count: int, into: list[LedgerEntry]) -> ShardState:
    rows = []
    for _ in range(count):
        at = gh.clock() + timedelta(milliseconds=state.head.size)
        entry, state = append_entry(state, "test.event", at, None, None, {"n": state.head.size})
        into.append(entry)
        rows.append(entry_row(entry))
    with gh.engine.begin() as connection:
        insert_entries(connection, rows)
        connection.execute(delete(ledger_shards))
        values = {"shard": 0, "state": state.to_dict(), "updated_at": gh.clock()}
        connection.execute(insert(ledger_shards).values(values))
    return state


def _stored(gh: Gatehouse) -> set[tuple[int, int, int]]:
    with gh.engine.connect() as connection:
        rows = connection.execute(
            select(ledger_subtrees.c.shard, ledger_subtrees.c.level, ledger_subtrees.c["index"])
        )
        return {(shard, level, index) for shard, level, index in rows}


def test_checkpoints_store_subtrees_and_proofs_read_them(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    entries: list[LedgerEntry] = []
    state = _grow(gh, ShardState.empty(0), BLOCK_LEAVES - 10, entries)
    ledger_checkpoints.make_checkpoint(gh)
    assert _stored(gh) == set()

    _grow(gh, state, SIZE - len(entries), entries)
    checkpoint = ledger_checkpoints.make_checkpoint(gh)

    # Blocks 0 and 1, and the subtree over both; the partial third block is not stored.
    assert _stored(gh) == {(0, BLOCK_LEVEL, 0), (0, BLOCK_LEVEL, 1), (0, BLOCK_LEVEL + 1, 0)}
    for seq in (0, 5, BLOCK_LEAVES - 1, BLOCK_LEAVES, 2 * BLOCK_LEAVES + 7, SIZE - 1):
        proof = ledger_proofs.entry_proof(gh, 0, seq)
        expected = inclusion_proof_for(entries, seq, SIZE, checkpoint)
        assert proof.proof_fields() == {**expected, "checkpoint_path": proof.checkpoint_path}
        assert proof.audit_path == expected["audit_path"]
        assert verify_inclusion_proof(proof.proof_fields(), checkpoint)
    assert ledger_verify.verify(gh).ok

    # The next checkpoint starts from the stored subtrees and reads only the new entries.
    _grow(gh, state_of(gh), BLOCK_LEAVES, entries)
    third = ledger_checkpoints.make_checkpoint(gh)
    assert (0, BLOCK_LEVEL, 2) in _stored(gh) and third.head(0) is not None
    proof = ledger_proofs.entry_proof(gh, 0, 2 * BLOCK_LEAVES + 1)
    assert proof.audit_path == inclusion_proof_for(entries, proof.seq, len(entries))["audit_path"]
    assert ledger_verify.verify(gh).ok


def state_of(gh: Gatehouse) -> ShardState:
    with gh.engine.connect() as connection:
        body = connection.execute(select(ledger_shards.c.state)).scalar_one()
    return ShardState.from_dict(body)


def test_a_checkpoint_over_a_forged_stored_subtree_is_refused(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    state = _grow(gh, ShardState.empty(0), SIZE, [])
    ledger_checkpoints.make_checkpoint(gh)
    with gh.engine.begin() as connection:
        connection.execute(
            update(ledger_subtrees)
            .where(ledger_subtrees.c.level == BLOCK_LEVEL + 1)
            .values(hash="cd" * 32)
        )
    _grow(gh, state, 10, [])

    with pytest.raises(Conflict) as raised:
        ledger_checkpoints.make_checkpoint(gh)

    assert raised.value.code == "ledger_mismatch"
    assert "do not rebuild its root" in raised.value.message


def test_a_forged_stored_subtree_fails_proofs_and_verification(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    _grow(gh, ShardState.empty(0), SIZE, [])
    ledger_checkpoints.make_checkpoint(gh)
    with gh.engine.begin() as connection:
        connection.execute(
            update(ledger_subtrees)
            .where(ledger_subtrees.c.level == BLOCK_LEVEL, ledger_subtrees.c["index"] == 1)
            .values(hash="ab" * 32)
        )

    with pytest.raises(Conflict) as raised:
        ledger_proofs.entry_proof(gh, 0, 3)
    result = ledger_verify.verify(gh)

    assert raised.value.code == "ledger_mismatch"
    # The entry's own block is read as leaves: its proof does not rest on the forged root.
    assert ledger_proofs.entry_proof(gh, 0, BLOCK_LEAVES + 3).seq == BLOCK_LEAVES + 3
    assert not result.ok
    assert result.first_bad == BadEntry(
        0,
        BLOCK_LEAVES,
        f"the stored subtree of entries {BLOCK_LEAVES}..{2 * BLOCK_LEAVES - 1} does not match them",
    )


def test_a_ledger_without_stored_subtrees_gets_them_at_its_next_checkpoint(fresh: Fresh) -> None:
    # A database from before subtrees were stored: its checkpoints read the whole shard once.
    gh = fresh.gatehouse
    entries: list[LedgerEntry] = []
    state = _grow(gh, ShardState.empty(0), SIZE, entries)
    ledger_checkpoints.make_checkpoint(gh)
    with gh.engine.begin() as connection:
        connection.execute(delete(ledger_subtrees))
    _grow(gh, state, 2 * BLOCK_LEAVES, entries)

    checkpoint = ledger_checkpoints.make_checkpoint(gh)

    assert {(level, index) for _, level, index in _stored(gh)} == {
        *((BLOCK_LEVEL, index) for index in range(4)),
        (BLOCK_LEVEL + 1, 0),
        (BLOCK_LEVEL + 1, 1),
        (BLOCK_LEVEL + 2, 0),
    }
    proof = ledger_proofs.entry_proof(gh, 0, 9)
    assert verify_inclusion_proof(proof.proof_fields(), checkpoint)
    assert ledger_verify.verify(gh).ok
