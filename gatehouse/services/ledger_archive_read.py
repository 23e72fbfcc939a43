"""Reading the ledger's archive files back: for the verifier, in constant memory, and for the
proofs and reports that need an entry the hot table no longer holds.

Each file is held to its record before its entries count: its SHA-256, its row count, the
hash of its last entry and the Merkle root of its range. Its entries then go through the same
:class:`ShardScanner` as the hot rows, so every leaf is rebuilt from its canonical columns and
every link checked, the link from the last archived entry to the first hot one included. A
file rewritten together with its recorded SHA-256 passes these checks, and is caught where
any rewritten entry is: by the signed checkpoints' roots.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatehouse.ledger import BLOCK_LEAVES, BadEntry, LeafRow, ShardScanner, checked_leaves
from gatehouse.ledger.archive import (
    ARCHIVE_COLUMNS,
    ArchiveRecord,
    ArchiveRow,
    RangeRoot,
    row_entry,
)

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "ARCHIVE_BATCH",
    "ArchiveUnreadable",
    "FileCheck",
    "file_sha256",
    "parse_records",
    "read_batches",
    "read_leaf_batches",
    "read_matching",
    "read_range",
    "read_rows_at",
    "scan_archives",
    "stamped_between",
    "unreadable",
]

ARCHIVE_BATCH = 4 * BLOCK_LEAVES
"""Rows fetched from a file at a time: a run of whole blocks, as the hot rows are read."""

_CHUNK = 1 << 20
_SELECT = ", ".join(f'"{name}"' for name, _ in ARCHIVE_COLUMNS)
# Each row's canonical bytes as DuckDB puts them together, as the databases do for hot rows
# (ledger_rows.py): each string through DuckDB's JSON string encoder, the payload as it is.
# It proves nothing by itself: the verifier hashes it, and a run whose bytes do not reproduce
# its hashes is read again, decoded, so a NULL or an odd value only costs that re-read.
_DOCUMENT = """coalesce(encode('{"at":' || to_json("at")::VARCHAR
  || ',"kind":' || to_json("kind")::VARCHAR || ',"payload":' || "payload"
  || ',"prev_hash":' || to_json("prev_hash")::VARCHAR
  || ',"recipient_id":' || coalesce(to_json("recipient_id")::VARCHAR, 'null')
  || ',"seq":' || "seq" || ',"shard":' || "shard"
  || ',"subject_id":' || coalesce(to_json("subject_id")::VARCHAR, 'null') || '}'), ''::BLOB)"""


class ArchiveUnreadable(Exception):
    """An archive file that DuckDB could not read as Parquet with the archive's columns."""


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


@contextmanager
def _connection() -> Iterator[duckdb.DuckDBPyConnection]:
    # DuckDB loads with the first archive read, not with the server: most processes never read one.
    import duckdb

    connection = duckdb.connect()
    try:
        # Rows come back in the file's order: a reordered file must look reordered.
        connection.execute("SET preserve_insertion_order = true")
        connection.execute("SET enable_progress_bar = false")
        yield connection
    except duckdb.Error as exc:
        raise ArchiveUnreadable(type(exc).__name__) from exc
    finally:
        connection.close()


def read_batches(
    path: Path, first: int = 0, batch: int = ARCHIVE_BATCH
) -> Iterator[list[ArchiveRow]]:
    """The file's rows in file order, streamed in batches that end where multiples of
    ``batch`` do, counting from entry ``first`` (so aligned runs hash as whole subtrees);
    ``ArchiveUnreadable`` for a file that is not a readable archive."""
    size = batch - first % batch
    with _connection() as connection:
        result = connection.execute(f"SELECT {_SELECT} FROM read_parquet({_literal(path)})")
        while rows := result.fetchmany(size):
            yield [tuple(row) for row in rows]
            size = batch


def read_leaf_batches(
    path: Path, first: int = 0, batch: int = ARCHIVE_BATCH
) -> Iterator[tuple[int, list[LeafRow]]]:
    """``(file row of the batch's first, rows)``, each row ``(seq, canonical bytes,
    entry_hash, prev_hash)`` as :func:`gatehouse.ledger.checked_leaves` takes them, in file
    order, in batches aligned as :func:`read_batches` aligns them."""
    size = batch - first % batch
    offset = 0
    with _connection() as connection:
        result = connection.execute(
            f'SELECT "seq", {_DOCUMENT}, "entry_hash", "prev_hash"'
            f" FROM read_parquet({_literal(path)})"
        )
        while rows := result.fetchmany(size):
            yield offset, rows
            offset += len(rows)
            size = batch


def read_rows_at(path: Path, offset: int, count: int) -> list[ArchiveRow]:
    """The file's rows ``offset`` to ``offset + count - 1`` by their place in the file."""
    with _connection() as connection:
        rows = connection.execute(
            f"SELECT {_SELECT} FROM read_parquet({_literal(path)}, file_row_number = true)"
            " WHERE file_row_number >= ? AND file_row_number < ? ORDER BY file_row_number",
            [offset, offset + count],
        ).fetchall()
    return [tuple(row) for row in rows]


def read_range(path: Path, low: int, high: int) -> list[ArchiveRow]:
    """The file's rows with ``low <= seq < high``, by seq (Parquet statistics skip the rest)."""
    with _connection() as connection:
        rows = connection.execute(
            f"SELECT {_SELECT} FROM read_parquet({_literal(path)})"
            " WHERE seq >= ? AND seq < ? ORDER BY seq",
            [low, high],
        ).fetchall()
    return [tuple(row) for row in rows]


def stamped_between(path: Path, low: str, high: str) -> int:
    """How many of the file's rows are stamped in ``[low, high)`` (the ledger's time text,
    which sorts as time does); the Parquet statistics skip row groups outside it."""
    with _connection() as connection:
        found = connection.execute(
            f'SELECT count(*) FROM read_parquet({_literal(path)}) WHERE "at" >= ? AND "at" < ?',
            [low, high],
        ).fetchone()
    return 0 if found is None else int(found[0])


def read_matching(path: Path, filters: dict[str, str | None]) -> list[ArchiveRow]:
    """The file's rows whose columns equal every filter that is not None, by seq."""
    wanted = {name: value for name, value in filters.items() if value is not None}
    if not set(wanted) <= {name for name, _ in ARCHIVE_COLUMNS}:
        raise ValueError("filters name archive columns only")
    where = " AND ".join(f'"{name}" = ?' for name in wanted) or "TRUE"
    with _connection() as connection:
        rows = connection.execute(
            f"SELECT {_SELECT} FROM read_parquet({_literal(path)}) WHERE {where} ORDER BY seq",
            list(wanted.values()),
        ).fetchall()
    return [tuple(row) for row in rows]


def parse_records(
    shard: int, rows: Sequence[Sequence[Any]]
) -> tuple[list[ArchiveRecord], BadEntry | None]:
    """The shard's records, parsed, up to the first malformed one, which is reported."""
    records: list[ArchiveRecord] = []
    for row in rows:
        try:
            records.append(ArchiveRecord.from_row(row))
        except (TypeError, ValueError) as exc:
            start = records[-1].last + 1 if records else 0
            return records, BadEntry(shard, start, f"archive record is malformed: {exc}")
    return records, None


def _leaf(entry_hash: object) -> bytes:
    try:
        leaf = bytes.fromhex(entry_hash)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        leaf = b""
    # A placeholder for a mangled hash: the root then cannot match, and the scan says why.
    return leaf if len(leaf) == 32 else bytes(32)


@dataclass
class FileCheck:
    """One file against its record, fed its rows as they are read."""

    record: ArchiveRecord
    expected: int
    rows: int = 0
    last_hash: str = ""
    root: RangeRoot = field(default_factory=RangeRoot)

    def before(self, directory: Path | None) -> tuple[Path | None, BadEntry | None]:
        """The file's path, or the problem that stops it from being read at all."""
        record, shard = self.record, self.record.shard
        name, span = record.file_name, f"entries {record.first}..{record.last}"
        if record.first != self.expected:
            reason = f"archive {name} starts at entry {record.first}, not {self.expected}"
            return None, BadEntry(shard, self.expected, reason)
        if record.last < record.first or record.rows != record.last - record.first + 1:
            reason = f"the record of archive {name} does not add up ({span}, {record.rows} rows)"
            return None, BadEntry(shard, record.first, reason)
        if directory is None:
            reason = f"{span} are archived in {name}, but no archive directory is configured"
            return None, BadEntry(shard, record.first, reason)
        path = directory / name
        if not path.is_file():
            return None, BadEntry(shard, record.first, f"archive file {name} ({span}) is missing")
        return path, None

    def take(self, hashes: Sequence[object], leaves: Sequence[bytes] | None = None) -> None:
        """Count a batch of rows by their stored hashes and fold those (or ``leaves``, the
        same hashes already checked and parsed) into the range's root."""
        if hashes:
            self.rows += len(hashes)
            self.last_hash = str(hashes[-1])
            self.root.take(leaves if leaves is not None else [_leaf(h) for h in hashes])

    def after(self, sha256: str, found: BadEntry | None) -> BadEntry | None:
        """The file's problem once read: ``found`` is the first problem its entries showed."""
        record, shard, name = self.record, self.record.shard, self.record.file_name
        inside = found if found is not None and found.seq <= record.last else None
        if sha256 != record.sha256:
            why = "changed, truncated or reordered" if inside is None else inside.reason
            seq = record.first if inside is None else inside.seq
            return BadEntry(shard, seq, f"archive file {name} differs from its record: {why}")
        if inside is not None:
            return None
        if self.rows != record.rows:
            reason = f"archive file {name} holds {self.rows} entries, its record {record.rows}"
            return BadEntry(shard, record.first + min(self.rows, record.rows), reason)
        if self.last_hash != record.last_hash:
            reason = f"the record of archive {name} names another last entry hash"
            return BadEntry(shard, record.last, reason)
        if self.root.hex() != record.root:
            reason = f"the record of archive {name} names another Merkle root than its entries"
            return BadEntry(shard, record.first, reason)
        return None


def _feed(
    scanner: ShardScanner, path: Path, offset: int, rows: list[LeafRow]
) -> list[bytes] | None:
    """Feed a run of rows; their leaves when the run was taken whole, else None."""
    if scanner.in_order:
        leaves = checked_leaves(rows, scanner.count, scanner.prev_hash)
        if leaves is not None:
            scanner.extend(leaves, [row[2] for row in rows])
            return leaves
    # Read again and decoded, so the scanner names the first problem as for a hot row.
    for row in read_rows_at(path, offset, len(rows)):
        scanner.add(row_entry(row))
    return None


def scan_archives(
    scanner: ShardScanner, rows: Sequence[Sequence[Any]], directory: Path | None
) -> bool:
    """Feed the shard's archive files (their records ``rows``, by first entry) into
    ``scanner``, each held to its record; False when one could not be read whole, and the
    shard's hot rows then cannot follow."""
    records, malformed = parse_records(scanner.shard, rows)
    for record in records:
        check = FileCheck(record, scanner.count)
        path, problem = check.before(directory)
        if path is None:
            scanner.report(problem or BadEntry(scanner.shard, scanner.count, "archive"))
            return False
        try:
            for offset, batch in read_leaf_batches(path, record.first):
                leaves = _feed(scanner, path, offset, batch)
                check.take([row[2] for row in batch], leaves)
        except (ArchiveUnreadable, OSError) as exc:
            scanner.report(BadEntry(scanner.shard, record.first, unreadable(record, exc)))
            return False
        problem = check.after(file_sha256(path), scanner.problem)
        if problem is not None:
            scanner.report(problem)
        if check.rows != record.rows:
            return False
    if malformed is not None:
        scanner.report(malformed)
        return False
    return True


def unreadable(record: ArchiveRecord, error: Exception) -> str:
    """The reason a file could not be read, naming DuckDB's error class or the OS error's."""
    cause = str(error) if isinstance(error, ArchiveUnreadable) else type(error).__name__
    return f"archive file {record.file_name} is unreadable: {cause}"
