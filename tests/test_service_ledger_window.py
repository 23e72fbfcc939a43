"""Verifying an audit window on a real database, SQLite and PostgreSQL: the window's entries
are rehashed, chained and proven in the signed checkpoint, tampering inside the window is
named as the verifier names it, and nothing outside the window is read."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, update

from gatehouse.ledger import (
    BLOCK_LEAVES,
    BLOCK_LEVEL,
    BadEntry,
    ShardState,
    append_entry,
    format_at,
)
from gatehouse.services import ledger_checkpoints, ledger_verify
from gatehouse.services.ledger_window import (
    WindowCheck,
    check_window,
    verify_window,
    window_evidence,
)
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.ledger import LedgerRepository
from gatehouse.store.ledger_rows import entry_row, insert_entries
from gatehouse.store.ledger_tables import (
    ledger_checkpoints as checkpoints_table,
)
from gatehouse.store.ledger_tables import (
    ledger_entries,
    ledger_shards,
    ledger_subtrees,
)
from tests.conftest import Fresh
from tests.support.fake_world import FakeDatabase
from tests.support.fakes import fake_gatehouse
from tests.support.ledger import forge_rewrite
from tests.test_service_ledger_archive import DAY0, SIZE, Ledger, archived_ledger, grow

# Entries are stamped a minute apart from DAY0 in each of shards 0 and 1: this window holds
# entries 1500..1599 of each, out of SIZE; its verification reads 1499..1600.
START, END = DAY0 + timedelta(minutes=1500), DAY0 + timedelta(minutes=1600)


def signed_ledger(fresh: Fresh) -> Ledger:
    gh = fresh.gatehouse
    ledger: Ledger = {}
    grow(gh, ledger, SIZE)
    ledger_checkpoints.make_checkpoint(gh)
    return ledger


def edit_payload(gh: Gatehouse, shard: int, seq: int) -> None:
    """What an insider does with SQL: change an entry's payload, leave its hashes."""
    with gh.engine.begin() as connection:
        connection.execute(
            update(ledger_entries)
            .where(ledger_entries.c.shard == shard, ledger_entries.c.seq == seq)
            .values(payload={"n": seq, "note": "변경됨"})
        )


def test_an_intact_window_verifies_reading_only_its_entries(fresh: Fresh) -> None:
    signed_ledger(fresh)

    checked = verify_window(fresh.gatehouse, START, END)

    assert checked.result.ok, checked.result.first_bad
    # The window's 100 entries of each shard and the two beside them, not the ledger's.
    assert checked.result.entries == 2 * 102 < 2 * SIZE
    assert checked.proven == (0, 1) and checked.whole == ()
    assert checked.checkpoint is not None and checked.checkpoint.sequence == 1


def test_an_edited_entry_inside_the_window_is_named(fresh: Fresh) -> None:
    signed_ledger(fresh)
    edit_payload(fresh.gatehouse, 1, 1550)

    checked = verify_window(fresh.gatehouse, START, END)

    assert not checked.result.ok
    assert checked.result.first_bad == BadEntry(1, 1550, "hash mismatch (entry was edited)")
    assert checked.proven == (0,)


def test_a_rewritten_chain_inside_the_window_fails_by_the_signed_checkpoint(
    fresh: Fresh,
) -> None:
    gh = fresh.gatehouse
    signed_ledger(fresh)
    with gh.engine.begin() as connection:
        forge_rewrite(connection, 1, 1550)

    checked = verify_window(gh, START, END)

    bad = checked.result.first_bad
    assert bad is not None and (bad.shard, bad.seq) == (1, 1499), bad
    assert "checkpoint #1 does not prove entries 1499..1600 of shard 1" in bad.reason
    assert not ledger_verify.verify(gh).ok


def test_an_edited_entry_outside_the_window_is_for_ledger_verify(fresh: Fresh) -> None:
    """The scope, documented: the window's verification reads the window, so an entry edited
    before it is not seen there; ``gatehouse ledger verify`` names it."""
    gh = fresh.gatehouse
    signed_ledger(fresh)
    edit_payload(gh, 0, 100)
    edit_payload(gh, 1, 1700)

    checked = verify_window(gh, START, END)

    assert checked.result.ok and checked.result.entries == 2 * 102
    whole = ledger_verify.verify(gh)
    assert whole.first_bad == BadEntry(0, 100, "hash mismatch (entry was edited)")


def test_entries_after_the_latest_checkpoint_are_read_but_not_proven(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    ledger = signed_ledger(fresh)
    grow(gh, ledger, 100)  # entries SIZE..SIZE + 99 of each shard, after the checkpoint

    across = verify_window(gh, DAY0 + timedelta(minutes=SIZE - 50), DAY0 + timedelta(days=9))
    after = verify_window(gh, DAY0 + timedelta(minutes=SIZE + 10), DAY0 + timedelta(days=9))

    assert across.result.ok and across.result.entries == 2 * 151 and across.proven == (0, 1)
    assert after.result.ok and after.result.entries == 2 * 91 and after.proven == ()
    # An edit among them is still named: every entry is rehashed, covered or not.
    edit_payload(gh, 0, SIZE + 20)
    problem = verify_window(gh, DAY0 + timedelta(minutes=SIZE + 10), DAY0 + timedelta(days=9))
    assert problem.result.first_bad == BadEntry(0, SIZE + 20, "hash mismatch (entry was edited)")


def append_stamped(gh: Gatehouse, shard: int, stamps: list[datetime]) -> None:
    """Entries of ``shard`` stamped ``stamps``, in that order, as hosts whose clocks
    disagree would append them."""
    with gh.engine.begin() as connection:
        state = ShardState.empty(shard)
        rows = []
        for n, at in enumerate(stamps):
            entry, state = append_entry(state, "view.read", at, None, None, {"n": n})
            rows.append(entry_row(entry))
        insert_entries(connection, rows)
        values = {"shard": shard, "state": state.to_dict(), "updated_at": gh.clock()}
        connection.execute(insert(ledger_shards).values(values))


def test_an_entry_stamped_outside_the_window_between_its_entries_is_chained(
    fresh: Fresh,
) -> None:
    gh = fresh.gatehouse
    base = DAY0 + timedelta(days=40)
    stamps = [base + timedelta(minutes=n) for n in range(20)]
    # Entry 10 came from a host whose clock ran an hour slow: stamped before the window.
    stamps[10] = base - timedelta(hours=1)
    append_stamped(gh, 0, stamps)
    ledger_checkpoints.make_checkpoint(gh)
    window = (base + timedelta(minutes=5), base + timedelta(minutes=15))

    checked = verify_window(gh, *window)
    assert checked.result.ok and checked.result.entries == 12 and checked.proven == (0,)

    edit_payload(gh, 0, 10)
    checked = verify_window(gh, *window)
    assert checked.result.first_bad == BadEntry(0, 10, "hash mismatch (entry was edited)")


def test_an_edge_entry_re_stamped_out_of_the_window_is_still_read(fresh: Fresh) -> None:
    """Moving the window's first or last entry out of it by its stamp leaves it beside the
    window's positions: it is read, and no longer hashes."""
    gh = fresh.gatehouse
    signed_ledger(fresh)
    with gh.engine.begin() as connection:
        for shard, seq, at in (
            (0, 1500, "2025-12-31T00:00:00.000000Z"),
            (1, 1599, "2027-01-01T00:00:00.000000Z"),
        ):
            connection.execute(
                update(ledger_entries)
                .where(ledger_entries.c.shard == shard, ledger_entries.c.seq == seq)
                .values(at=at)
            )

    checked = verify_window(gh, START, END)

    assert checked.result.first_bad == BadEntry(0, 1500, "hash mismatch (entry was edited)")
    assert checked.proven == ()
    # With shard 0 gone from the window, shard 1's re-stamped last entry is the one named.
    with gh.engine.begin() as connection:
        connection.execute(delete(ledger_entries).where(ledger_entries.c.shard == 0))
    bad = verify_window(gh, START, END).result.first_bad
    assert bad == BadEntry(1, 1599, "hash mismatch (entry was edited)")


def _re_stamp_window(gh: Gatehouse, shard: int, *, rechain: bool) -> None:
    """Stamp every window entry of ``shard`` a second before the window: with SQL alone, or
    (``rechain``) as a forger would, every hash after them recomputed and the head saved."""
    moved = {
        seq: START - timedelta(seconds=1) + timedelta(microseconds=seq) for seq in range(1500, 1600)
    }
    with gh.engine.begin() as connection:
        state = ShardState.empty(shard)
        for entry in list(LedgerRepository(connection).stream_shard(shard)):
            at = moved.get(entry.seq, entry.at)
            values: dict[str, object] = {"at": format_at(at)}
            if rechain:
                forged, state = append_entry(
                    state, entry.kind, at, entry.subject_id, entry.recipient_id, entry.payload
                )
                values |= {"prev_hash": forged.prev_hash, "entry_hash": forged.entry_hash}
            elif entry.seq not in moved:
                continue
            connection.execute(
                update(ledger_entries)
                .where(ledger_entries.c.shard == shard, ledger_entries.c.seq == entry.seq)
                .values(**values)
            )
        if rechain:
            connection.execute(
                update(ledger_shards)
                .where(ledger_shards.c.shard == shard)
                .values(state=state.to_dict())
            )


@pytest.mark.parametrize(
    ("rechain", "named"),
    [
        (False, "hash mismatch (entry was edited)"),
        (True, "checkpoint #1 does not prove entries"),
    ],
    ids=["stamps-only", "re-chained"],
)
def test_a_shard_whose_every_window_entry_was_re_stamped_out_is_still_checked(
    fresh: Fresh, rechain: bool, named: str
) -> None:
    """Stamps changed alone leave entries that no longer hash; a forger who recomputes every
    hash after them cannot reach the signed root."""
    gh = fresh.gatehouse
    signed_ledger(fresh)
    _re_stamp_window(gh, 1, rechain=rechain)

    checked = verify_window(gh, START, END)

    bad = checked.result.first_bad
    assert bad is not None and bad.shard == 1 and named in bad.reason, bad
    assert checked.proven == (0,)
    assert not ledger_verify.verify(gh).ok


def test_a_shard_with_nothing_in_the_window_has_its_edges_checked(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    signed_ledger(fresh)
    quiet_start, quiet_end = START + timedelta(seconds=10), START + timedelta(seconds=50)

    checked = verify_window(gh, quiet_start, quiet_end)

    # Entries are a minute apart: none is stamped in these 40 seconds. The edges around the
    # window are read in each shard (1499..1501 and the entry either side), and proven.
    assert checked.result.ok, checked.result.first_bad
    assert 0 < checked.result.entries <= 2 * 4
    assert checked.proven == ()


def test_a_checkpoint_whose_signature_was_rewritten_is_not_trusted(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    signed_ledger(fresh)
    with gh.engine.begin() as connection:
        body = connection.execute(select(checkpoints_table.c.body)).scalar_one()
        forged = {**body, "signature": base64.b64encode(bytes(64)).decode()}
        connection.execute(update(checkpoints_table).values(body=forged))

    checked = verify_window(gh, START, END)

    assert checked.result.first_bad == BadEntry(-1, -1, "checkpoint #1 signature does not verify")
    assert checked.checkpoint is None and checked.proven == ()


def test_a_forged_stored_subtree_cannot_prove_the_window(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    signed_ledger(fresh)
    with gh.engine.begin() as connection:
        connection.execute(
            update(ledger_subtrees)
            .where(
                ledger_subtrees.c.shard == 0,
                ledger_subtrees.c.level == BLOCK_LEVEL,
                ledger_subtrees.c.index == 0,
            )
            .values(hash="00" * 32)
        )

    checked = verify_window(gh, START, END)

    bad = checked.result.first_bad
    assert bad is not None and (bad.shard, bad.seq) == (0, 1499), bad
    assert "or a stored subtree, was rewritten" in bad.reason


def test_the_checkpoint_must_extend_the_published_ones(fresh: Fresh, tmp_path: Path) -> None:
    gh = fresh.gatehouse
    gh.checkpoint_dir = tmp_path / "anchors"
    ledger = signed_ledger(fresh)
    grow(gh, ledger, 10)
    ledger_checkpoints.make_checkpoint(gh)
    assert verify_window(gh, START, END).result.ok

    # The newest checkpoint dropped from the database: the published file still names it.
    with gh.engine.begin() as connection:
        connection.execute(delete(checkpoints_table).where(checkpoints_table.c.sequence == 2))

    bad = verify_window(gh, START, END).result.first_bad
    assert bad is not None and bad.shard == -1
    assert "checkpoint #2 from anchor checkpoint-000000000002.json is missing" in bad.reason


def test_a_window_reaching_into_the_archive_verifies_those_shards_whole(
    fresh: Fresh, tmp_path: Path
) -> None:
    gh = fresh.gatehouse
    directory = tmp_path / "archive"
    archived_ledger(fresh, directory)  # entries 0..2047 of each shard are in files

    reaching = verify_window(gh, START, END)
    hot = verify_window(gh, DAY0 + timedelta(minutes=2100), DAY0 + timedelta(minutes=2200))
    edge = verify_window(gh, DAY0 + timedelta(minutes=2 * BLOCK_LEAVES), END + timedelta(days=1))

    assert reaching.result.ok and reaching.whole == (0, 1), reaching.result.first_bad
    assert reaching.result.entries == 2 * SIZE
    assert hot.result.ok and hot.whole == () and hot.result.entries == 2 * 102
    # The first hot entry links to the archive's last hash, from its record.
    assert edge.result.ok and edge.whole == () and edge.proven == (0, 1)
    assert edge.result.entries == 2 * (SIZE - 2 * BLOCK_LEAVES)
    (directory / sorted(p.name for p in directory.iterdir())[-1]).unlink()
    missing = verify_window(gh, START, END).result.first_bad
    assert missing is not None and "is missing" in missing.reason


def test_on_the_in_memory_fakes_the_window_verifies_too() -> None:
    db = FakeDatabase()
    gh = fake_gatehouse(db)
    with gh.unit_of_work() as uow:
        for n in range(30):
            uow.ledger.append(
                kind="view.read",
                at=DAY0 + timedelta(minutes=n),
                subject_id=None,
                recipient_id=None,
                payload={"n": n},
            )
    ledger_checkpoints.make_checkpoint(gh)
    seen: list[int] = []

    with gh.unit_of_work(read_only=True) as uow:
        checked: WindowCheck = check_window(
            uow.ledger,
            DAY0 + timedelta(minutes=10),
            DAY0 + timedelta(minutes=20),
            window_evidence(gh),
            observe=lambda entry: seen.append(entry.seq),
        )

    assert checked.result.ok and checked.proven == (0,) and seen == list(range(9, 21))
