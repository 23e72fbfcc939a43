"""The verifier finds every kind of tampering and names the first bad entry."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gatehouse.ledger.checkpoint import Checkpoint, CheckpointSigner, ShardHead
from gatehouse.ledger.entry import GENESIS_HASH, LedgerEntry, make_entry
from gatehouse.ledger.merkle import consistency_proof
from gatehouse.ledger.verify import BadEntry, VerifyResult, verify_ledger
from tests.support.ledger import shard_head

T0 = datetime(2025, 1, 1, tzinfo=UTC)
SIZES = {0: 12, 1: 0, 2: 7, 3: 20}
Ledger = dict[int, list[LedgerEntry]]


def entry_at(shard: int, seq: int, prev_hash: str, **payload: Any) -> LedgerEntry:
    return make_entry(
        shard,
        seq,
        "transfer.allowed",
        T0 + timedelta(minutes=seq),
        f"sub_{shard}_{seq}",
        "rec_1",
        {"fields": ["name", "phone"], "country": "CN", "n": seq, **payload},
        prev_hash,
    )


def chain(shard: int, count: int) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    prev = GENESIS_HASH
    for seq in range(count):
        entries.append(entry_at(shard, seq, prev))
        prev = entries[-1].entry_hash
    return entries


def honest() -> Ledger:
    return {shard: chain(shard, size) for shard, size in SIZES.items()}


def heads_of(ledger: Mapping[int, Sequence[LedgerEntry]]) -> dict[int, ShardHead]:
    return {shard: shard_head(entries, shard) for shard, entries in ledger.items()}


def rehashed(entry: LedgerEntry, **changes: Any) -> LedgerEntry:
    """What a forger with write access does: change fields, then recompute the entry's hash."""
    changed = dataclasses.replace(entry, **changes)
    return make_entry(
        changed.shard,
        changed.seq,
        changed.kind,
        changed.at,
        changed.subject_id,
        changed.recipient_id,
        changed.payload,
        changed.prev_hash,
    )


def rechained(entries: list[LedgerEntry], start: int) -> list[LedgerEntry]:
    """Recompute every hash and link from ``start`` on, as a careful forger would."""
    out = entries[:start]
    for entry in entries[start:]:
        prev = out[-1].entry_hash if out else GENESIS_HASH
        out.append(rehashed(entry, prev_hash=prev))
    return out


def edited(entry: LedgerEntry) -> dict[str, Any]:
    return {**entry.payload, "country": "US"}


@pytest.fixture(scope="module")
def signer() -> CheckpointSigner:
    return CheckpointSigner.generate()


def checkpoint(
    signer: CheckpointSigner,
    sequence: int,
    ledger: Ledger,
    sizes: Mapping[int, int],
    previous: Checkpoint | None = None,
) -> Checkpoint:
    heads = [
        shard_head(ledger[shard][: sizes.get(shard, len(ledger[shard]))], shard) for shard in ledger
    ]
    proofs = []
    if previous is not None:
        for head in heads:
            leaves = [bytes.fromhex(e.entry_hash) for e in ledger[head.shard][: head.size]]
            old = previous.shards[head.shard].size
            proofs.append(consistency_proof(leaves, min(old, head.size)))
    at = T0 + timedelta(hours=sequence)
    return signer.sign(sequence, at, heads, previous=previous, consistency=proofs)


def history(signer: CheckpointSigner, ledger: Ledger) -> list[Checkpoint]:
    """Three chained checkpoints taken as shard 3 grew to 8, 12 and 20 entries."""
    first = checkpoint(signer, 1, ledger, {0: 4, 2: 7, 3: 8})
    second = checkpoint(signer, 2, ledger, {0: 12, 3: 12}, first)
    return [first, second, checkpoint(signer, 3, ledger, {}, second)]


def check(
    ledger: Ledger,
    signer: CheckpointSigner | None = None,
    checkpoints: Sequence[Checkpoint] = (),
    heads: Mapping[int, ShardHead] | None = None,
) -> VerifyResult:
    key = None if signer is None else signer.public_key_b64()
    return verify_ledger(ledger, heads, checkpoints, key)


def test_an_honest_ledger_verifies(signer: CheckpointSigner) -> None:
    ledger = honest()
    result = check(ledger, signer, history(signer, ledger), heads_of(ledger))
    assert result == VerifyResult(ok=True, entries=sum(SIZES.values()), first_bad=None)
    assert result.to_dict() == {"ok": True, "entries": 39, "first_bad": None}


def test_an_empty_ledger_verifies() -> None:
    assert verify_ledger({}).to_dict() == {"ok": True, "entries": 0, "first_bad": None}


def test_an_edited_payload_is_named(signer: CheckpointSigner) -> None:
    ledger = honest()
    heads, checkpoints = heads_of(ledger), history(signer, ledger)
    ledger[3][5] = dataclasses.replace(ledger[3][5], payload=edited(ledger[3][5]))
    result = check(ledger, signer, checkpoints, heads)
    assert not result.ok
    assert result.entries == 39
    assert result.to_dict()["first_bad"] == {
        "shard": 3,
        "seq": 5,
        "reason": "hash mismatch (entry was edited)",
    }


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "transfer.refused"},
        {"recipient_id": "rec_2"},
        {"subject_id": None},
        {"at": T0},
        {"entry_hash": "f" * 64},
    ],
)
def test_any_edited_field_is_named(change: dict[str, Any]) -> None:
    ledger = honest()
    ledger[2][3] = dataclasses.replace(ledger[2][3], **change)
    assert check(ledger).first_bad == BadEntry(2, 3, "hash mismatch (entry was edited)")


def test_a_deleted_middle_entry_is_named() -> None:
    ledger = honest()
    del ledger[3][5]
    result = check(ledger, heads=heads_of(honest()))
    assert result.first_bad == BadEntry(3, 5, "sequence gap: expected 5, found 6 (missing entry)")


def test_a_deleted_last_entry_is_named_by_the_shard_head(signer: CheckpointSigner) -> None:
    ledger = honest()
    heads, checkpoints = heads_of(ledger), history(signer, ledger)
    del ledger[3][-1]
    # The chain alone cannot tell a truncated tail from a shorter history ...
    assert check(ledger).ok
    # ... but the head stored with each append can, and so can a checkpoint.
    assert check(ledger, heads=heads).first_bad == BadEntry(
        3, 19, "shard head says size 20, found 19 entries"
    )
    assert check(ledger, signer, checkpoints).first_bad == BadEntry(
        3, 19, "checkpoint #3 says shard 3 has 20 entries, found 19"
    )


def test_two_swapped_entries_are_named() -> None:
    ledger = honest()
    ledger[3][5], ledger[3][6] = ledger[3][6], ledger[3][5]
    assert check(ledger).first_bad == BadEntry(3, 5, "out of order: expected 5, found 6")


def test_swapped_contents_with_their_seqs_fixed_up_are_named() -> None:
    ledger = honest()
    fifth, sixth = ledger[3][5], ledger[3][6]
    ledger[3][5] = dataclasses.replace(sixth, seq=5)
    ledger[3][6] = dataclasses.replace(fifth, seq=6)
    assert check(ledger).first_bad == BadEntry(3, 5, "hash mismatch (entry was edited)")


def test_an_inserted_entry_with_a_duplicate_seq_is_named() -> None:
    ledger = honest()
    forged = entry_at(3, 5, ledger[3][4].entry_hash, forged=True)
    ledger[3].insert(5, forged)
    assert check(ledger).first_bad == BadEntry(3, 5, "duplicate seq 5: an entry was inserted")


def test_an_inserted_entry_with_the_rest_renumbered_is_named() -> None:
    ledger = honest()
    forged = entry_at(3, 5, ledger[3][4].entry_hash, forged=True)
    # Later entries get new seqs and fresh hashes, but their links still skip the forgery.
    shifted = [rehashed(entry, seq=entry.seq + 1) for entry in ledger[3][5:]]
    ledger[3] = [*ledger[3][:5], forged, *shifted]
    assert check(ledger).first_bad == BadEntry(3, 5, "inserted entry: entry 6 links to entry 4")


def test_an_entry_inserted_at_the_start_is_named() -> None:
    ledger = honest()
    forged = entry_at(2, 0, GENESIS_HASH, forged=True)
    shifted = [rehashed(entry, seq=entry.seq + 1) for entry in ledger[2]]
    ledger[2] = [forged, *shifted]
    expected = BadEntry(2, 0, "inserted entry: entry 1 links to the genesis hash")
    assert check(ledger).first_bad == expected


def test_an_edited_and_rehashed_entry_breaks_the_next_link() -> None:
    ledger = honest()
    ledger[3][5] = rehashed(ledger[3][5], payload=edited(ledger[3][5]))
    assert check(ledger).first_bad == BadEntry(3, 6, "prev_hash does not link to entry 5")


def test_a_first_entry_that_does_not_start_from_genesis_is_named() -> None:
    ledger = honest()
    ledger[2] = rechained([rehashed(ledger[2][0], prev_hash="f" * 64), *ledger[2][1:]], 1)
    expected = BadEntry(2, 0, "prev_hash of entry 0 is not the genesis hash")
    assert check(ledger).first_bad == expected


def test_a_rechained_forgery_is_caught_only_by_the_signed_checkpoint(
    signer: CheckpointSigner,
) -> None:
    ledger = honest()
    checkpoints = history(signer, ledger)
    # Checkpoint #1 covered shard 3 up to entry 7; the forger rewrites entry 8 onwards.
    forged = [*ledger[3][:8], rehashed(ledger[3][8], payload=edited(ledger[3][8])), *ledger[3][9:]]
    ledger[3] = rechained(forged, 9)
    heads = heads_of(ledger)
    assert check(ledger, heads=heads).ok
    result = check(ledger, signer, checkpoints, heads)
    assert result.first_bad == BadEntry(
        3, 8, "checkpoint #2 root mismatch for shard 3 (the change is in entries 8..11)"
    )


def test_a_rechained_forgery_is_bounded_by_the_checkpoints_around_it(
    signer: CheckpointSigner,
) -> None:
    ledger = honest()
    checkpoints = history(signer, ledger)
    forged = [*ledger[3][:14], rehashed(ledger[3][14], subject_id="x"), *ledger[3][15:]]
    ledger[3] = rechained(forged, 15)
    result = check(ledger, signer, checkpoints, heads_of(ledger))
    # #1 and #2 still match, so the change lies after entry 11 and within #3's 20 entries.
    assert result.first_bad == BadEntry(
        3, 12, "checkpoint #3 root mismatch for shard 3 (the change is in entries 12..19)"
    )


def test_a_plain_edit_inside_a_checkpoint_is_named_exactly(signer: CheckpointSigner) -> None:
    ledger = honest()
    checkpoints = history(signer, ledger)
    ledger[3][10] = dataclasses.replace(ledger[3][10], payload=edited(ledger[3][10]))
    result = check(ledger, signer, checkpoints)
    assert result.first_bad == BadEntry(3, 10, "hash mismatch (entry was edited)")


def test_a_forgery_before_a_later_exact_problem_is_reported_first(
    signer: CheckpointSigner,
) -> None:
    ledger = honest()
    checkpoints = history(signer, ledger)
    forged = rechained([*ledger[3][:2], rehashed(ledger[3][2], subject_id="x"), *ledger[3][3:]], 3)
    forged[15] = dataclasses.replace(forged[15], kind="view.read")
    ledger[3] = forged
    result = check(ledger, signer, checkpoints)
    assert result.first_bad == BadEntry(
        3, 0, "checkpoint #1 root mismatch for shard 3 (the change is in entries 0..7)"
    )


def test_shards_are_examined_in_order() -> None:
    ledger = honest()
    ledger[3][1] = dataclasses.replace(ledger[3][1], kind="view.read")
    ledger[0][9] = dataclasses.replace(ledger[0][9], kind="view.read")
    result = check(ledger)
    assert result.first_bad == BadEntry(0, 9, "hash mismatch (entry was edited)")
    assert result.entries == 39


def test_a_tampered_checkpoint_is_reported_and_not_trusted(signer: CheckpointSigner) -> None:
    ledger = honest()
    checkpoints = history(signer, ledger)
    checkpoints[1] = dataclasses.replace(checkpoints[1], at=T0)
    result = check(ledger, signer, checkpoints)
    assert result.first_bad == BadEntry(-1, -1, "checkpoint #2 signature does not verify")
    assert result.to_dict()["first_bad"] == {
        "shard": -1,
        "seq": -1,
        "reason": "checkpoint #2 signature does not verify",
    }


def test_checkpoints_signed_by_another_key_do_not_verify(signer: CheckpointSigner) -> None:
    ledger = honest()
    other = CheckpointSigner.generate()
    result = check(ledger, signer, history(other, ledger))
    assert result.first_bad == BadEntry(-1, -1, "checkpoint #1 signature does not verify")


def test_checkpoints_need_the_public_key(signer: CheckpointSigner) -> None:
    ledger = honest()
    with pytest.raises(ValueError):
        verify_ledger(ledger, None, history(signer, ledger), None)


def test_a_checkpoint_that_shrinks_a_shard_is_reported(signer: CheckpointSigner) -> None:
    ledger = honest()
    checkpoints = [
        checkpoint(signer, 1, ledger, {3: 10}),
        checkpoint(signer, 2, ledger, {3: 6}),
    ]
    assert check(ledger, signer, checkpoints).first_bad == BadEntry(
        3, 6, "checkpoint #2 shrinks shard 3 from 10 to 6 entries"
    )


def test_checkpoints_out_of_time_order_are_reported(signer: CheckpointSigner) -> None:
    ledger = honest()
    first = checkpoint(signer, 1, ledger, {})
    second = signer.sign(2, first.at - timedelta(seconds=1), first.shards)
    result = check(ledger, signer, [second, first])
    assert result.first_bad == BadEntry(-1, -1, "checkpoint #2 is dated before checkpoint #1")


def test_two_different_checkpoints_with_one_number_are_reported(signer: CheckpointSigner) -> None:
    ledger = honest()
    one = checkpoint(signer, 1, ledger, {3: 10})
    other = checkpoint(signer, 1, ledger, {3: 12})
    result = check(ledger, signer, [one, other, one])
    assert result.first_bad == BadEntry(-1, -1, "two different checkpoints #1")
    assert check(ledger, signer, [one, one]).ok


def test_a_signed_head_hash_that_disagrees_with_its_root_is_reported(
    signer: CheckpointSigner,
) -> None:
    ledger = honest()
    heads = heads_of(ledger)
    heads[3] = dataclasses.replace(heads[3], head_hash="f" * 64)
    signed = signer.sign(1, T0, heads.values())
    expected = BadEntry(3, 19, "checkpoint #1 head hash mismatch for shard 3")
    assert check(ledger, signer, [signed]).first_bad == expected


def test_a_stale_head_hash_is_reported() -> None:
    ledger = honest()
    heads = heads_of(ledger)
    heads[3] = dataclasses.replace(heads[3], head_hash=ledger[3][18].entry_hash)
    expected = BadEntry(3, 19, "shard head hash does not match entry 19")
    assert check(ledger, heads=heads).first_bad == expected
    heads = heads_of(ledger)
    heads[1] = dataclasses.replace(heads[1], head_hash="f" * 64)
    expected = BadEntry(1, 0, "shard head hash is not the genesis hash")
    assert check(ledger, heads=heads).first_bad == expected


def test_a_wrong_head_root_is_reported() -> None:
    ledger = honest()
    heads = heads_of(ledger)
    heads[2] = dataclasses.replace(heads[2], root="f" * 64)
    expected = BadEntry(2, 0, "shard head root does not match the entries")
    assert check(ledger, heads=heads).first_bad == expected


def test_a_shard_without_a_head_counts_as_empty() -> None:
    ledger = honest()
    heads = heads_of(ledger)
    del heads[2]
    expected = BadEntry(2, 0, "shard head says size 0, found 7 entries")
    assert check(ledger, heads=heads).first_bad == expected


def test_an_entry_filed_under_the_wrong_shard_is_named() -> None:
    result = verify_ledger({0: chain(2, 3)})
    assert result.first_bad == BadEntry(0, 0, "entry belongs to shard 2")


def test_a_malformed_entry_is_named() -> None:
    ledger = honest()
    ledger[0][4] = dataclasses.replace(ledger[0][4], at=datetime(2025, 1, 1))
    first_bad = check(ledger).first_bad
    assert first_bad is not None
    assert (first_bad.shard, first_bad.seq) == (0, 4)
    assert first_bad.reason.startswith("malformed entry: ")


def test_a_shard_is_read_once_so_it_may_be_a_stream() -> None:
    entries = chain(3, 20)
    result = verify_ledger({3: iter(entries)}, {3: shard_head(entries, 3)})
    assert result == VerifyResult(ok=True, entries=20, first_bad=None)
    stale = dataclasses.replace(shard_head(entries, 3), size=21)
    assert verify_ledger({3: iter(entries)}, {3: stale}).first_bad == BadEntry(
        3, 20, "shard head says size 21, found 20 entries"
    )
