"""Writing generated rows in bulk: COPY on PostgreSQL, multi-row executemany on SQLite.

Rows are tuples in the order of the column names given with them, holding the values a
repository would pass (aware UTC datetimes, dicts and lists for JSON columns; the ledger's
payloads as their canonical text, as the ledger stores them). The ledger's
entries are made by its own pure :func:`gatehouse.ledger.make_entry` at each shard's head,
exactly as an append would make them, and the heads are saved in the same transaction as the
entries, so every commit leaves a ledger that verifies.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Connection, Table, func, insert
from sqlalchemy.dialects import postgresql, sqlite

from gatehouse.ledger import (
    CompactRange,
    ShardHead,
    ShardState,
    format_at,
    make_entry,
    payload_text,
    shard_for,
)
from gatehouse.services.ledger_append import LEDGER_SHARDS, check_lengths
from gatehouse.store.db import UTCDateTime
from gatehouse.store.ledger import LedgerRepository
from gatehouse.store.ledger_heads import ENTRY_COLUMNS
from gatehouse.store.ledger_rows import insert_entries
from gatehouse.store.ledger_tables import ledger_entries, ledger_shards
from gatehouse.store.schema import metadata
from gatehouse.store.summary_tables import (
    DECISION_SLOTS,
    decision_counts,
    transfer_totals,
    view_windows,
)

__all__ = [
    "BulkRows",
    "Row",
    "ShardBook",
    "add_decisions",
    "add_totals",
    "add_windows",
    "decision_key",
    "write_rows",
]

Row = tuple[Any, ...]

# An entry row's columns, in the order the ledger's own writes use.
_LEDGER_COLUMNS = ENTRY_COLUMNS


class BulkRows:
    """Rows gathered per table for one transaction, in the order they must be written."""

    def __init__(self) -> None:
        self.tables: dict[Table, tuple[Sequence[str], list[Row]]] = {}

    def add(self, table: Table, columns: Sequence[str], row: Row) -> None:
        """Queue one row of ``table``; every row of a table names the same columns."""
        held = self.tables.get(table)
        if held is None:
            held = self.tables[table] = (columns, [])
        held[1].append(row)

    def count(self, table: Table) -> int:
        """How many rows of ``table`` are queued."""
        held = self.tables.get(table)
        return 0 if held is None else len(held[1])


class ShardBook:
    """The ledger's shard heads while generating: entries are made in memory, and the states
    written once per transaction, with the entries.

    Each entry is :func:`gatehouse.ledger.make_entry` at its shard's next position, and each
    shard's Merkle frontier grows by its leaf, as :func:`gatehouse.ledger.append_entry` does;
    the root is computed once per save instead of twice per entry.
    """

    def __init__(self, connection: Connection) -> None:
        repo = LedgerRepository(connection)
        self.count = repo.shard_count(LEDGER_SHARDS, create=True)
        stored = repo.state_bodies()
        self._trees: dict[int, CompactRange] = {}
        self._heads: dict[int, str] = {}
        for shard in range(self.count):
            state = (
                ShardState.from_dict(stored[shard]) if shard in stored else ShardState.empty(shard)
            )
            self._trees[shard] = CompactRange(state.head.size, state.frontier)
            self._heads[shard] = state.head.head_hash
        self._stored = set(stored)
        self._touched: set[int] = set()

    def append(
        self,
        rows: BulkRows,
        kind: str,
        at: datetime,
        subject_id: str | None,
        recipient_id: str | None,
        payload: Mapping[str, Any],
    ) -> None:
        """Append one entry to its subject's shard and queue its row."""
        check_lengths(kind, subject_id, recipient_id)
        shard = shard_for(subject_id, self.count)
        tree = self._trees[shard]
        entry = make_entry(
            shard, tree.size, kind, at, subject_id, recipient_id, payload, self._heads[shard]
        )
        tree.append(bytes.fromhex(entry.entry_hash))
        self._heads[shard] = entry.entry_hash
        self._touched.add(shard)
        rows.add(
            ledger_entries,
            _LEDGER_COLUMNS,
            (
                entry.shard,
                entry.seq,
                entry.kind,
                format_at(entry.at),
                entry.subject_id,
                entry.recipient_id,
                # As the ledger stores it: the payload's canonical text, hashed bytes and all.
                payload_text(entry.payload),
                entry.prev_hash,
                entry.entry_hash,
            ),
        )

    def state(self, shard: int) -> ShardState:
        """The shard's state as an append would have left it."""
        tree = self._trees[shard]
        head = ShardHead(
            shard=shard, size=tree.size, root=tree.root().hex(), head_hash=self._heads[shard]
        )
        return ShardState(head=head, frontier=tree.hashes)

    def save(self, connection: Connection, at: datetime) -> None:
        """Write the heads of the shards appended to since the last save."""
        repo = LedgerRepository(connection)
        for shard in sorted(self._touched):
            state = self.state(shard)
            if shard not in self._stored:
                connection.execute(
                    insert(ledger_shards).values(shard=shard, state=state.to_dict(), updated_at=at)
                )
                self._stored.add(shard)
            else:
                repo.save_state(state, at)
        self._touched.clear()


def _naive(value: datetime | None) -> datetime | None:
    # The timestamp columns hold naive UTC (see UTCDateTime); COPY bypasses that conversion.
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _converters(table: Table, columns: Sequence[str]) -> list[tuple[int, Callable[[Any], Any]]]:
    """What COPY needs done to each column the type would have done on a bound parameter."""
    found: list[tuple[int, Callable[[Any], Any]]] = []
    for position, name in enumerate(columns):
        kind = table.c[name].type
        if isinstance(kind, UTCDateTime):
            found.append((position, _naive))
        # The ledger's payloads are queued as their canonical JSON text already.
        elif isinstance(kind, JSON) and table is not ledger_entries:
            found.append((position, _json))
    return found


def write_rows(connection: Connection, rows: BulkRows) -> None:
    """Write every queued row in the caller's transaction, parents before children."""
    postgres = connection.dialect.name == "postgresql"
    for table in metadata.sorted_tables:
        columns, values = rows.tables.get(table, ((), []))
        if not values:
            continue
        if postgres:
            _copy(connection, table, columns, values)
        elif table is ledger_entries:
            insert_entries(connection, [dict(zip(columns, row, strict=True)) for row in values])
        else:
            connection.execute(
                insert(table), [dict(zip(columns, row, strict=True)) for row in values]
            )
    rows.tables.clear()


def _copy(connection: Connection, table: Table, columns: Sequence[str], values: list[Row]) -> None:
    # COPY goes through the driver's own connection, inside the caller's transaction.
    raw = connection.connection.driver_connection
    assert raw is not None
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    converters = _converters(table, columns)
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in values:
            values_out = list(row)
            for position, convert in converters:
                values_out[position] = convert(values_out[position])
            copy.write_row(values_out)


def _insert(connection: Connection, table: Table) -> Any:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _greatest(connection: Connection, a: Any, b: Any) -> Any:
    # SQLite's two-argument max() is its greatest().
    return func.greatest(a, b) if connection.dialect.name == "postgresql" else func.max(a, b)


def add_totals(connection: Connection, groups: Mapping[Row, tuple[int, datetime]]) -> None:
    """Add counted allowed transfers to ``transfer_totals``: one upsert per group.

    A group is (subject, recipient, country, purpose, basis, items text), as
    :func:`gatehouse.store.transfer_totals.total_key` keys it.
    """
    if not groups:
        return
    statement = _insert(connection, transfer_totals)
    upsert = statement.on_conflict_do_update(
        index_elements=[c.name for c in transfer_totals.primary_key.columns],
        set_={
            "transfers": transfer_totals.c.transfers + statement.excluded.transfers,
            "last_at": _greatest(connection, transfer_totals.c.last_at, statement.excluded.last_at),
        },
    )
    keys = ("subject_id", "recipient_id", "country", "purpose", "basis", "items")
    connection.execute(
        upsert,
        [
            {**dict(zip(keys, key, strict=True)), "transfers": count, "last_at": last}
            for key, (count, last) in groups.items()
        ],
    )


def decision_key(
    subject_id: str, allowed: bool, country: str | None, refusal: str | None
) -> tuple[bool, str, str, int]:
    """The row of ``decision_counts`` a decision adds to, as
    :func:`gatehouse.store.transfer_totals.count_decisions` keys it."""
    return allowed, country or "", refusal or "", shard_for(subject_id, DECISION_SLOTS)


def add_decisions(connection: Connection, counts: Mapping[tuple[bool, str, str, int], int]) -> None:
    """Add counted decisions to the console's ``decision_counts``: one upsert per row."""
    if not counts:
        return
    statement = _insert(connection, decision_counts)
    upsert = statement.on_conflict_do_update(
        index_elements=[c.name for c in decision_counts.primary_key.columns],
        set_={"decisions": decision_counts.c.decisions + statement.excluded.decisions},
    )
    keys = ("allowed", "country", "refusal", "slot")
    connection.execute(
        upsert,
        [{**dict(zip(keys, key, strict=True)), "decisions": n} for key, n in counts.items()],
    )


def add_windows(connection: Connection, windows: Mapping[tuple[str, str], datetime]) -> None:
    """Widen ``view_windows`` to each (subject, recipient)'s latest open-until moment."""
    if not windows:
        return
    statement = _insert(connection, view_windows)
    upsert = statement.on_conflict_do_update(
        index_elements=["subject_id", "recipient_id"],
        set_={"until": _greatest(connection, view_windows.c.until, statement.excluded.until)},
    )
    connection.execute(
        upsert,
        [
            {"subject_id": subject, "recipient_id": recipient, "until": until}
            for (subject, recipient), until in windows.items()
        ],
    )
