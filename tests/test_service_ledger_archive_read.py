"""Verifying archived entries on real databases: a missing, changed, truncated or reordered
archive file, or a tampered record, fails verification naming the shard and entry, in the
shard scan (in process and in a pool) and entry by entry; a file rewritten together with
its recorded SHA-256 is still caught by the signed checkpoints."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import update

from gatehouse.ledger import BLOCK_LEAVES, BadEntry, LedgerEntry, ShardState, append_entry
from gatehouse.ledger.archive import (
    ARCHIVE_COLUMNS,
    ArchiveRecord,
    ArchiveRow,
    RangeRoot,
    row_entry,
)
from gatehouse.ledger.scan import ShardScanner
from gatehouse.services import ledger_archive, ledger_verify
from gatehouse.services.ledger_archive_read import (
    file_sha256,
    read_batches,
    scan_archives,
)
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.ledger import LedgerRepository
from gatehouse.store.ledger_rows import entry_row, insert_entries
from gatehouse.store.ledger_tables import ledger_archives, ledger_entries, ledger_shards
from tests.conftest import Fresh
from tests.test_service_ledger_archive import SIZE, archived_ledger

FILE = "ledger-s0000-000000000000-000000002047.parquet"
LAST = 2 * BLOCK_LEAVES - 1


def _both(gh: Gatehouse) -> tuple[BadEntry | None, BadEntry | None]:
    """The first problem as the shard scan names it, and as the entry-by-entry verifier does."""
    scanned = ledger_verify.verify(gh)
    one_by_one = ledger_verify.verify(gh, observe=lambda entry: None)
    assert not scanned.ok and not one_by_one.ok
    return scanned.first_bad, one_by_one.first_bad


def _rows(directory: Path) -> list[ArchiveRow]:
    return [row for batch in read_batches(directory / FILE) for row in batch]


def _rewrite(directory: Path, change: Callable[[list[ArchiveRow]], list[ArchiveRow]]) -> None:
    """Rewrite the shard-0 file with its rows changed by ``change``, as someone with only
    file access would."""
    entries = [row_entry(row) for row in change(_rows(directory))]
    ledger_archive.write_file(directory, FILE, entries)


def _record(gh: Gatehouse, **values: Any) -> None:
    with gh.engine.begin() as connection:
        connection.execute(
            update(ledger_archives).where(ledger_archives.c.file_name == FILE).values(**values)
        )


@pytest.fixture
def archived(fresh: Fresh, tmp_path: Path) -> tuple[Gatehouse, Path]:
    directory = tmp_path / "archive"
    archived_ledger(fresh, directory, shards=(0,))
    assert ledger_verify.verify(fresh.gatehouse).ok
    return fresh.gatehouse, directory


def test_a_missing_file_is_named(archived: tuple[Gatehouse, Path]) -> None:
    gh, directory = archived
    (directory / FILE).unlink()
    scanned, one_by_one = _both(gh)
    assert scanned == one_by_one
    assert scanned is not None and (scanned.shard, scanned.seq) == (0, 0)
    assert FILE in scanned.reason and "missing" in scanned.reason


def test_a_changed_entry_is_named(archived: tuple[Gatehouse, Path]) -> None:
    gh, directory = archived

    def edit(rows: list[ArchiveRow]) -> list[ArchiveRow]:
        rows[700] = (*rows[700][:6], '{"n":700,"note":"edited"}', *rows[700][7:])
        return rows

    _rewrite(directory, edit)
    scanned, one_by_one = _both(gh)
    assert scanned is not None and (scanned.shard, scanned.seq) == (0, 700)
    assert "differs from its record" in scanned.reason and "hash mismatch" in scanned.reason
    # Entry by entry, the file's checksum names where the file starts.
    assert one_by_one is not None and (one_by_one.shard, one_by_one.seq) == (0, 0)


def test_reordered_entries_are_named(archived: tuple[Gatehouse, Path]) -> None:
    gh, directory = archived

    # The writer sorts by seq; a copy in another order is what a reordering leaves.
    rows = _rows(directory)
    rows[10], rows[11] = rows[11], rows[10]
    connection = duckdb.connect()
    try:
        columns = ", ".join(f'"{name}" {kind}' for name, kind in ARCHIVE_COLUMNS)
        connection.execute(f"CREATE TABLE t ({columns})")
        connection.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        connection.execute(f"COPY t TO '{directory / FILE}' (FORMAT parquet)")
    finally:
        connection.close()
    scanned, one_by_one = _both(gh)
    assert scanned is not None and (scanned.shard, scanned.seq) == (0, 10)
    assert "out of order" in scanned.reason
    assert one_by_one is not None and one_by_one.shard == 0 and one_by_one.seq in (0, 10)


def test_a_truncated_file_is_named(archived: tuple[Gatehouse, Path]) -> None:
    gh, directory = archived
    path = directory / FILE
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    scanned, one_by_one = _both(gh)
    assert scanned == one_by_one
    assert scanned is not None and (scanned.shard, scanned.seq) == (0, 0)
    assert "unreadable" in scanned.reason


@pytest.mark.parametrize(
    ("values", "seq", "words"),
    [
        ({"sha256": "0" * 64}, 0, "differs from its record"),
        ({"row_count": 5}, 0, "does not add up"),
        ({"last_hash": "a" * 64}, LAST, "last entry hash"),
        ({"root": "b" * 64}, 0, "Merkle root"),
        ({"first_seq": 1}, 0, "starts at entry 1"),
        ({"file_name": "../../etc/passwd"}, 0, "malformed"),
    ],
)
def test_a_tampered_record_is_named(
    archived: tuple[Gatehouse, Path], values: dict[str, Any], seq: int, words: str
) -> None:
    gh, _ = archived
    _record(gh, **values)
    scanned, one_by_one = _both(gh)
    assert scanned == one_by_one
    assert scanned is not None and (scanned.shard, scanned.seq) == (0, seq)
    assert words in scanned.reason


def test_a_file_short_of_its_record_is_named(archived: tuple[Gatehouse, Path]) -> None:
    gh, directory = archived
    _rewrite(directory, lambda rows: rows[:-1])
    _record(gh, sha256=file_sha256(directory / FILE))
    scanned, one_by_one = _both(gh)
    assert scanned == one_by_one
    assert scanned is not None and (scanned.shard, scanned.seq) == (0, LAST)
    assert "holds 2047 entries, its record 2048" in scanned.reason


def test_no_archive_directory_is_named(archived: tuple[Gatehouse, Path]) -> None:
    gh, _ = archived
    gh.archive_dir = None
    scanned, _ = _both(gh)
    assert scanned is not None and (scanned.shard, scanned.seq) == (0, 0)
    assert "no archive directory" in scanned.reason


def test_an_archived_entry_put_back_in_the_hot_table_is_named(
    archived: tuple[Gatehouse, Path],
) -> None:
    gh, directory = archived
    with gh.engine.begin() as connection:
        insert_entries(connection, [entry_row(row_entry(_rows(directory)[5]))])
    scanned, one_by_one = _both(gh)
    assert scanned is not None and (scanned.shard, scanned.seq) == (0, 5)
    assert one_by_one is not None and (one_by_one.shard, one_by_one.seq) == (0, 5)


def test_a_file_and_its_checksum_rewritten_are_caught_by_the_checkpoints(
    archived: tuple[Gatehouse, Path],
) -> None:
    gh, directory = archived
    # An insider edits entry 700, re-chains every later entry, archived and hot, rewrites the
    # file, its record and the shard head: every hash and link holds again.
    with gh.engine.begin() as connection:
        every = [row_entry(row) for row in _rows(directory)]
        every += LedgerRepository(connection).stream_shard(0)
        state = ShardState.empty(0)
        forged: list[LedgerEntry] = []
        for e in every:
            payload = {"n": 700, "note": "forged"} if e.seq == 700 else e.payload
            new, state = append_entry(state, e.kind, e.at, e.subject_id, e.recipient_id, payload)
            forged.append(new)
        assert len(forged) == SIZE
        for entry in forged[LAST + 1 :]:
            row = entry_row(entry)
            connection.execute(
                update(ledger_entries)
                .where(ledger_entries.c.shard == 0, ledger_entries.c.seq == entry.seq)
                .values(prev_hash=row["prev_hash"], entry_hash=row["entry_hash"])
            )
        connection.execute(
            update(ledger_shards).where(ledger_shards.c.shard == 0).values(state=state.to_dict())
        )
    path = ledger_archive.write_file(directory, FILE, forged[: LAST + 1])
    ranged = RangeRoot()
    ranged.take([bytes.fromhex(entry.entry_hash) for entry in forged[: LAST + 1]])
    _record(
        gh,
        sha256=file_sha256(path),
        root=ranged.hex(),
        last_hash=forged[LAST].entry_hash,
    )
    scanned, one_by_one = _both(gh)
    assert scanned == one_by_one
    assert scanned is not None and scanned.shard == 0 and "checkpoint #1" in scanned.reason


def test_scan_archives_stops_at_a_malformed_record() -> None:
    scanner = ShardScanner(3)
    whole = scan_archives(scanner, [(3, 0, 9, "bad name", "", 10, "", "")], Path("."))
    assert not whole
    assert scanner.problem is not None and scanner.problem.seq == 0
    assert (
        ArchiveRecord.from_row(
            (3, 0, 9, "ledger-s0003-000000000000-000000000009.parquet", "a", 10, "b", "c")
        ).rows
        == 10
    )
