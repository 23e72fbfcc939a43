"""Many shards' state rows locked by one statement and saved by one, on SQLite and PostgreSQL:
a shard never appended to is created empty, a saved state reads back as it was, and a second
writer waits for the first to commit before it sees the shards' heads."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import event

from gatehouse.ledger import ShardState, append_entry
from gatehouse.store.ledger_heads import lock_states, save_states
from tests.conftest import Fresh

AT = datetime(2026, 11, 30, 12, tzinfo=UTC)


def grown(state: ShardState, entries: int) -> ShardState:
    for n in range(entries):
        _, state = append_entry(state, "view.read", AT, f"sub_{n}", None, {"n": n})
    return state


def test_shards_are_created_locked_and_saved_each_in_one_statement(fresh: Fresh) -> None:
    engine = fresh.gatehouse.engine
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(" ".join(str(args[2]).split()))

    with engine.begin() as connection:
        created = lock_states(connection, [9, 2, 5, 2], AT)
        assert list(created) == [2, 5, 9]
        assert created == {shard: ShardState.empty(shard) for shard in (2, 5, 9)}
        assert lock_states(connection, [], AT) == {}
        event.listen(engine, "before_cursor_execute", record)
        try:
            save_states(connection, [grown(created[9], 3), grown(created[2], 5)], AT)
            save_states(connection, [], AT)
        finally:
            event.remove(engine, "before_cursor_execute", record)
    assert len(statements) == 1

    with engine.begin() as connection:
        event.listen(engine, "before_cursor_execute", record)
        try:
            found = lock_states(connection, [2, 5, 9], AT)
        finally:
            event.remove(engine, "before_cursor_execute", record)
    assert len(statements) == 2 and statements[1].startswith("UPDATE ledger_shards")
    assert found == {
        2: grown(ShardState.empty(2), 5),
        5: ShardState.empty(5),
        9: grown(ShardState.empty(9), 3),
    }


def test_a_second_writer_waits_for_the_first_and_reads_its_heads(fresh: Fresh) -> None:
    engine = fresh.gatehouse.engine
    with engine.begin() as connection:
        lock_states(connection, [1, 4], AT)
    committed = threading.Event()
    seen: dict[int, ShardState] = {}
    waited: list[bool] = []

    def second() -> None:
        with engine.begin() as connection:
            seen.update(lock_states(connection, [4, 1], AT))
            waited.append(committed.is_set())

    other = threading.Thread(target=second)
    with engine.connect() as connection:
        connection.begin()
        states = lock_states(connection, [1, 4], AT)
        other.start()
        time.sleep(0.3)  # the second writer is queued on the lock by now
        save_states(connection, [grown(states[4], 2)], AT)
        committed.set()  # set before the commit, which alone can let the second one in
        connection.commit()
    other.join(timeout=30)
    assert waited == [True]
    assert seen == {1: ShardState.empty(1), 4: grown(ShardState.empty(4), 2)}
