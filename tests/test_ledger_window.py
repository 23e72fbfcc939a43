"""The window walk, pure: a run of one shard's entries rehashed and chained from the stored
hash before it, and held to a signed checkpoint by one proof of its last covered leaf."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from gatehouse.ledger import (
    BadEntry,
    Checkpoint,
    CheckpointSigner,
    LedgerEntry,
    ShardHead,
    ShardState,
    append_entry,
    inclusion_proof,
)
from gatehouse.ledger.window import (
    WindowRun,
    WindowWalk,
    earliest,
    proof_problem,
    window_result,
)
from tests.support.ledger import shard_head

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def chain(count: int, shard: int = 2, *, changed: int | None = None) -> list[LedgerEntry]:
    """``count`` entries of ``shard``; entry ``changed`` says something else, the chain after
    it recomputed, as a forger with write access would leave it."""
    state = ShardState.empty(shard)
    entries = []
    for n in range(count):
        payload = {"n": n, "round": 99 if n == changed else 0}
        at = T0 + timedelta(minutes=n)
        entry, state = append_entry(state, "view.read", at, None, None, payload)
        entries.append(entry)
    return entries


def signed(entries: list[LedgerEntry], size: int) -> Checkpoint:
    shard = entries[0].shard
    heads = [ShardHead.empty(n) for n in range(4)]
    heads[shard] = shard_head(entries[:size], shard)
    return CheckpointSigner.generate().sign(1, T0 + timedelta(days=1), heads)


def walk(entries: list[LedgerEntry], first: int, last: int, covered: int) -> WindowRun:
    before = entries[first - 1].entry_hash if first else "0" * 64
    walker = WindowWalk(entries[0].shard, first, before, covered)
    for entry in entries[first : last + 1]:
        walker.add(entry)
    return walker.finish(last)


def path(entries: list[LedgerEntry], seq: int, size: int) -> list[str]:
    leaves = [bytes.fromhex(entry.entry_hash) for entry in entries[:size]]
    return [node.hex() for node in inclusion_proof(leaves, seq)]


def test_an_intact_window_is_proven_by_its_last_covered_entry() -> None:
    entries = chain(20)
    checkpoint = signed(entries, 20)

    run = walk(entries, 5, 9, covered=20)

    assert (run.count, run.problem, run.covered_seq) == (5, None, 9)
    assert run.covered_leaf == entries[9].leaf()
    assert proof_problem(run, checkpoint, path(entries, 9, 20)) is None


def test_entries_after_the_checkpoint_are_walked_but_not_proven() -> None:
    entries = chain(20)
    checkpoint = signed(entries, 12)

    run = walk(entries, 8, 19, covered=12)

    assert run.problem is None and run.covered_seq == 11
    assert proof_problem(run, checkpoint, path(entries, 11, 12)) is None
    later = walk(entries, 14, 19, covered=12)
    assert later.problem is None and later.covered_seq is None
    # Nothing covered, nothing to prove: the caller counts those entries as uncovered.
    assert proof_problem(later, checkpoint, []) is None


def test_an_edited_entry_is_named_as_the_verifier_names_it() -> None:
    entries = chain(20)
    edited = dataclasses.replace(entries[7], payload={"n": 7, "round": 1})
    entries[7] = edited

    run = walk(entries, 5, 9, covered=20)

    assert run.problem == BadEntry(2, 7, "hash mismatch (entry was edited)")
    assert run.covered_seq is None  # a failed walk proves nothing
    assert run.count == 5  # the rest is still read, for the figures


def test_a_rewritten_chain_walks_cleanly_and_fails_at_the_checkpoint() -> None:
    original = chain(20)
    checkpoint = signed(original, 20)
    forged = chain(20, changed=7)

    run = walk(forged, 5, 9, covered=20)

    assert run.problem is None
    problem = proof_problem(run, checkpoint, path(forged, 9, 20))
    assert problem is not None and (problem.shard, problem.seq) == (2, 5)
    assert "checkpoint #1 does not prove entries 5..9 of shard 2" in problem.reason
    # The honest path does not save it either: the leaf itself is not the one signed.
    assert proof_problem(run, checkpoint, path(original, 9, 20)) is not None


def test_the_first_entry_links_to_the_stored_hash_before_it() -> None:
    entries = chain(10)
    walker = WindowWalk(2, 4, entries[2].entry_hash, 10)
    for entry in entries[4:8]:
        walker.add(entry)

    assert walker.finish(7).problem == BadEntry(2, 4, "prev_hash does not link to entry 3")
    genesis = WindowWalk(2, 0, "ab" * 32, 10)
    genesis.add(entries[0])
    problem = genesis.finish(0).problem
    assert problem == BadEntry(2, 0, "prev_hash of entry 0 is not the genesis hash")


def test_a_missing_or_duplicated_entry_is_named() -> None:
    entries = chain(12)

    gap = WindowWalk(2, 3, entries[2].entry_hash, 12)
    for entry in entries[3:6] + entries[7:10]:
        gap.add(entry)
    assert gap.finish(9).problem == BadEntry(
        2, 6, "sequence gap: expected 6, found 7 (missing entry)"
    )
    short = WindowWalk(2, 3, entries[2].entry_hash, 12)
    for entry in entries[3:6]:
        short.add(entry)
    assert short.finish(9).problem == BadEntry(
        2, 6, "sequence gap: expected 6, found none (missing entry)"
    )
    twice = WindowWalk(2, 3, entries[2].entry_hash, 12)
    for entry in [*entries[3:6], entries[5]]:
        twice.add(entry)
    assert twice.finish(6).problem == BadEntry(2, 5, "duplicate seq 5: an entry was inserted")
    elsewhere = WindowWalk(1, 3, entries[2].entry_hash, 12)
    elsewhere.add(entries[3])
    assert elsewhere.finish(3).problem == BadEntry(1, 3, "entry belongs to shard 2")


def test_a_forged_path_cannot_reach_the_signed_root() -> None:
    entries = chain(16)
    checkpoint = signed(entries, 16)
    run = walk(entries, 4, 9, covered=16)
    honest = path(entries, 9, 16)

    forged = [honest[0], "00" * 32, *honest[2:]]

    assert proof_problem(run, checkpoint, honest) is None
    assert proof_problem(run, checkpoint, forged) is not None
    assert proof_problem(run, checkpoint, honest[:-1]) is not None


def test_the_first_problem_is_the_lowest_shard_then_seq_and_ledger_wide_last() -> None:
    whole = BadEntry(-1, -1, "checkpoint #2 signature does not verify")
    late, early = BadEntry(3, 1, "a"), BadEntry(1, 40, "b")

    assert earliest([None, whole, late, early]) == early
    assert earliest([None, whole]) == whole
    assert window_result(7, [None, None]) == window_result(7, [])
    result = window_result(7, [late, whole])
    assert (result.ok, result.entries, result.first_bad) == (False, 7, late)
