"""Reference ledger computations, from scratch over whole shards, that Gatehouse's incremental
and streamed ones are held to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from gatehouse.ledger import (
    GENESIS_HASH,
    Checkpoint,
    LedgerEntry,
    ShardHead,
    ShardState,
    append_entry,
    checkpoint_inclusion,
    inclusion_proof,
    root,
    verify_ledger,
)
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.ledger import LedgerRepository
from gatehouse.store.ledger_rows import entry_row, insert_entries
from gatehouse.store.ledger_tables import ledger_entries, ledger_shards, ledger_subtrees


def shard_head(entries: Sequence[LedgerEntry], shard: int) -> ShardHead:
    """The head of a shard whose chain verifies, from all of its entries."""
    result = verify_ledger({shard: entries})
    assert result.ok, result.first_bad
    return ShardHead(
        shard=shard,
        size=len(entries),
        root=root([entry.leaf() for entry in entries]).hex(),
        head_hash=entries[-1].entry_hash if entries else GENESIS_HASH,
    )


def inclusion_proof_for(
    entries_of_shard: Sequence[LedgerEntry],
    seq: int,
    tree_size: int,
    checkpoint: Checkpoint | None = None,
) -> dict[str, Any]:
    """The proof that entry ``seq`` is in the shard's tree of ``tree_size`` entries, with the
    checkpoint-level path when ``checkpoint`` is given: the shape the API serves."""
    assert 0 <= seq < tree_size <= len(entries_of_shard)
    leaves = [entry.leaf() for entry in entries_of_shard[:tree_size]]
    shard = entries_of_shard[0].shard
    proof: dict[str, Any] = {
        "shard": shard,
        "seq": seq,
        "tree_size": tree_size,
        "leaf_hash": leaves[seq].hex(),
        "audit_path": [node.hex() for node in inclusion_proof(leaves, seq)],
        "shard_root": root(leaves).hex(),
    }
    if checkpoint is not None:
        proof["checkpoint_sequence"] = checkpoint.sequence
        proof["checkpoint_path"] = checkpoint_inclusion(checkpoint, shard)
    return proof


def forge_rewrite(connection: Connection, shard: int, seq: int) -> None:
    """What a forger with write access does: edit entry ``seq`` of ``shard``, re-chain every
    later entry and save the recomputed head, all with SQL in ``connection``."""
    state = ShardState.empty(shard)
    for entry in list(LedgerRepository(connection).stream_shard(shard)):
        payload = {"round": 99} if entry.seq == seq else entry.payload
        forged, state = append_entry(
            state, entry.kind, entry.at, entry.subject_id, entry.recipient_id, payload
        )
        connection.execute(
            update(ledger_entries)
            .where(ledger_entries.c.shard == shard, ledger_entries.c.seq == entry.seq)
            .values(
                payload=dict(forged.payload),
                prev_hash=forged.prev_hash,
                entry_hash=forged.entry_hash,
            )
        )
    connection.execute(
        update(ledger_shards).where(ledger_shards.c.shard == shard).values(state=state.to_dict())
    )


def grow_shard(gh: Gatehouse, state: ShardState, count: int, into: list[LedgerEntry]) -> ShardState:
    """Append ``count`` test entries to shard 0 (the only one), and add them to ``into``."""
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


def stored_subtrees(gh: Gatehouse) -> set[tuple[int, int, int]]:
    """Every stored subtree's ``(shard, level, index)``."""
    with gh.engine.connect() as connection:
        rows = connection.execute(
            select(ledger_subtrees.c.shard, ledger_subtrees.c.level, ledger_subtrees.c["index"])
        )
        return {(shard, level, index) for shard, level, index in rows}
