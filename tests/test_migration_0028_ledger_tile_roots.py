"""Migration 0028 on each backend: the blocks stored before tile roots were get them, equal to
what a checkpoint stores now, and its downgrade leaves the blocks' own roots in place."""

from __future__ import annotations

from sqlalchemy import delete

from gatehouse.ledger import BLOCK_LEAVES, BLOCK_LEVEL, LedgerEntry, ShardState
from gatehouse.services import ledger_checkpoints, ledger_proofs, ledger_verify
from gatehouse.store.ledger_tables import ledger_entries
from tests.conftest import Fresh
from tests.support.ledger import grow_shard, inclusion_proof_for, stored_subtrees
from tests.support.migrations import downgrade_to, upgrade_to


def test_upgrade_stores_the_tiles_of_blocks_stored_before_them(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    entries: list[LedgerEntry] = []
    grow_shard(gh, ShardState.empty(0), 3 * BLOCK_LEAVES + 100, entries)
    checkpoint = ledger_checkpoints.make_checkpoint(gh)
    as_stored_now = stored_subtrees(gh)
    assert any(level < BLOCK_LEVEL for _, level, _ in as_stored_now)

    downgrade_to(gh.engine, "0027")
    blocks_only = stored_subtrees(gh)
    assert blocks_only == {row for row in as_stored_now if row[1] >= BLOCK_LEVEL}
    # Without tiles, proofs read the blocks' leaves and are the same proofs.
    proof = ledger_proofs.entry_proof(gh, 0, BLOCK_LEAVES + 5)
    assert proof.audit_path == inclusion_proof_for(entries, proof.seq, len(entries))["audit_path"]

    upgrade_to(gh.engine, "head")
    assert stored_subtrees(gh) == as_stored_now
    assert ledger_verify.verify(gh).ok
    proof = ledger_proofs.entry_proof(gh, 0, 2 * BLOCK_LEAVES + 77)
    assert proof.audit_path == inclusion_proof_for(entries, proof.seq, len(entries))["audit_path"]
    assert proof.checkpoint_sequence == checkpoint.sequence


def test_a_block_whose_leaves_left_the_hot_table_gets_no_tiles(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    grow_shard(gh, ShardState.empty(0), 2 * BLOCK_LEAVES, [])
    ledger_checkpoints.make_checkpoint(gh)
    downgrade_to(gh.engine, "0027")
    with gh.engine.begin() as connection:
        # As archiving leaves it: block 0's entries gone from the hot table.
        connection.execute(delete(ledger_entries).where(ledger_entries.c.seq < BLOCK_LEAVES))

    upgrade_to(gh.engine, "head")

    tiles = {(level, index) for _, level, index in stored_subtrees(gh) if level < BLOCK_LEVEL}
    assert tiles and all(index << level >= BLOCK_LEAVES for level, index in tiles)
