"""Ledger rows: entries, shard states, checkpoints and ledger facts, on a caller's connection.

The repository knows rows and locks; hashing, chaining and signing stay in ``gatehouse.ledger``.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from gatehouse.ledger import (
    Checkpoint,
    LedgerEntry,
    ShardState,
    format_at,
)
from gatehouse.store.audit_days import KeptDayRepository
from gatehouse.store.ledger_positions import PositionReads
from gatehouse.store.ledger_rows import entry_row, insert_entries, to_entry
from gatehouse.store.ledger_subtrees import SubtreeRepository
from gatehouse.store.ledger_tables import (
    SUSPENSIONS,
    ledger_checkpoints,
    ledger_entries,
    ledger_meta,
    ledger_shards,
)

__all__ = ["LedgerRepository", "consistent_read", "SHARD_COUNT_KEY"]

SHARD_COUNT_KEY = "shard_count"

# The shard count never changes once stored, so each process reads it once per database.
_shard_counts: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()


def _insert_if_absent(connection: Connection, table: Table, values: dict[str, Any]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: concurrent creators all succeed, one row results."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(postgresql.insert(table).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        connection.execute(sqlite.insert(table).values(values).on_conflict_do_nothing())
    else:
        raise NotImplementedError(f"the ledger does not support the {dialect} dialect")


# Built once: the hot path runs it on every append.
_LOCK_SHARD = (
    update(ledger_shards)
    .where(ledger_shards.c.shard == bindparam("lock_shard"))
    .values(updated_at=bindparam("lock_at"))
    .returning(ledger_shards.c.state)
)


# Built once and given its values at execution, so no append rebuilds or re-keys it.
_SAVE_STATE = update(ledger_shards).where(ledger_shards.c.shard == bindparam("save_shard"))


@contextmanager
def consistent_read(engine: Engine) -> Iterator[Connection]:
    """Yield a read-only connection whose statements all see one snapshot of the database.

    The verifier compares entries with heads and checkpoints read moments earlier; without
    one snapshot, an append committed in between would look like tampering.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # pysqlite only opens a transaction at the first write, so every SELECT would get
            # its own snapshot; an explicit BEGIN makes WAL hold one read snapshot for all.
            connection.exec_driver_sql("BEGIN")
        else:
            connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            connection.begin()
        try:
            yield connection
        finally:
            connection.rollback()


_NEXT_SHARDS = text(
    "WITH RECURSIVE found(shard) AS ("
    " SELECT min(shard) FROM ledger_entries"
    " UNION ALL"
    " SELECT (SELECT min(e.shard) FROM ledger_entries e WHERE e.shard > found.shard)"
    " FROM found WHERE found.shard IS NOT NULL"
    ") SELECT shard FROM found WHERE shard IS NOT NULL ORDER BY shard"
)


class LedgerRepository(PositionReads):
    """Reads and writes ledger rows on the caller's connection (and so in its transaction)."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    @property
    def subtrees(self) -> SubtreeRepository:
        """The shards' stored subtree roots, on the same connection."""
        return SubtreeRepository(self._c)

    @property
    def kept_days(self) -> KeptDayRepository:
        """The audit's kept days, on the same connection."""
        return KeptDayRepository(self._c)

    # -- ledger facts -------------------------------------------------------------------

    def shard_count(self, default: int, *, create: bool) -> int:
        """The ledger's shard count; the first writer stores ``default`` when ``create``."""
        engine = self._c.engine
        cached = _shard_counts.get(engine)
        if cached is not None:
            return cached
        stored = self._meta(SHARD_COUNT_KEY)
        if stored is not None:
            _shard_counts[engine] = int(stored)
            return int(stored)
        if not create:
            return default
        _insert_if_absent(self._c, ledger_meta, {"key": SHARD_COUNT_KEY, "value": str(default)})
        # Not cached: this transaction may still roll back; the next call reads it again.
        stored = self._meta(SHARD_COUNT_KEY)
        return default if stored is None else int(stored)

    def _meta(self, key: str) -> str | None:
        row = self._c.execute(select(ledger_meta.c.value).where(ledger_meta.c.key == key)).first()
        return None if row is None else str(row.value)

    # -- shard states -------------------------------------------------------------------

    def lock_shard(self, shard: int, at: datetime) -> ShardState:
        """Lock the shard's state row for this transaction, creating it if missing.

        One statement in the common case: an UPDATE that returns the state takes the row's
        lock on PostgreSQL and the database's write lock on SQLite before the state is read,
        so no other writer can append to the shard in between.
        """
        row = self._c.execute(_LOCK_SHARD, {"lock_shard": shard, "lock_at": at}).first()
        if row is None:
            # Two first appenders may race here; one inserts, the other's insert does nothing,
            # and both then queue on the same row lock.
            empty = {"shard": shard, "state": ShardState.empty(shard).to_dict(), "updated_at": at}
            _insert_if_absent(self._c, ledger_shards, empty)
            row = self._c.execute(_LOCK_SHARD, {"lock_shard": shard, "lock_at": at}).first()
        if row is None:
            raise RuntimeError(f"ledger shard {shard} could not be created")
        return ShardState.from_dict(row.state)

    def save_state(self, state: ShardState, at: datetime) -> None:
        """Store a shard's new state; the caller holds its lock from :meth:`lock_shard`."""
        self._c.execute(
            _SAVE_STATE,
            {"save_shard": state.head.shard, "state": state.to_dict(), "updated_at": at},
        )

    def state_bodies(self) -> dict[int, Any]:
        """Every stored shard state, unparsed (``ShardState.to_dict()`` form), in one statement."""
        rows = self._c.execute(select(ledger_shards.c.shard, ledger_shards.c.state))
        return {row.shard: row.state for row in rows}

    # -- entries ------------------------------------------------------------------------

    def add_entry(self, entry: LedgerEntry) -> None:
        """Insert one entry exactly as it was hashed."""
        insert_entries(self._c, [entry_row(entry)])

    def shards_with_entries(self) -> list[int]:
        """Every shard number that holds at least one entry, including out-of-range ones."""
        # One index probe a shard, where a DISTINCT would read every entry's key.
        return [row.shard for row in self._c.execute(_NEXT_SHARDS)]

    def _stream(self, batch: int, after: int, *where: Any) -> Iterator[LedgerEntry]:
        """Entries meeting ``where`` with ``seq > after``, in ``seq`` order, ``batch`` at a time."""
        e = ledger_entries.c
        while True:
            query = select(ledger_entries).where(*where, e.seq > after).order_by(e.seq)
            rows = self._c.execute(query.limit(batch)).all()
            yield from map(to_entry, rows)
            if len(rows) < batch:
                return
            after = rows[-1].seq

    def stream_shard(self, shard: int, *, batch: int = 1000) -> Iterator[LedgerEntry]:
        """A shard's entries in ``seq`` order, fetched ``batch`` rows at a time."""
        return self._stream(batch, -1, ledger_entries.c.shard == shard)

    def window_seqs(self, shard: int, start: datetime, end: datetime) -> tuple[int, int] | None:
        """Lowest and highest ``seq`` stamped in ``[start, end)`` (by the (shard, at) index)."""
        e = ledger_entries.c
        in_window = (e.shard == shard, e.at >= format_at(start), e.at < format_at(end))
        query = select(func.min(e.seq), func.max(e.seq)).where(*in_window)
        first, last = self._c.execute(query).one()
        return None if first is None else (int(first), int(last))

    def stamped_around(
        self, shard: int, start: datetime, end: datetime
    ) -> tuple[int | None, int | None]:
        """The seq of the entry stamped last before ``start`` and of the one stamped first
        at or after ``end`` (None where there is none), each one step of the (shard, at)
        index."""
        e = ledger_entries.c
        before = (
            select(e.seq)
            .where(e.shard == shard, e.at < format_at(start))
            .order_by(e.at.desc(), e.seq.desc())
            .limit(1)
        )
        after = (
            select(e.seq)
            .where(e.shard == shard, e.at >= format_at(end))
            .order_by(e.at, e.seq)
            .limit(1)
        )
        return self._c.execute(before).scalar(), self._c.execute(after).scalar()

    def stream_window(
        self, shard: int, start: datetime, end: datetime, *, batch: int = 5000
    ) -> Iterator[LedgerEntry]:
        """A shard's entries stamped in ``[start, end)``, in ``seq`` order.

        :meth:`window_seqs` gives the window's first and last positions; only the entries
        between them are read, each still tested by time (hosts' clocks disagree at the edges).
        """
        bounds = self.window_seqs(shard, start, end)
        if bounds is None:
            return iter(())
        e = ledger_entries.c
        low, high = format_at(start), format_at(end)
        where = (e.shard == shard, e.at >= low, e.at < high, e.seq <= bounds[1])
        return self._stream(batch, bounds[0] - 1, *where)

    def stream_range(
        self, shard: int, first: int, last: int, *, batch: int = 5000
    ) -> Iterator[LedgerEntry]:
        """Every entry of the shard with ``first <= seq <= last``, whenever it was stamped."""
        e = ledger_entries.c
        return self._stream(batch, first - 1, e.shard == shard, e.seq <= last)

    def suspensions(self) -> list[LedgerEntry]:
        """Every suspension and resumption entry, in (shard, seq) order, on their own index."""
        rows = self._c.execute(
            select(ledger_entries)
            .where(SUSPENSIONS)
            .order_by(ledger_entries.c.shard, ledger_entries.c.seq)
        )
        return [to_entry(row) for row in rows]

    def find(
        self,
        *,
        kind: str | None = None,
        subject_id: str | None = None,
        recipient_id: str | None = None,
        after: tuple[int, int] | None = None,
        limit: int | None = None,
    ) -> list[LedgerEntry]:
        """Entries matching every filter given, in (shard, seq) order, after a position."""
        query = select(ledger_entries)
        if kind is not None:
            query = query.where(ledger_entries.c.kind == kind)
        if subject_id is not None:
            query = query.where(ledger_entries.c.subject_id == subject_id)
        if recipient_id is not None:
            query = query.where(ledger_entries.c.recipient_id == recipient_id)
        if after is not None:
            shard, seq = after
            # Spelled out rather than a row-value comparison, which not every engine plans well.
            query = query.where(
                or_(
                    ledger_entries.c.shard > shard,
                    and_(ledger_entries.c.shard == shard, ledger_entries.c.seq > seq),
                )
            )
        query = query.order_by(ledger_entries.c.shard, ledger_entries.c.seq)
        if limit is not None:
            query = query.limit(limit)
        return [to_entry(row) for row in self._c.execute(query)]

    def distinct_transfers(self, *, kind: str, recipient_id: str, since: datetime) -> int:
        """How many distinct ``transfer_id`` payloads the recipient's ``kind`` entries name,
        counting entries stamped at or after ``since``."""
        query = select(
            func.count(func.distinct(ledger_entries.c.payload["transfer_id"].as_string()))
        ).where(
            ledger_entries.c.recipient_id == recipient_id,
            ledger_entries.c.kind == kind,
            ledger_entries.c.at >= format_at(since),
        )
        return int(self._c.execute(query).scalar_one())

    # -- checkpoints --------------------------------------------------------------------

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        """Store a signed checkpoint; a taken sequence number raises IntegrityError."""
        self._c.execute(
            insert(ledger_checkpoints).values(
                sequence=checkpoint.sequence, at=checkpoint.at, body=checkpoint.to_dict()
            )
        )

    def latest_checkpoint(self) -> Checkpoint | None:
        """The checkpoint with the highest sequence number, or None."""
        row = self._c.execute(
            select(ledger_checkpoints.c.body)
            .order_by(ledger_checkpoints.c.sequence.desc())
            .limit(1)
        ).first()
        return None if row is None else Checkpoint.from_dict(row.body)

    def checkpoint_bodies(self) -> list[tuple[int, Any]]:
        """Every stored checkpoint as ``(sequence, body)``, oldest first, unparsed.

        The verifier parses them itself, so that a mangled body is reported, not raised.
        """
        rows = self._c.execute(
            select(ledger_checkpoints.c.sequence, ledger_checkpoints.c.body).order_by(
                ledger_checkpoints.c.sequence
            )
        )
        return [(row.sequence, row.body) for row in rows]

    def checkpoint_bodies_at(self, sequences: Iterable[int]) -> dict[int, Any]:
        """The stored checkpoints of ``sequences`` that exist, by sequence, unparsed."""
        wanted = sorted(set(sequences))
        if not wanted:
            return {}
        rows = self._c.execute(
            select(ledger_checkpoints.c.sequence, ledger_checkpoints.c.body).where(
                ledger_checkpoints.c.sequence.in_(wanted)
            )
        )
        return {row.sequence: row.body for row in rows}
