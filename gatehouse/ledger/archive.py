"""Archive files of the ledger: the columns a Parquet file keeps per entry, and the entry's
canonical bytes and leaf rebuilt from them exactly as the verifier rebuilds a stored entry.

A file holds one contiguous range of one shard, one row per entry, sorted by ``seq``. Every
column is plain text or an integer; ``payload`` is the payload's canonical JSON text, so the
canonical bytes are the columns put together (:func:`archive_document`) without decoding.
The record of a file (:class:`ArchiveRecord`) lives in the database beside the hot entries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gatehouse.ledger.entry import LedgerEntry, parse_at, stored_fields
from gatehouse.ledger.merkle import CompactRange, perfect_root
from gatehouse.ledger.scan import LeafRow

__all__ = [
    "ARCHIVE_COLUMNS",
    "ArchiveRecord",
    "ArchiveRow",
    "RangeRoot",
    "archive_document",
    "archive_file_name",
    "archive_line",
    "archive_rows",
    "row_entry",
]

ARCHIVE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("shard", "INTEGER"),
    ("seq", "BIGINT"),
    ("kind", "VARCHAR"),
    ("at", "VARCHAR"),
    ("subject_id", "VARCHAR"),
    ("recipient_id", "VARCHAR"),
    ("payload", "VARCHAR"),
    ("prev_hash", "VARCHAR"),
    ("entry_hash", "VARCHAR"),
)
"""The file's columns, in order, with their DuckDB (Parquet) types."""

ArchiveRow = tuple[int, int, str, str, str | None, str | None, str, str, str]
"""One row of an archive file, in :data:`ARCHIVE_COLUMNS` order."""

_FILE_NAME = re.compile(r"ledger-s[0-9]{4}-[0-9]{12}-[0-9]{12}\.parquet")
# An ``at`` that no longer parses was edited: this stand-in never reproduces the hash.
_UNREADABLE_AT = datetime(1, 1, 1, tzinfo=UTC)


def archive_file_name(shard: int, first: int, last: int) -> str:
    """The file name of shard ``shard``'s entries ``first``..``last`` (both included)."""
    return f"ledger-s{shard:04d}-{first:012d}-{last:012d}.parquet"


def archive_line(entry: LedgerEntry) -> str:
    """The entry as one JSON line with the archive's columns (the payload as its canonical
    text), for DuckDB to read into the Parquet file."""
    return json.dumps(stored_fields(entry), ensure_ascii=False, separators=(",", ":"))


def _quote(value: str | None) -> str:
    # The same string encoding canonical_bytes uses, so no value can pass for another field.
    return json.dumps(value, ensure_ascii=False)


def archive_document(row: ArchiveRow) -> bytes:
    """The canonical bytes of an archived entry, put together from its columns: equal to
    :meth:`LedgerEntry.canonical` whenever ``payload`` is canonical JSON text."""
    shard, seq, kind, at, subject_id, recipient_id, payload, prev_hash, _ = row
    text = (
        f'{{"at":{_quote(at)},"kind":{_quote(kind)},"payload":{payload}'
        f',"prev_hash":{_quote(prev_hash)},"recipient_id":{_quote(recipient_id)}'
        f',"seq":{seq},"shard":{shard},"subject_id":{_quote(subject_id)}}}'
    )
    return text.encode("utf-8", "surrogatepass")


def archive_rows(rows: Sequence[ArchiveRow]) -> list[LeafRow]:
    """``(seq, canonical bytes, entry_hash, prev_hash)`` of each row, for
    :func:`gatehouse.ledger.checked_leaves`."""
    return [(row[1], archive_document(row), row[8], row[7]) for row in rows]


def row_entry(row: ArchiveRow) -> LedgerEntry:
    """The row decoded into an entry, without recomputing its hash: a field that does not
    decode becomes a value that can never reproduce the stored hash."""
    shard, seq, kind, at, subject_id, recipient_id, payload, prev_hash, entry_hash = row
    try:
        when = parse_at(at)
    except (TypeError, ValueError):
        when = _UNREADABLE_AT
    try:
        decoded: Any = json.loads(payload)
    except (TypeError, ValueError):
        decoded = None
    if not isinstance(decoded, Mapping):
        decoded = {"unreadable payload": str(payload)}
    return LedgerEntry(
        shard=shard,
        seq=seq,
        kind=kind,
        at=when,
        subject_id=subject_id,
        recipient_id=recipient_id,
        payload=decoded,
        prev_hash=prev_hash,
        entry_hash=entry_hash,
    )


@dataclass(frozen=True)
class ArchiveRecord:
    """What the database keeps of one archive file: the shard and range it holds, its name,
    SHA-256 and row count, the Merkle root of its range's leaves, and the hash of its last
    entry (the link the first hot entry after it names)."""

    shard: int
    first: int
    last: int
    file_name: str
    sha256: str
    rows: int
    root: str
    last_hash: str

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> ArchiveRecord:
        """Parse a stored row, raising ValueError for one that could not name a file."""
        shard, first, last, file_name, sha256, rows, root, last_hash = row
        if not isinstance(file_name, str) or not _FILE_NAME.fullmatch(file_name):
            # A name with a path in it would let a record point outside the directory.
            raise ValueError(f"not an archive file name: {file_name!r}")
        return cls(
            int(shard),
            int(first),
            int(last),
            file_name,
            str(sha256),
            int(rows),
            str(root),
            str(last_hash),
        )

    def to_row(self) -> dict[str, Any]:
        """The row as the ``ledger_archives`` table stores it."""
        return {
            "shard": self.shard,
            "first_seq": self.first,
            "last_seq": self.last,
            "file_name": self.file_name,
            "sha256": self.sha256,
            "row_count": self.rows,
            "root": self.root,
            "last_hash": self.last_hash,
        }


class RangeRoot:
    """The Merkle root of an archived range's leaves (RFC 6962, the range's first leaf at
    index 0), from runs of its stored entry hashes hashed as whole subtrees where they can."""

    def __init__(self) -> None:
        self._compact = CompactRange()

    @property
    def size(self) -> int:
        """Leaves taken so far."""
        return self._compact.size

    def take(self, leaves: Sequence[bytes]) -> None:
        """Append a run of leaf hashes, as the largest aligned subtrees it splits into."""
        offset, count = 0, len(leaves)
        while offset < count:
            size, width = self._compact.size, 1
            while width * 2 <= count - offset and size % (width * 2) == 0:
                width *= 2
            if width == 1:
                self._compact.append(leaves[offset])
            else:
                self._compact.append_subtree(perfect_root(leaves[offset : offset + width]), width)
            offset += width

    def hex(self) -> str:
        """The root so far, as hex."""
        return self._compact.root().hex()
