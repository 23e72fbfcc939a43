"""Archiving on real databases: old, signed entries move into Parquet files and out of the hot
table; the ledger still verifies (in process, in a pool, and entry by entry), proofs of
archived entries still check against the signed root, new checkpoints still extend the old
ones, and DuckDB counts the files as they were archived."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import Connection, delete, func, insert, select, update

from gatehouse.domain.errors import Conflict, GatehouseError
from gatehouse.ledger import (
    BLOCK_LEAVES,
    LedgerEntry,
    ShardState,
    append_entry,
    verify_inclusion_proof,
)
from gatehouse.services import ledger_archive, ledger_checkpoints, ledger_proofs, ledger_verify
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.ledger_rows import entry_row, insert_entries
from gatehouse.store.ledger_tables import ledger_archives, ledger_entries, ledger_shards
from tests.conftest import Fresh
from tests.support.ledger import inclusion_proof_for

SIZE = 2 * BLOCK_LEAVES + 300
DAY0 = datetime(2026, 1, 1, tzinfo=UTC)
KINDS = ("transfer.allowed", "view.read", "transfer.refused")

Ledger = dict[int, list[LedgerEntry]]


def grow(gh: Gatehouse, ledger: Ledger, count: int, shards: tuple[int, ...] = (0, 1)) -> None:
    """Append ``count`` entries to each shard, one a minute from ``DAY0``, as appends would."""
    with gh.engine.begin() as connection:
        for shard in shards:
            entries = ledger.setdefault(shard, [])
            state = _state_of(connection, shard)
            rows = []
            for _ in range(count):
                n = state.head.size
                at = DAY0 + timedelta(minutes=n)
                kind = KINDS[n % len(KINDS)]
                entry, state = append_entry(
                    state, kind, at, f"sub_{n % 7}", "rcp_1", {"n": n, "note": "한국"}
                )
                entries.append(entry)
                rows.append(entry_row(entry))
            insert_entries(connection, rows)
            connection.execute(delete(ledger_shards).where(ledger_shards.c.shard == shard))
            values = {"shard": shard, "state": state.to_dict(), "updated_at": gh.clock()}
            connection.execute(insert(ledger_shards).values(values))


def _state_of(connection: Connection, shard: int) -> ShardState:
    body = connection.execute(
        select(ledger_shards.c.state).where(ledger_shards.c.shard == shard)
    ).scalar_one_or_none()
    return ShardState.empty(shard) if body is None else ShardState.from_dict(body)


def archived_ledger(fresh: Fresh, directory: Path, shards: tuple[int, ...] = (0, 1)) -> Ledger:
    """A ledger of ``SIZE`` entries per shard, signed, with its first two blocks archived."""
    gh = fresh.gatehouse
    directory.mkdir(exist_ok=True)
    gh.archive_dir = directory
    ledger: Ledger = {}
    grow(gh, ledger, SIZE, shards)
    ledger_checkpoints.make_checkpoint(gh)
    ledger_archive.archive(gh, DAY0 + timedelta(days=30), directory)
    return ledger


def hot_range(gh: Gatehouse, shard: int) -> tuple[int | None, int]:
    with gh.engine.connect() as connection:
        low, count = connection.execute(
            select(func.min(ledger_entries.c.seq), func.count()).where(
                ledger_entries.c.shard == shard
            )
        ).one()
    return low, count


def test_archive_moves_signed_old_blocks_and_the_ledger_still_verifies(
    fresh: Fresh, tmp_path: Path
) -> None:
    gh = fresh.gatehouse
    directory = tmp_path / "archive"
    directory.mkdir()
    gh.archive_dir = directory
    ledger: Ledger = {}
    grow(gh, ledger, SIZE)
    ledger_checkpoints.make_checkpoint(gh)

    # Day 1 holds entries 0..1439: the first whole block of each shard moves, no more.
    first = ledger_archive.archive(gh, DAY0 + timedelta(days=1), directory)
    assert [(r.shard, r.first, r.last, r.rows) for r in first.records] == [
        (0, 0, BLOCK_LEAVES - 1, BLOCK_LEAVES),
        (1, 0, BLOCK_LEAVES - 1, BLOCK_LEAVES),
    ]
    assert hot_range(gh, 0) == (BLOCK_LEAVES, SIZE - BLOCK_LEAVES)
    assert sorted(p.name for p in directory.iterdir()) == [r.file_name for r in first.records]
    assert ledger_archive.archive(gh, DAY0 + timedelta(days=1), directory).records == []

    # Later: up to the last stored block; the partial third block stays hot.
    second = ledger_archive.archive(gh, DAY0 + timedelta(days=30), directory)
    assert [(r.shard, r.first, r.last) for r in second.records] == [
        (0, BLOCK_LEAVES, 2 * BLOCK_LEAVES - 1),
        (1, BLOCK_LEAVES, 2 * BLOCK_LEAVES - 1),
    ]
    assert hot_range(gh, 1) == (2 * BLOCK_LEAVES, SIZE - 2 * BLOCK_LEAVES)

    seen: list[LedgerEntry] = []
    assert ledger_verify.verify(gh) == ledger_verify.verify(gh, workers=2)
    result = ledger_verify.verify(gh, observe=seen.append)
    assert result.ok and result.entries == 2 * SIZE, result.first_bad
    assert seen == ledger[0] + ledger[1]

    # Appends, checkpoints (consistency proofs from stored roots) and verification go on.
    grow(gh, ledger, 500)
    second_checkpoint = ledger_checkpoints.make_checkpoint(gh)
    assert second_checkpoint.sequence == 2
    assert ledger_verify.verify(gh).ok
    assert ledger_verify.verify(gh, workers=2).entries == 2 * (SIZE + 500)


def test_proofs_of_archived_entries_read_their_block_from_the_file(
    fresh: Fresh, tmp_path: Path
) -> None:
    gh = fresh.gatehouse
    ledger = archived_ledger(fresh, tmp_path / "archive")
    checkpoint = ledger_checkpoints.latest_checkpoint(gh)
    assert checkpoint is not None
    wanted = [(0, 0), (0, 700), (0, 2 * BLOCK_LEAVES - 1), (0, 2 * BLOCK_LEAVES), (1, SIZE - 1)]
    proofs = ledger_proofs.inclusion_proofs(gh, wanted)
    for (shard, seq), proof in proofs.items():
        expected = inclusion_proof_for(ledger[shard], seq, SIZE, checkpoint)
        assert proof.proof_fields() == expected
        assert proof.entry == ledger[shard][seq]
        assert verify_inclusion_proof(proof.proof_fields(), checkpoint)

    # Without the files an archived entry has no proof, only a conflict that says to verify.
    gh.archive_dir = tmp_path / "elsewhere"
    with pytest.raises(Conflict) as caught:
        ledger_proofs.entry_proof(gh, 0, 700)
    assert caught.value.code == "ledger_mismatch"
    assert ledger_proofs.entry_proof(gh, 0, SIZE - 1).seq == SIZE - 1


def test_only_signed_entries_in_stored_blocks_move(fresh: Fresh, tmp_path: Path) -> None:
    gh = fresh.gatehouse
    directory = tmp_path / "archive"
    directory.mkdir()
    ledger: Ledger = {}
    later = DAY0 + timedelta(days=30)
    assert ledger_archive.archive(gh, later, directory).records == []

    grow(gh, ledger, BLOCK_LEAVES - 1, shards=(0,))
    ledger_checkpoints.make_checkpoint(gh)
    grow(gh, ledger, SIZE - BLOCK_LEAVES + 1, shards=(0,))
    # The checkpoint covers no whole block, the rest is unsigned: nothing may move.
    assert ledger_archive.plan(gh, later) == []

    ledger_checkpoints.make_checkpoint(gh)
    planned = ledger_archive.plan(gh, later)
    assert [(r.shard, r.first, r.end) for r in planned] == [(0, 0, 2 * BLOCK_LEAVES)]
    # A cut-off inside the first block moves nothing either.
    assert ledger_archive.plan(gh, DAY0 + timedelta(minutes=BLOCK_LEAVES - 1)) == []
    assert len(ledger_archive.plan(gh, DAY0 + timedelta(minutes=BLOCK_LEAVES))) == 1

    with pytest.raises(GatehouseError) as missing:
        ledger_archive.archive(gh, later, tmp_path / "nowhere")
    assert missing.value.code == "no_archive_directory"


def test_a_file_left_by_a_crash_is_replaced_and_a_bad_range_refused(
    fresh: Fresh, tmp_path: Path
) -> None:
    gh = fresh.gatehouse
    directory = tmp_path / "archive"
    directory.mkdir()
    gh.archive_dir = directory
    ledger: Ledger = {}
    grow(gh, ledger, SIZE, shards=(0,))
    ledger_checkpoints.make_checkpoint(gh)
    # A crash after the file was renamed into place, before the transaction committed.
    orphan = ledger_archive.write_file(
        directory, "ledger-s0000-000000000000-000000002047.parquet", ledger[0][:10]
    )
    assert ledger_verify.verify(gh).ok

    with gh.engine.begin() as connection:
        connection.execute(
            update(ledger_entries)
            .where(ledger_entries.c.shard == 0, ledger_entries.c.seq == 1500)
            .values(kind="test.edited")
        )
    with pytest.raises(Conflict) as refused:
        ledger_archive.archive(gh, DAY0 + timedelta(days=30), directory)
    assert refused.value.details == {"shard": 0, "seq": 1500}
    assert hot_range(gh, 0) == (0, SIZE)

    with gh.engine.begin() as connection:
        connection.execute(
            update(ledger_entries)
            .where(ledger_entries.c.shard == 0, ledger_entries.c.seq == 1500)
            .values(kind=ledger[0][1500].kind)
        )
    report = ledger_archive.archive(gh, DAY0 + timedelta(days=30), directory)
    assert [record.file_name for record in report.records] == [orphan.name]
    assert ledger_verify.verify(gh).ok


def test_duckdb_counts_the_archive_files_as_archived(fresh: Fresh, tmp_path: Path) -> None:
    gh = fresh.gatehouse
    directory = tmp_path / "archive"
    ledger = archived_ledger(fresh, directory)
    expected = Counter(
        (entry.shard, entry.kind)
        for entries in ledger.values()
        for entry in entries[: 2 * BLOCK_LEAVES]
    )
    connection = duckdb.connect()
    try:
        rows = connection.execute(
            "SELECT shard, kind, count(*) FROM read_parquet(?) GROUP BY shard, kind",
            [str(directory / "*.parquet")],
        ).fetchall()
        per_shard = connection.execute(
            "SELECT shard, count(*), min(seq), max(seq) FROM read_parquet(?) GROUP BY shard"
            " ORDER BY shard",
            [str(directory / "*.parquet")],
        ).fetchall()
    finally:
        connection.close()
    assert {(shard, kind): count for shard, kind, count in rows} == dict(expected)
    with gh.engine.connect() as db:
        recorded = db.execute(
            select(ledger_archives.c.shard, func.sum(ledger_archives.c.row_count))
            .group_by(ledger_archives.c.shard)
            .order_by(ledger_archives.c.shard)
        ).all()
    assert [(shard, count) for shard, count, _, _ in per_shard] == [
        (shard, int(total)) for shard, total in recorded
    ]
    assert [(low, high) for _, _, low, high in per_shard] == [(0, 2 * BLOCK_LEAVES - 1)] * 2
