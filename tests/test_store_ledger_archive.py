"""Archive records and the rows they replace, on each database: a record reads back as
stored, a range cannot be recorded twice, and the hot rows are found and deleted by range."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from gatehouse.ledger import GENESIS_HASH, format_at, make_entry
from gatehouse.ledger.archive import ArchiveRecord, archive_file_name
from gatehouse.store.ledger_archive import ArchiveRepository
from gatehouse.store.ledger_rows import entry_row, insert_entries
from gatehouse.store.ledger_subtrees import SubtreeRepository
from tests.conftest import Fresh


def test_records_and_hot_rows(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    start = gh.clock()
    prev = GENESIS_HASH
    rows = []
    for seq in range(6):
        entry = make_entry(4, seq, "test", start + timedelta(hours=seq), None, None, {}, prev)
        rows.append(entry_row(entry))
        prev = entry.entry_hash
    record = ArchiveRecord(4, 0, 1, archive_file_name(4, 0, 1), "a" * 64, 2, "b" * 64, "c" * 64)
    with gh.engine.begin() as connection:
        insert_entries(connection, rows)
        archives = SubtreeRepository(connection).archives
        assert archives.records() == [] and archives.first_hot(4) == 0
        assert archives.first_hot(5) is None
        assert archives.first_stamped_from(4, format_at(start + timedelta(minutes=150))) == 3
        assert archives.first_stamped_from(4, format_at(start + timedelta(days=1))) is None
        archives.add(record.to_row(), gh.clock())
        assert archives.delete_entries(4, 0, 2) == 2
        assert archives.first_hot(4) == 2
    with gh.engine.connect() as connection:
        stored = ArchiveRepository(connection).records(4)
        assert [ArchiveRecord.from_row(row) for row in stored] == [record]
        assert ArchiveRepository(connection).records(3) == []
    with pytest.raises(IntegrityError), gh.engine.begin() as connection:
        ArchiveRepository(connection).add(record.to_row(), gh.clock())
