"""A group of ledger appends written at once: the shards' state rows locked by one statement
and saved by one, and the entries inserted by one.

A group of appends (a batch of transfers, a group commit) touches up to every shard. Locking
and saving each shard's row with a statement of its own cost two statements a shard; here
both are one, whatever the count. The lock still takes the rows in ascending shard order on
PostgreSQL, so two groups on overlapping shards queue rather than deadlock.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Update, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from gatehouse.ledger import ShardState
from gatehouse.store.driver_rows import DriverRow, DriverStatement
from gatehouse.store.ledger_tables import ledger_entries, ledger_shards

__all__ = ["ENTRY_COLUMNS", "add_entries", "lock_states", "save_states"]

ENTRY_COLUMNS = (
    "shard",
    "seq",
    "kind",
    "at",
    "subject_id",
    "recipient_id",
    "payload",
    "prev_hash",
    "entry_hash",
)
"""The order of an entry row's values for :func:`add_entries`."""

# The payload goes in as its canonical JSON text (PostgreSQL's json type keeps its input
# text as it is), so the stored text is the very bytes the entry's hash covers; through the
# driver's executemany, which is what a batch of entries costs least through.
_ADD_ENTRIES = DriverStatement(ledger_entries, ENTRY_COLUMNS, json_columns=("payload",))


def _lock(dialect: str, *, many: bool) -> Update:
    if not many:
        # One shard (a transfer alone): a plain key, without the list that SQLAlchemy would
        # otherwise render afresh at every execution.
        wanted = ledger_shards.c.shard == bindparam("lock_shard")
    else:
        wanted = ledger_shards.c.shard.in_(bindparam("lock_shards", expanding=True))
    if many and dialect == "postgresql":
        # A plain multi-row UPDATE locks rows in scan order, which MVCC reshuffles; the
        # subquery locks them in ascending order first, and the UPDATE only ever touches a
        # row the subquery already holds, so no two groups lock crosswise.
        wanted = ledger_shards.c.shard.in_(
            select(ledger_shards.c.shard)
            .where(wanted)
            .order_by(ledger_shards.c.shard)
            .with_for_update()
        )
    # On SQLite one write lock covers the whole database: the order does not matter.
    return (
        update(ledger_shards)
        .where(wanted)
        .values(updated_at=bindparam("lock_at"))
        .returning(ledger_shards.c.shard, ledger_shards.c.state)
    )


# Built once and given their values at execution.
_LOCK = {(d, many): _lock(d, many=many) for d in ("sqlite", "postgresql") for many in (False, True)}
# The new state and time go in under their columns' own names, so their types apply.
_SAVE = update(ledger_shards).where(ledger_shards.c.shard == bindparam("save_shard"))


def _create(connection: Connection, shards: Collection[int], at: datetime) -> None:
    """Insert the empty state of each shard that has none; a concurrent creator's row wins."""
    module = postgresql if connection.dialect.name == "postgresql" else sqlite
    rows = [
        {"shard": shard, "state": ShardState.empty(shard).to_dict(), "updated_at": at}
        for shard in sorted(shards)
    ]
    connection.execute(module.insert(ledger_shards).on_conflict_do_nothing(), rows)


def _locked(connection: Connection, shards: Sequence[int], at: datetime) -> dict[int, Any]:
    many = len(shards) > 1
    statement = _LOCK.get((connection.dialect.name, many))
    if statement is None:
        raise NotImplementedError(f"the ledger does not support {connection.dialect.name}")
    values = {"lock_shards": list(shards)} if many else {"lock_shard": shards[0]}
    rows = connection.execute(statement, {**values, "lock_at": at})
    return {row.shard: row.state for row in rows}


def lock_states(
    connection: Connection, shards: Collection[int], at: datetime
) -> dict[int, ShardState]:
    """Lock the state rows of ``shards`` for this transaction and return their states,
    creating the rows of shards never appended to. One statement in the common case."""
    wanted = sorted(set(shards))
    if not wanted:
        return {}
    found = _locked(connection, wanted, at)
    missing = [shard for shard in wanted if shard not in found]
    if missing:
        # Two first appenders may race here; one inserts, the other's insert does nothing,
        # and both then queue on the same row locks.
        _create(connection, missing, at)
        found.update(_locked(connection, missing, at))
    absent = [shard for shard in wanted if shard not in found]
    if absent:
        raise RuntimeError(f"ledger shards {absent} could not be created")
    return {shard: ShardState.from_dict(found[shard]) for shard in wanted}


def save_states(connection: Connection, states: Sequence[ShardState], at: datetime) -> None:
    """Store shards' new states, in one statement; the caller holds their locks."""
    if not states:
        return
    connection.execute(
        _SAVE,
        [
            {"save_shard": state.head.shard, "state": state.to_dict(), "updated_at": at}
            for state in sorted(states, key=lambda state: state.head.shard)
        ],
    )


def add_entries(connection: Connection, rows: Sequence[DriverRow]) -> None:
    """Insert entries, each a row of :data:`ENTRY_COLUMNS` with the payload as its canonical
    text and ``at`` as the ledger's text form: exactly as they were hashed. One statement."""
    _ADD_ENTRIES.run(connection, rows)
