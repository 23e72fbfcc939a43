"""One pass over a shard: runs taken whole agree with entries taken one by one, and a run with
anything wrong in it is refused so the entries are read one by one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatehouse.ledger import (
    EMPTY_ROOT,
    LeafRow,
    LedgerEntry,
    ShardScanner,
    ShardState,
    append_entry,
    checked_leaves,
    root,
)

START = datetime(2026, 11, 1, tzinfo=UTC)
_CHAIN = 160


def _chain(count: int, shard: int = 2) -> list[LedgerEntry]:
    state = ShardState.empty(shard)
    entries: list[LedgerEntry] = []
    for number in range(count):
        at = START + timedelta(seconds=number)
        payload = {"round": number, "country": "KR", "fields": ["name", "주소"]}
        entry, state = append_entry(state, "test.event", at, f"sub_{number % 7}", None, payload)
        entries.append(entry)
    return entries


ENTRIES = _chain(_CHAIN)


def _rows(entries: list[LedgerEntry]) -> list[LeafRow]:
    return [(e.seq, e.canonical(), e.entry_hash, e.prev_hash) for e in entries]


def _one_by_one(entries: list[LedgerEntry], sizes: set[int], block: int = 0) -> ShardScanner:
    scanner = ShardScanner(2, sizes, block=block)
    for entry in entries:
        scanner.add(entry)
    return scanner


@settings(max_examples=60, deadline=None)
@given(
    count=st.integers(min_value=0, max_value=_CHAIN),
    run=st.sampled_from([1, 3, 4, 8, 16, 32]),
    sizes=st.sets(st.integers(min_value=0, max_value=_CHAIN), max_size=4),
    block=st.sampled_from([0, 4, 16]),
)
def test_runs_taken_whole_give_the_scan_of_entries_one_by_one(
    count: int, run: int, sizes: set[int], block: int
) -> None:
    entries = ENTRIES[:count]
    scanner = ShardScanner(2, sizes, block=block)
    for low in range(0, count, run):
        rows = _rows(entries[low : low + run])
        leaves = checked_leaves(rows, low, scanner.prev_hash)
        assert leaves is not None
        scanner.extend(leaves, [row[2] for row in rows])

    whole = scanner.finish()
    expected = _one_by_one(entries, sizes, block).finish()

    assert whole == expected
    assert whole.problem is None and whole.count == count
    assert whole.root == (root([e.leaf() for e in entries]) if entries else EMPTY_ROOT)
    for size in sizes & set(range(count + 1)):
        assert whole.roots_at[size] == root([e.leaf() for e in entries[:size]])
    if block:
        leaves = [e.leaf() for e in entries]
        assert len(whole.blocks) == count // block
        for index, node in whole.blocks.items():
            assert node == root(leaves[index * block : (index + 1) * block])


def test_a_clean_run_is_accepted_from_where_the_chain_stands() -> None:
    rows = _rows(ENTRIES[4:12])

    leaves = checked_leaves(rows, 4, ENTRIES[3].entry_hash)

    assert leaves == [entry.leaf() for entry in ENTRIES[4:12]]


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda row: (row[0] + 1, *row[1:]), id="seq out of place"),
        pytest.param(lambda row: (row[0], row[1] + b" ", *row[2:]), id="bytes edited"),
        pytest.param(lambda row: (*row[:2], "0" * 64, row[3]), id="hash replaced"),
        pytest.param(lambda row: (*row[:3], "0" * 64), id="link broken"),
    ],
)
def test_a_run_with_one_bad_entry_is_refused(spoil: object) -> None:
    rows = _rows(ENTRIES[:10])
    assert callable(spoil)
    rows[6] = spoil(rows[6])

    assert checked_leaves(rows, 0, ENTRIES[0].prev_hash) is None


def test_a_run_that_starts_off_the_chain_is_refused() -> None:
    rows = _rows(ENTRIES[4:8])

    assert checked_leaves(rows, 4, ENTRIES[2].entry_hash) is None
    assert checked_leaves(rows, 5, ENTRIES[3].entry_hash) is None


def test_an_edited_entry_read_one_by_one_is_named_after_clean_runs() -> None:
    edited = list(ENTRIES[:40])
    edited[21] = replace(edited[21], payload={"round": 0})
    scanner = ShardScanner(2, {40})
    rows = _rows(ENTRIES[:16])
    leaves = checked_leaves(rows, 0, scanner.prev_hash)
    assert leaves is not None
    scanner.extend(leaves, [row[2] for row in rows])
    for entry in edited[16:]:
        scanner.add(entry)

    scan = scanner.finish()

    assert scan.problem is not None
    assert (scan.problem.seq, scan.problem.reason) == (21, "hash mismatch (entry was edited)")


def test_after_an_entry_out_of_place_runs_are_not_taken_whole() -> None:
    scanner = ShardScanner(2)
    scanner.add(ENTRIES[1])
    assert not scanner.in_order

    with pytest.raises(ValueError, match="one by one"):
        scanner.extend([ENTRIES[2].leaf()], [ENTRIES[2].entry_hash])


def test_blocks_must_hold_a_power_of_two_leaves() -> None:
    with pytest.raises(ValueError, match="power of two"):
        ShardScanner(0, block=12)
