"""The ledger on a real database: appends, reloads, checkpoints, proofs, rollback, concurrency."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Table, func, insert, select

from gatehouse.config import Settings
from gatehouse.domain.errors import InvalidInput, NotFound
from gatehouse.ledger import (
    LedgerEntry,
    format_at,
    parse_at,
    shard_for,
    verify_checkpoint,
    verify_inclusion_proof,
)
from gatehouse.services import ledger
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.store.ledger import LedgerRepository, consistent_read
from gatehouse.store.ledger_tables import ledger_entries, ledger_meta, ledger_shards
from gatehouse.store.tables import metadata
from tests.conftest import Clock, Fresh
from tests.support.factories import unique
from tests.support.ledger import inclusion_proof_for


def _entries_of(gh: Gatehouse, subject_id: str) -> list[LedgerEntry]:
    """Every entry about one subject, oldest first, as the repository reads them."""
    with gh.engine.connect() as connection:
        return LedgerRepository(connection).find(subject_id=subject_id)


def _count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(ledger_entries)).scalar_one())


def _subject() -> str:
    return f"sub_{unique():012d}"


def _append(
    gh: Gatehouse, subject_id: str | None, recipient_id: str | None = None, **payload: Any
) -> LedgerEntry:
    with gh.engine.begin() as connection:
        return ledger.append(
            connection,
            kind=str(payload.pop("kind", "test.event")),
            at=gh.clock(),
            subject_id=subject_id,
            recipient_id=recipient_id,
            payload=payload,
        )


def _shard_state(gh: Gatehouse, shard: int) -> Any:
    with gh.engine.connect() as connection:
        return LedgerRepository(connection).state_bodies().get(shard)


def test_migration_matches_the_ledger_tables(gatehouse: Gatehouse) -> None:
    with gatehouse.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert [d for d in differences if _touches_ledger(d)] == []


LEDGER_TABLES = {"ledger_entries", "ledger_shards", "ledger_checkpoints", "ledger_meta"}


def _touches_ledger(difference: Any) -> bool:
    """Whether an Alembic difference concerns one of the ledger tables (others are not ours)."""
    parts = difference[0] if isinstance(difference, list) else difference
    for part in parts[1:]:
        table = part if isinstance(part, Table) else getattr(part, "table", None)
        name = table.name if isinstance(table, Table) else part
        if isinstance(name, str) and name in LEDGER_TABLES:
            return True
    return False


def test_entries_reload_field_for_field(gatehouse: Gatehouse, clock: Clock) -> None:
    clock.advance(microseconds=123457)
    subject = _subject()
    payload: dict[str, Any] = {
        "name_fields": ["name", "phone"],
        "country": "CN",
        "note": '배송 메모 ✓ "quoted" \\ slash',
        "big": 2**62 + 1,
        "nested": {"z": None, "a": [True, False, 0]},
    }
    written = _append(gatehouse, subject, "rcp_x", kind="transfer.allowed", **payload)
    assert _entries_of(gatehouse, subject) == [written]
    reloaded = _entries_of(gatehouse, subject)[0]
    assert reloaded.leaf().hex() == reloaded.entry_hash
    assert reloaded.at == clock() and reloaded.payload == payload
    assert written.shard == shard_for(subject, ledger.LEDGER_SHARDS)


def test_appends_verify_and_a_checkpoint_proves_them(gatehouse: Gatehouse, clock: Clock) -> None:
    before = ledger.verify(gatehouse)
    assert before.ok, before
    subjects = [_subject() for _ in range(25)]
    appended: list[LedgerEntry] = []
    for round_ in range(4):
        for subject in subjects:
            clock.advance(seconds=1)
            appended.append(_append(gatehouse, subject, f"rcp_{round_}", round=round_))
    assert len({entry.shard for entry in appended}) > 8
    after = ledger.verify(gatehouse)
    assert after.ok, after
    assert after.entries == before.entries + 100

    previous = ledger.latest_checkpoint(gatehouse)
    checkpoint = ledger.make_checkpoint(gatehouse)
    key = ledger.public_key(gatehouse)
    assert verify_checkpoint(checkpoint, key)
    assert ledger.latest_checkpoint(gatehouse) == checkpoint
    assert len(checkpoint.shards) == ledger.LEDGER_SHARDS
    assert sum(head.size for head in checkpoint.shards) == after.entries
    if previous is not None:
        assert checkpoint.sequence == previous.sequence + 1
    assert ledger.verify(gatehouse).ok

    for entry in appended[::9]:
        proof = ledger.entry_proof(gatehouse, entry.shard, entry.seq).to_dict()
        assert verify_inclusion_proof(proof, checkpoint, key)
        assert proof["entry"] == entry.to_dict()
    # The streamed proof is exactly the one the pure core builds from the whole shard.
    entry = appended[-1]
    with gatehouse.engine.connect() as connection:
        whole = list(LedgerRepository(connection).stream_shard(entry.shard, batch=7))
    head = checkpoint.head(entry.shard)
    assert head is not None
    expected = inclusion_proof_for(whole, entry.seq, head.size, checkpoint)
    streamed = ledger.entry_proof(gatehouse, entry.shard, entry.seq).to_dict()
    streamed.pop("entry")
    assert streamed == expected


def test_proofs_need_a_covering_checkpoint(gatehouse: Gatehouse) -> None:
    ledger.make_checkpoint(gatehouse)
    entry = _append(gatehouse, _subject())
    with pytest.raises(NotFound) as raised:
        ledger.entry_proof(gatehouse, entry.shard, entry.seq).to_dict()
    assert raised.value.code == "not_in_checkpoint"
    with pytest.raises(NotFound) as raised:
        ledger.entry_proof(gatehouse, ledger.LEDGER_SHARDS, 0).to_dict()
    assert raised.value.code == "no_such_shard"
    checkpoint = ledger.make_checkpoint(gatehouse)
    proof = ledger.entry_proof(gatehouse, entry.shard, entry.seq).to_dict()
    assert verify_inclusion_proof(proof, checkpoint, ledger.public_key(gatehouse))


def test_listing_filters_and_pages(gatehouse: Gatehouse) -> None:
    subject, recipient = _subject(), f"rcp_{unique()}"
    kind = f"test.list{unique()}"
    mine = [_append(gatehouse, subject, recipient, kind=kind, n=i) for i in range(5)]
    others = [_append(gatehouse, _subject(), recipient, kind=kind, n=i) for i in range(4)]
    page, cursor = ledger.entries(gatehouse, subject_id=subject, limit=10)
    assert page == mine and cursor is None
    collected: list[LedgerEntry] = []
    cursor = None
    while True:
        page, cursor = ledger.entries(gatehouse, recipient_id=recipient, after=cursor, limit=2)
        collected += page
        if cursor is None:
            break
    assert sorted(collected, key=lambda e: (e.shard, e.seq)) == collected
    assert {e.entry_hash for e in collected} == {e.entry_hash for e in mine + others}
    page, _ = ledger.entries(gatehouse, kind=kind, subject_id=subject, limit=500)
    assert len(page) == 5
    for bad in ("x", "1-", "-1", "1-2-3", "١-٢"):
        with pytest.raises(InvalidInput) as raised:
            ledger.entries(gatehouse, after=bad)
        assert raised.value.code == "invalid_cursor"


class _Abort(Exception):
    pass


def test_an_append_rolls_back_with_its_transaction(gatehouse: Gatehouse) -> None:
    subject = _subject()
    first = _append(gatehouse, subject, n=1)
    state = _shard_state(gatehouse, first.shard)
    with pytest.raises(_Abort), gatehouse.engine.begin() as connection:
        ledger.append(
            connection,
            kind="test.event",
            at=gatehouse.clock(),
            subject_id=subject,
            recipient_id=None,
            payload={"n": 2},
        )
        raise _Abort
    assert _entries_of(gatehouse, subject) == [first]
    assert _shard_state(gatehouse, first.shard) == state
    assert ledger.verify(gatehouse).ok


def test_a_refused_payload_writes_nothing(gatehouse: Gatehouse) -> None:
    subject = _subject()
    with pytest.raises(ValueError, match="float"):
        _append(gatehouse, subject, amount=1.5)
    assert _entries_of(gatehouse, subject) == []


def test_over_long_fields_are_refused_alike_on_every_backend(gatehouse: Gatehouse) -> None:
    with pytest.raises(ValueError, match="subject_id"):
        _append(gatehouse, "s" * 41)
    with pytest.raises(ValueError, match="kind"):
        _append(gatehouse, _subject(), kind="k" * 61)


def test_a_consistent_read_does_not_see_later_appends(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    _append(gh, "sub_a")
    with consistent_read(gh.engine) as connection:
        repo = LedgerRepository(connection)
        assert _count(connection) == 1
        _append(gh, "sub_a")  # committed on another connection meanwhile
        assert _count(connection) == 1
        assert len(list(repo.stream_shard(shard_for("sub_a", ledger.LEDGER_SHARDS)))) == 1
    assert ledger.verify(gh).entries == 2


def test_rollback_on_an_empty_ledger_leaves_no_shard_row(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    with pytest.raises(_Abort), gh.engine.begin() as connection:
        ledger.append(
            connection,
            kind="test.event",
            at=gh.clock(),
            subject_id=None,
            recipient_id=None,
            payload={},
        )
        raise _Abort
    with gh.engine.connect() as connection:
        assert connection.execute(select(ledger_shards)).all() == []
        assert connection.execute(select(ledger_meta)).all() == []
    result = ledger.verify(gh)
    assert result.ok and result.entries == 0
    with pytest.raises(NotFound) as raised:
        ledger.entry_proof(gh, 0, 0).to_dict()
    assert raised.value.code == "no_checkpoint"
    assert ledger.latest_checkpoint(gh) is None


def test_the_shard_count_stays_what_the_ledger_was_created_with(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    with gh.engine.begin() as connection:
        connection.execute(insert(ledger_meta).values(key="shard_count", value="4"))
    subjects = [_subject() for _ in range(12)]
    entries = [_append(gh, subject) for subject in subjects]
    assert [e.shard for e in entries] == [shard_for(s, 4) for s in subjects]
    checkpoint = ledger.make_checkpoint(gh)
    assert [head.shard for head in checkpoint.shards] == [0, 1, 2, 3]
    assert checkpoint.sequence == 1
    result = ledger.verify(gh)
    assert result.ok and result.entries == 12


def _concurrent_appender(url: str, key_b64: str, at: str, worker: int, barrier: Any) -> None:
    settings = Settings.from_env({"GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": key_b64})
    gh = open_gatehouse(settings)
    # Few subjects, so the four processes fight over the same few shard heads.
    subjects: list[str | None] = [None, "sub_a", "sub_b", "sub_c", "sub_d"]
    try:
        barrier.wait(timeout=120)
        for i in range(50):
            with gh.engine.begin() as connection:
                ledger.append(
                    connection,
                    kind="test.concurrent",
                    at=parse_at(at),
                    subject_id=subjects[(i + worker) % len(subjects)],
                    recipient_id=None,
                    payload={"worker": worker, "i": i},
                )
    finally:
        gh.close()


def test_four_processes_append_at_once(fresh: Fresh) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(5)
    at = format_at(fresh.clock())
    processes = [
        context.Process(
            target=_concurrent_appender,
            args=(fresh.backend.url, fresh.master_key.to_b64(), at, worker, barrier),
        )
        for worker in range(4)
    ]
    for process in processes:
        process.start()
    try:
        barrier.wait(timeout=120)
        for process in processes:
            process.join(timeout=240)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()
    assert [process.exitcode for process in processes] == [0, 0, 0, 0]
    result = ledger.verify(fresh.gatehouse)
    assert result.ok, result
    assert result.entries == 200
    with fresh.gatehouse.engine.connect() as connection:
        assert _count(connection) == 200
    checkpoint = ledger.make_checkpoint(fresh.gatehouse)
    assert sum(head.size for head in checkpoint.shards) == 200
    assert ledger.verify(fresh.gatehouse).ok


def test_verify_reports_progress(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    for _ in range(30):
        _append(gh, _subject())
    calls: list[tuple[int, int]] = []
    result = ledger.verify(gh, progress=lambda done, total: calls.append((done, total)))
    assert result.ok and result.entries == 30
    assert calls and calls[-1] == (30, 30)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_periodic_checkpoints_only_when_due_and_grown(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    every = timedelta(minutes=15)
    assert ledger.checkpoint_if_due(gh, every) is None  # empty ledger: nothing to sign
    _append(gh, _subject())
    first = ledger.checkpoint_if_due(gh, every)
    assert first is not None and first.sequence == 1
    _append(gh, _subject())
    fresh.clock.advance(minutes=14)
    assert ledger.checkpoint_if_due(gh, every) is None  # not due yet
    fresh.clock.advance(minutes=2)
    second = ledger.checkpoint_if_due(gh, every)
    assert second is not None and second.sequence == 2
    fresh.clock.advance(hours=1)
    assert ledger.checkpoint_if_due(gh, every) is None  # due, but nothing new to sign
