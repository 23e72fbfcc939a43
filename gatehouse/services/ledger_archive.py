"""Archiving old ledger entries: each shard's oldest entries move out of ``ledger_entries``
into Parquet files, one contiguous range per file, recorded in ``ledger_archives``.

Only entries stamped before the cut-off, covered by a signed checkpoint and lying in complete
blocks whose subtree roots are stored move: a later checkpoint then never needs their leaves
(it reads the stored roots and the entries after them), a proof reads their block from the
file, and the verifier reads the files before the hot rows. Each range is checked as it is
written (every hash, every link, every block against its stored root) to a temporary name,
synced and renamed; its record is added in the transaction that deletes its rows. A
crash in between leaves a file without a record, which the next run replaces; a row is never
deleted without its file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from gatehouse.domain.errors import Conflict, GatehouseError
from gatehouse.ledger import (
    BLOCK_LEAVES,
    BLOCK_LEVEL,
    GENESIS_HASH,
    LedgerEntry,
    format_at,
    perfect_root,
)
from gatehouse.ledger.archive import (
    ARCHIVE_COLUMNS,
    ArchiveRecord,
    RangeRoot,
    archive_file_name,
    archive_line,
)
from gatehouse.services.ledger_append import LEDGER_SHARDS
from gatehouse.services.ledger_archive_read import file_sha256, parse_records
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.ledger import LedgerRepository

__all__ = ["MAX_FILE_ENTRIES", "ArchiveReport", "ArchiveRange", "archive", "plan", "write_file"]

MAX_FILE_ENTRIES = 64 * BLOCK_LEAVES
"""Entries per file at most: a rerun after an interruption redoes one file, not a shard."""

_READ = 4 * BLOCK_LEAVES
Progress = Callable[[int, int], None]
"""Called as ``progress(entries_archived, entries_to_archive)``."""


@dataclass(frozen=True)
class ArchiveRange:
    """Entries ``first``..``end - 1`` of a shard, to go into one file."""

    shard: int
    first: int
    end: int


@dataclass
class ArchiveReport:
    """What a run archived: one record per file written."""

    directory: Path
    records: list[ArchiveRecord] = field(default_factory=list)

    @property
    def entries(self) -> int:
        """Entries moved out of the hot table."""
        return sum(record.rows for record in self.records)


def _repository(ledger: object) -> LedgerRepository:
    if not isinstance(ledger, LedgerRepository):
        raise GatehouseError("only a ledger kept in a database can be archived", code="no_archive")
    return ledger


def _shard_ranges(repo: LedgerRepository, shard: int, signed: int, cut: str) -> list[ArchiveRange]:
    archives = repo.subtrees.archives
    records, malformed = parse_records(shard, archives.records(shard))
    if malformed is not None:
        raise Conflict(
            f"shard {shard}: {malformed.reason}; run `gatehouse ledger verify`",
            code="archive_mismatch",
        )
    start = records[-1].last + 1 if records else 0
    first_hot = archives.first_hot(shard)
    if first_hot is None:
        return []
    if first_hot != start:
        raise Conflict(
            f"shard {shard}: the hot entries start at {first_hot}, the archive ends before"
            f" {start}; run `gatehouse ledger verify`",
            code="archive_mismatch",
        )
    stamped = archives.first_stamped_from(shard, cut)
    blocks = (repo.subtrees.last_index(shard, BLOCK_LEVEL) + 1) * BLOCK_LEAVES
    end = min(signed, blocks, repo.last_seq(shard) + 1)
    if stamped is not None:
        end = min(end, stamped)
    end -= end % BLOCK_LEAVES
    ranges = []
    for low in range(start, end, MAX_FILE_ENTRIES):
        ranges.append(ArchiveRange(shard, low, min(low + MAX_FILE_ENTRIES, end)))
    return ranges


def plan(gh: Gatehouse, before: datetime) -> list[ArchiveRange]:
    """The ranges a run with cut-off ``before`` would archive, shard by shard."""
    with gh.unit_of_work(read_only=True) as uow:
        repo = _repository(uow.ledger)
        checkpoint = repo.latest_checkpoint()
        if checkpoint is None:
            return []
        count = repo.shard_count(LEDGER_SHARDS, create=False)
        ranges: list[ArchiveRange] = []
        for shard in range(count):
            head = checkpoint.head(shard)
            signed = 0 if head is None else head.size
            ranges += _shard_ranges(repo, shard, signed, format_at(before))
        return ranges


def _checked(
    repo: LedgerRepository, wanted: ArchiveRange, prev_hash: str, leaves: list[bytes]
) -> Iterator[LedgerEntry]:
    """The range's entries, read a run at a time, each hashing to its stored hash and linking
    to the one before, each complete block reproducing its stored root; their leaves go into
    ``leaves``. Conflict (nothing moves) at the first that does not."""
    shard = wanted.shard
    for low in range(wanted.first, wanted.end, _READ):
        for entry in repo.entries_between(shard, low, min(low + _READ, wanted.end)):
            position = wanted.first + len(leaves)
            if entry.seq != position or entry.prev_hash != prev_hash:
                raise _refused(shard, position, "is missing or does not link to the one before")
            if entry.leaf().hex() != entry.entry_hash:
                raise _refused(shard, position, "does not match its hash")
            prev_hash = entry.entry_hash
            leaves.append(bytes.fromhex(entry.entry_hash))
            yield entry
    if len(leaves) != wanted.end - wanted.first:
        raise _refused(shard, wanted.first + len(leaves), "is missing")
    for low in range(wanted.first, wanted.end, BLOCK_LEAVES):
        offset = low - wanted.first
        block = perfect_root(leaves[offset : offset + BLOCK_LEAVES])
        if repo.subtrees.subtree(shard, BLOCK_LEVEL, low // BLOCK_LEAVES) != block:
            raise _refused(shard, low, "starts a block that does not match its stored root")


def _refused(shard: int, seq: int, what: str) -> Conflict:
    return Conflict(
        f"shard {shard}: entry {seq} {what}; nothing was archived from it; run"
        " `gatehouse ledger verify`",
        code="archive_mismatch",
        details={"shard": shard, "seq": seq},
    )


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(directory: Path, name: str, entries: Iterable[LedgerEntry]) -> Path:
    """Write ``entries`` (in seq order) as the Parquet file ``name`` in ``directory``: to a
    temporary name, synced, then renamed over any file of that name a crash left behind."""
    final = directory / name
    with tempfile.TemporaryDirectory(prefix=".archive-", dir=directory) as scratch:
        spool = Path(scratch) / "entries.jsonl"
        partial = Path(scratch) / name
        with spool.open("w", encoding="utf-8") as out:
            for entry in entries:
                out.write(archive_line(entry))
                out.write("\n")
        # DuckDB loads only when Parquet is written, not with every process that imports this.
        import duckdb

        connection = duckdb.connect()
        try:
            connection.execute("SET enable_progress_bar = false")
            relation = connection.read_json(
                str(spool), format="newline_delimited", columns=dict(ARCHIVE_COLUMNS)
            )
            relation.order("seq").write_parquet(str(partial))
        finally:
            connection.close()
        _sync(partial)
        os.replace(partial, final)
    _sync(directory)
    return final


def _record(wanted: ArchiveRange, name: str, path: Path, leaves: list[bytes]) -> ArchiveRecord:
    root = RangeRoot()
    root.take(leaves)
    return ArchiveRecord(
        shard=wanted.shard,
        first=wanted.first,
        last=wanted.end - 1,
        file_name=name,
        sha256=file_sha256(path),
        rows=len(leaves),
        root=root.hex(),
        last_hash=leaves[-1].hex(),
    )


def _archive_range(gh: Gatehouse, directory: Path, wanted: ArchiveRange) -> ArchiveRecord:
    with gh.unit_of_work() as uow:
        repo = _repository(uow.ledger)
        archives = repo.subtrees.archives
        records, _ = parse_records(wanted.shard, archives.records(wanted.shard))
        prev_hash = records[-1].last_hash if records else GENESIS_HASH
        start = records[-1].last + 1 if records else 0
        if start != wanted.first:
            raise Conflict(
                f"shard {wanted.shard} was archived meanwhile; run the archive again",
                code="archive_busy",
            )
        # Read in the transaction that deletes them: the rows written are the rows deleted.
        leaves: list[bytes] = []
        name = archive_file_name(wanted.shard, wanted.first, wanted.end - 1)
        path = write_file(directory, name, _checked(repo, wanted, prev_hash, leaves))
        record = _record(wanted, name, path, leaves)
        archives.add(record.to_row(), gh.clock())
        deleted = archives.delete_entries(wanted.shard, wanted.first, wanted.end)
        if deleted != len(leaves):
            raise Conflict(
                f"shard {wanted.shard} changed while it was archived; run the archive again",
                code="archive_busy",
            )
        return record


def archive(
    gh: Gatehouse, before: datetime, directory: Path, *, progress: Progress | None = None
) -> ArchiveReport:
    """Move every shard's entries stamped before ``before`` that a checkpoint covers out of
    the hot table into Parquet files in ``directory``; a rerun archives only what is new."""
    if not directory.is_dir():
        raise GatehouseError(
            f"there is no archive directory {directory}", code="no_archive_directory"
        )
    ranges = plan(gh, before)
    total = sum(wanted.end - wanted.first for wanted in ranges)
    report = ArchiveReport(directory)
    for wanted in ranges:
        report.records.append(_archive_range(gh, directory, wanted))
        if progress is not None:
            progress(report.entries, total)
    return report
