"""Stored subtrees on real databases: a checkpoint stores them, proofs read them instead of the
shard and equal the proofs from every leaf, and a forged one is caught by both."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, event, select, update

from gatehouse.domain.errors import Conflict
from gatehouse.ledger import (
    BLOCK_LEAVES,
    BLOCK_LEVEL,
    TILE_LEVEL,
    BadEntry,
    LedgerEntry,
    ShardState,
    verify_inclusion_proof,
)
from gatehouse.services import ledger_checkpoints, ledger_proofs, ledger_verify
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.ledger_tables import ledger_shards, ledger_subtrees
from tests.conftest import Fresh
from tests.support.ledger import grow_shard, inclusion_proof_for, stored_subtrees

SIZE = 2 * BLOCK_LEAVES + 300


def _tiles_of(blocks: range) -> set[tuple[int, int]]:
    """The ``(level, index)`` of the roots below the block level that ``blocks`` store."""
    return {
        (level, index)
        for level in range(TILE_LEVEL, BLOCK_LEVEL)
        for block in blocks
        for index in range(block << (BLOCK_LEVEL - level), (block + 1) << (BLOCK_LEVEL - level))
    }


def test_checkpoints_store_subtrees_and_proofs_read_them(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    entries: list[LedgerEntry] = []
    state = grow_shard(gh, ShardState.empty(0), BLOCK_LEAVES - 10, entries)
    ledger_checkpoints.make_checkpoint(gh)
    assert stored_subtrees(gh) == set()

    grow_shard(gh, state, SIZE - len(entries), entries)
    checkpoint = ledger_checkpoints.make_checkpoint(gh)

    # Blocks 0 and 1 with their tiles, and the subtree over both; the partial third block is
    # not stored.
    assert stored_subtrees(gh) == {
        (0, level, index)
        for level, index in {(BLOCK_LEVEL, 0), (BLOCK_LEVEL, 1), (BLOCK_LEVEL + 1, 0)}
        | _tiles_of(range(2))
    }
    for seq in (0, 5, BLOCK_LEAVES - 1, BLOCK_LEAVES, 2 * BLOCK_LEAVES + 7, SIZE - 1):
        proof = ledger_proofs.entry_proof(gh, 0, seq)
        expected = inclusion_proof_for(entries, seq, SIZE, checkpoint)
        assert proof.proof_fields() == {**expected, "checkpoint_path": proof.checkpoint_path}
        assert proof.audit_path == expected["audit_path"]
        assert verify_inclusion_proof(proof.proof_fields(), checkpoint)
    assert ledger_verify.verify(gh).ok

    # The next checkpoint starts from the stored subtrees and reads only the new entries.
    grow_shard(gh, state_of(gh), BLOCK_LEAVES, entries)
    third = ledger_checkpoints.make_checkpoint(gh)
    assert (0, BLOCK_LEVEL, 2) in stored_subtrees(gh) and third.head(0) is not None
    proof = ledger_proofs.entry_proof(gh, 0, 2 * BLOCK_LEAVES + 1)
    assert proof.audit_path == inclusion_proof_for(entries, proof.seq, len(entries))["audit_path"]
    assert ledger_verify.verify(gh).ok


def state_of(gh: Gatehouse) -> ShardState:
    with gh.engine.connect() as connection:
        body = connection.execute(select(ledger_shards.c.state)).scalar_one()
    return ShardState.from_dict(body)


def test_a_checkpoint_over_a_forged_stored_subtree_is_refused(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    state = grow_shard(gh, ShardState.empty(0), SIZE, [])
    ledger_checkpoints.make_checkpoint(gh)
    with gh.engine.begin() as connection:
        connection.execute(
            update(ledger_subtrees)
            .where(ledger_subtrees.c.level == BLOCK_LEVEL + 1)
            .values(hash="cd" * 32)
        )
    grow_shard(gh, state, 10, [])

    with pytest.raises(Conflict) as raised:
        ledger_checkpoints.make_checkpoint(gh)

    assert raised.value.code == "ledger_mismatch"
    assert "do not rebuild its root" in raised.value.message


def test_a_forged_stored_subtree_fails_proofs_and_verification(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    grow_shard(gh, ShardState.empty(0), SIZE, [])
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
    state = grow_shard(gh, ShardState.empty(0), SIZE, entries)
    ledger_checkpoints.make_checkpoint(gh)
    with gh.engine.begin() as connection:
        connection.execute(delete(ledger_subtrees))
    grow_shard(gh, state, 2 * BLOCK_LEAVES, entries)

    checkpoint = ledger_checkpoints.make_checkpoint(gh)

    assert {(level, index) for _, level, index in stored_subtrees(gh)} == {
        *((BLOCK_LEVEL, index) for index in range(4)),
        (BLOCK_LEVEL + 1, 0),
        (BLOCK_LEVEL + 1, 1),
        (BLOCK_LEVEL + 2, 0),
        *_tiles_of(range(4)),
    }
    proof = ledger_proofs.entry_proof(gh, 0, 9)
    assert verify_inclusion_proof(proof.proof_fields(), checkpoint)
    assert ledger_verify.verify(gh).ok


def test_a_page_of_proofs_reads_its_roots_leaves_and_entries_in_three_queries(
    fresh: Fresh,
) -> None:
    gh = fresh.gatehouse
    entries: list[LedgerEntry] = []
    grow_shard(gh, ShardState.empty(0), 6 * BLOCK_LEAVES + 300, entries)
    checkpoint = ledger_checkpoints.make_checkpoint(gh)
    positions = [(0, seq) for seq in range(7, len(entries), 397)]
    reads: list[str] = []

    def count(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        sql = " ".join(sql.split())
        if "FROM ledger_subtrees" in sql or "ledger_entries.entry_hash FROM" in sql:
            reads.append(sql)

    event.listen(gh.engine, "before_cursor_execute", count)
    try:
        proofs = ledger_proofs.inclusion_proofs(gh, positions)
    finally:
        event.remove(gh.engine, "before_cursor_execute", count)

    assert len(proofs) == len(positions) > 15
    for position, proof in proofs.items():
        assert verify_inclusion_proof(proof.proof_fields(), checkpoint)
        expected = inclusion_proof_for(entries, position[1], len(entries))
        assert proof.audit_path == expected["audit_path"]
    # The roots, the tiles' leaves and the entries: not one query per node, tile or proof.
    assert sum("FROM ledger_subtrees" in sql for sql in reads) == 1
    assert sum("FROM ledger_entries" in sql for sql in reads) == 2


def test_blocks_stored_before_their_tiles_are_proven_from_their_leaves(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    entries: list[LedgerEntry] = []
    grow_shard(gh, ShardState.empty(0), 3 * BLOCK_LEAVES + 10, entries)
    checkpoint = ledger_checkpoints.make_checkpoint(gh)
    with gh.engine.begin() as connection:
        connection.execute(delete(ledger_subtrees).where(ledger_subtrees.c.level < BLOCK_LEVEL))

    proofs = ledger_proofs.inclusion_proofs(gh, [(0, 5), (0, BLOCK_LEAVES + 600), (0, 3000)])

    for (_, seq), proof in proofs.items():
        assert verify_inclusion_proof(proof.proof_fields(), checkpoint)
        assert proof.audit_path == inclusion_proof_for(entries, seq, len(entries))["audit_path"]
    assert ledger_verify.verify(gh).ok
