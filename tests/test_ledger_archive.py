"""Archive rows, pure: the canonical bytes put together from an archive file's columns are the
entry's own, byte for byte, so a leaf rebuilt from a file is the leaf the ledger signed; a row
that does not decode never reproduces its hash; a record cannot name a path; and a range's
root equals RFC 6962's over its leaves however the runs split it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from gatehouse.ledger import GENESIS_HASH, leaf_hash, make_entry, root
from gatehouse.ledger.archive import (
    ARCHIVE_COLUMNS,
    ArchiveRecord,
    RangeRoot,
    archive_document,
    archive_file_name,
    archive_line,
    archive_rows,
    row_entry,
)

AT = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


def _row(line: str) -> tuple:  # type: ignore[type-arg]
    values = json.loads(line)
    return tuple(values[name] for name, _ in ARCHIVE_COLUMNS)


@pytest.mark.parametrize(
    ("subject", "recipient", "payload"),
    [
        ("sub_1", "rcp_2", {"b": 1, "a": ["x", None, True], "note": '한국 "quoted" \\ \n'}),
        (None, None, {}),
        ("sub_\u2028", None, {"nested": {"z": 0, "y": [1, 2, {"k": "v"}]}}),
    ],
)
def test_the_document_from_the_columns_is_the_canonical_bytes(
    subject: str | None, recipient: str | None, payload: dict[str, object]
) -> None:
    entry = make_entry(3, 7, "transfer.allowed", AT, subject, recipient, payload, GENESIS_HASH)
    row = _row(archive_line(entry))
    assert archive_document(row) == entry.canonical()
    assert leaf_hash(archive_document(row)).hex() == entry.entry_hash
    assert archive_rows([row]) == [(7, entry.canonical(), entry.entry_hash, GENESIS_HASH)]
    assert row_entry(row) == entry


def test_a_row_that_does_not_decode_never_reproduces_its_hash() -> None:
    entry = make_entry(0, 0, "view.read", AT, "sub_1", None, {"n": 1}, GENESIS_HASH)
    row = _row(archive_line(entry))
    broken_at = row_entry((*row[:3], "yesterday", *row[4:]))
    broken_payload = row_entry((*row[:6], "{not json", *row[7:]))
    listed_payload = row_entry((*row[:6], "[1, 2]", *row[7:]))
    for bad in (broken_at, broken_payload, listed_payload):
        assert bad.leaf().hex() != entry.entry_hash
    assert broken_payload.payload == {"unreadable payload": "{not json"}


def test_a_record_names_a_file_in_the_directory_only() -> None:
    name = archive_file_name(12, 0, 2047)
    assert name == "ledger-s0012-000000000000-000000002047.parquet"
    record = ArchiveRecord.from_row((12, 0, 2047, name, "a" * 64, 2048, "b" * 64, "c" * 64))
    assert ArchiveRecord.from_row(tuple(record.to_row().values())) == record
    for bad in ("../" + name, "/tmp/" + name, name + ".tmp", None):
        with pytest.raises(ValueError):
            ArchiveRecord.from_row((12, 0, 2047, bad, "a" * 64, 2048, "b" * 64, "c" * 64))


@pytest.mark.parametrize("runs", [[1], [7], [8], [3, 5, 8, 4080], [1024, 1024, 999], [4095, 1]])
def test_the_range_root_is_the_merkle_root_of_its_leaves(runs: list[int]) -> None:
    leaves = [leaf_hash(str(n).encode()) for n in range(sum(runs))]
    ranged = RangeRoot()
    offset = 0
    for width in runs:
        ranged.take(leaves[offset : offset + width])
        offset += width
    assert ranged.size == len(leaves)
    assert ranged.hex() == root(leaves).hex()
