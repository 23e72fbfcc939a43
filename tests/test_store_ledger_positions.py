"""Position reads on each backend: runs of hashes over several ranges, and entries by seq, each
in one query, exactly the rows asked for."""

from __future__ import annotations

from gatehouse.ledger import LedgerEntry, ShardState
from gatehouse.store.ledger import LedgerRepository
from tests.conftest import Fresh
from tests.support.ledger import grow_shard


def test_hashes_in_several_ranges_come_in_order_and_only_from_them(fresh: Fresh) -> None:
    entries: list[LedgerEntry] = []
    grow_shard(fresh.gatehouse, ShardState.empty(0), 300, entries)
    with fresh.gatehouse.engine.connect() as connection:
        repo = LedgerRepository(connection)
        found = repo.hashes_in(0, [(250, 320), (10, 13), (100, 101)])
        assert repo.hashes_in(0, []) == []
        assert repo.hashes_in(1, [(0, 300)]) == []

    expected = [*range(10, 13), 100, *range(250, 300)]
    assert found == [(seq, entries[seq].entry_hash) for seq in expected]


def test_entries_at_returns_the_entries_asked_for_by_seq(fresh: Fresh) -> None:
    entries: list[LedgerEntry] = []
    grow_shard(fresh.gatehouse, ShardState.empty(0), 40, entries)
    with fresh.gatehouse.engine.connect() as connection:
        repo = LedgerRepository(connection)
        found = repo.entries_at(0, [39, 3, 3, 77])
        assert repo.entries_at(0, []) == {}

    assert found == {3: entries[3], 39: entries[39]}
    assert found[39].leaf().hex() == entries[39].entry_hash
