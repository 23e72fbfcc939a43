"""Archived entries where the hot table no longer has them: streamed, decoded, for verifiers
that take entries one by one (and the reports that fold the ledger while it is verified),
and one at a time or one block at a time for inclusion proofs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatehouse.config import Settings
from gatehouse.ledger import BadEntry, Checkpoint, LedgerEntry
from gatehouse.ledger.archive import ArchiveRecord, row_entry
from gatehouse.services.ledger_archive_read import (
    ArchiveUnreadable,
    FileCheck,
    file_sha256,
    parse_records,
    read_batches,
    read_matching,
    read_range,
    unreadable,
)
from gatehouse.store.ledger_subtrees import SubtreeRepository

__all__ = [
    "ArchiveStream",
    "ArchivedLedger",
    "archive_directory",
    "archive_records",
    "find_archived",
    "with_archives",
]


def archive_directory(configured: Path | None = None) -> Path | None:
    """The archive directory: ``configured`` when given, else ``GATEHOUSE_ARCHIVE_DIR``."""
    return configured if configured is not None else Settings.from_env().archive_dir


def archive_records(ledger: object) -> dict[int, list[Sequence[Any]]]:
    """The unparsed archive records of a ledger kept in a database, by shard; none for a
    ledger kept anywhere else."""
    subtrees = getattr(ledger, "subtrees", None)
    if not isinstance(subtrees, SubtreeRepository):
        return {}
    records: dict[int, list[Sequence[Any]]] = {}
    for row in subtrees.archives.records():
        records.setdefault(int(row[0]), []).append(row)
    return records


@dataclass
class ArchiveStream:
    """Each shard's archived entries, decoded and in file order, each file held to its record;
    the files' problems gather in ``problems``, and a shard whose file could not be read whole
    lands in ``stopped`` (its hot rows cannot follow)."""

    records: Mapping[int, Sequence[Sequence[Any]]]
    directory: Path | None
    problems: list[BadEntry] = field(default_factory=list)
    stopped: set[int] = field(default_factory=set)

    def _stop(self, shard: int, problem: BadEntry | None) -> None:
        self.stopped.add(shard)
        if problem is not None:
            self.problems.append(problem)

    def entries(self, shard: int) -> Iterator[LedgerEntry]:
        """The shard's archived entries, file after file."""
        records, malformed = parse_records(shard, self.records.get(shard, ()))
        expected = 0
        for record in records:
            check = FileCheck(record, expected)
            path, problem = check.before(self.directory)
            if path is None:
                self._stop(shard, problem)
                return
            try:
                for batch in read_batches(path):
                    check.take([row[8] for row in batch])
                    yield from map(row_entry, batch)
            except (ArchiveUnreadable, OSError) as exc:
                self._stop(shard, BadEntry(shard, record.first, unreadable(record, exc)))
                return
            problem = check.after(file_sha256(path), None)
            if problem is not None:
                self.problems.append(problem)
            if check.rows != record.rows:
                self._stop(shard, None)
                return
            expected = record.last + 1
        if malformed is not None:
            self._stop(shard, malformed)


class ArchivedLedger:
    """A ledger that keeps stored subtrees, seen with its archived entries put back: the
    entries and leaf hashes an inclusion proof needs come from the hot table, else from the
    archive file that holds them. Whatever a file returns is held by the proof to the
    signed root, as a hot row is."""

    def __init__(self, ledger: Any, records: Sequence[ArchiveRecord], directory: Path | None):
        self._ledger = ledger
        self._records = records
        self._directory = directory

    @property
    def subtrees(self) -> SubtreeRepository:
        """The stored subtree roots, which archiving leaves in place."""
        repository: SubtreeRepository = self._ledger.subtrees
        return repository

    def latest_checkpoint(self) -> Checkpoint | None:
        """The newest signed checkpoint."""
        found: Checkpoint | None = self._ledger.latest_checkpoint()
        return found

    def stream_hashes(self, shard: int, stop: int) -> Iterator[tuple[int, str]]:
        """``(seq, entry_hash)`` below ``stop``, archived ones first."""
        yield from self.hashes_between(shard, 0, stop)

    def _archived(self, shard: int, low: int, high: int) -> list[tuple[int, str, Any]]:
        rows: list[tuple[int, str, Any]] = []
        for record in self._records:
            if record.shard != shard or record.last < low or record.first >= high:
                continue
            if self._directory is None:
                return rows
            try:
                found = read_range(self._directory / record.file_name, low, high)
            except (ArchiveUnreadable, OSError):
                # A gap, which the proof reports as the shard no longer matching its root.
                return rows
            rows += [(row[1], row[8], row) for row in found]
        return rows

    def hashes_between(self, shard: int, low: int, high: int) -> list[tuple[int, str]]:
        """``(seq, entry_hash)`` with ``low <= seq < high``, in order, archived or hot."""
        archived = [(seq, entry_hash) for seq, entry_hash, _ in self._archived(shard, low, high)]
        hot: list[tuple[int, str]] = self._ledger.hashes_between(shard, low, high)
        return sorted(archived + hot)

    def hashes_in(self, shard: int, ranges: Sequence[tuple[int, int]]) -> list[tuple[int, str]]:
        """``(seq, entry_hash)`` in any of ``ranges``, in order, archived or hot."""
        archived = [
            (seq, entry_hash)
            for low, high in ranges
            for seq, entry_hash, _ in self._archived(shard, low, high)
        ]
        hot: list[tuple[int, str]] = self._ledger.hashes_in(shard, ranges)
        return sorted(archived + hot)

    def entries_at(self, shard: int, seqs: Sequence[int]) -> dict[int, LedgerEntry]:
        """Entries by position, from the hot table in one query, else each from its file."""
        found: dict[int, LedgerEntry] = self._ledger.entries_at(shard, seqs)
        for seq in set(seqs) - found.keys():
            entry = self.get_entry(shard, seq)
            if entry is not None:
                found[seq] = entry
        return found

    def get_entry(self, shard: int, seq: int) -> LedgerEntry | None:
        """One entry by position, from the hot table or its archive file; None if neither."""
        entry: LedgerEntry | None = self._ledger.get_entry(shard, seq)
        if entry is not None:
            return entry
        found = self._archived(shard, seq, seq + 1)
        return row_entry(found[0][2]) if found else None


def with_archives(ledger: Any, directory: Path | None) -> Any:
    """``ledger`` seen with its archived entries when it keeps archive records and some exist,
    else ``ledger`` itself."""
    by_shard = archive_records(ledger)
    if not by_shard:
        return ledger
    records: list[ArchiveRecord] = []
    for shard, rows in sorted(by_shard.items()):
        records += parse_records(shard, rows)[0]
    return ArchivedLedger(ledger, records, archive_directory(directory))


def find_archived(
    ledger: object,
    directory: Path | None = None,
    *,
    kind: str | None = None,
    subject_id: str | None = None,
    recipient_id: str | None = None,
    shard: int | None = None,
) -> list[LedgerEntry]:
    """Archived entries matching every filter given, in (shard, seq) order: what
    ``Ledger.find`` returns from the hot table, for the entries it no longer holds. Each file
    (of ``shard`` only, when given: a subject's entries all lie in its own shard) is scanned,
    so it suits a report or one customer's page, not a hot path; an unreadable file
    contributes nothing here and fails verification."""
    where = archive_directory(directory)
    if where is None:
        return []
    found: list[LedgerEntry] = []
    records = archive_records(ledger)
    if shard is not None:
        records = {shard: records[shard]} if shard in records else {}
    for shard_number, rows in sorted(records.items()):
        for record in parse_records(shard_number, rows)[0]:
            filters = {"kind": kind, "subject_id": subject_id, "recipient_id": recipient_id}
            try:
                matched = read_matching(where / record.file_name, filters)
            except (ArchiveUnreadable, OSError):
                continue
            found += map(row_entry, matched)
    return found
