"""Appending from stored shard state gives the same chain, head and root as recomputing."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.ledger.append import ShardState, append_entry
from gatehouse.ledger.entry import LedgerEntry
from gatehouse.ledger.merkle import root
from gatehouse.ledger.verify import verify_ledger
from tests.support.ledger import shard_head

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def grow(state: ShardState, count: int) -> tuple[list[LedgerEntry], ShardState]:
    entries: list[LedgerEntry] = []
    for i in range(count):
        at = T0 + timedelta(seconds=i)
        entry, state = append_entry(state, "view.read", at, f"s{i}", "r1", {"n": i})
        entries.append(entry)
    return entries, state


def test_appends_build_a_chain_that_verifies() -> None:
    entries, state = grow(ShardState.empty(3), 33)
    assert [entry.seq for entry in entries] == list(range(33))
    assert {entry.shard for entry in entries} == {3}
    assert state.head == shard_head(entries, 3)
    assert verify_ledger({3: entries}, {3: state.head}).ok


def test_the_root_stays_current_at_every_size() -> None:
    state = ShardState.empty(0)
    leaves: list[bytes] = []
    for i in range(20):
        entry, state = append_entry(state, "view.read", T0, None, None, {"n": i})
        leaves.append(entry.leaf())
        assert state.head.root == root(leaves).hex()
        assert state.head.size == len(leaves)


def test_state_survives_a_json_round_trip() -> None:
    _, state = grow(ShardState.empty(1), 11)
    reloaded = ShardState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert reloaded == state
    more, _ = grow(reloaded, 1)
    assert more[0].seq == 11
    assert more[0].prev_hash == state.head.head_hash


def test_an_inconsistent_state_stops_appends() -> None:
    _, state = grow(ShardState.empty(1), 5)
    broken = dataclasses.replace(state, frontier=state.frontier[::-1])
    with pytest.raises(ValueError, match="inconsistent"):
        append_entry(broken, "view.read", T0, None, None, {})
    with pytest.raises(ValueError):
        append_entry(dataclasses.replace(state, frontier=()), "view.read", T0, None, None, {})
