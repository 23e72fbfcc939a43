"""Reads of one shard's ledger rows by position: runs of entries or of their hashes, and
single entries, as proofs, checkpoints and the verifier read them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import Connection, and_, func, or_, select

from gatehouse.ledger import LedgerEntry
from gatehouse.store.ledger_rows import to_entry
from gatehouse.store.ledger_tables import ledger_entries

__all__ = ["PositionReads"]


class PositionReads:
    """The position reads of :class:`gatehouse.store.ledger.LedgerRepository`, on its
    connection."""

    _c: Connection

    def entries_between(self, shard: int, low: int, high: int) -> list[LedgerEntry]:
        """The shard's entries with ``low <= seq < high``, in ``seq`` order."""
        rows = self._c.execute(
            select(ledger_entries)
            .where(
                ledger_entries.c.shard == shard,
                ledger_entries.c.seq >= low,
                ledger_entries.c.seq < high,
            )
            .order_by(ledger_entries.c.seq)
        )
        return [to_entry(row) for row in rows]

    def hashes_between(self, shard: int, low: int, high: int) -> list[tuple[int, str]]:
        """``(seq, entry_hash)`` of the shard's entries with ``low <= seq < high``, in order."""
        rows = self._c.execute(
            select(ledger_entries.c.seq, ledger_entries.c.entry_hash)
            .where(
                ledger_entries.c.shard == shard,
                ledger_entries.c.seq >= low,
                ledger_entries.c.seq < high,
            )
            .order_by(ledger_entries.c.seq)
        )
        return [(row.seq, row.entry_hash) for row in rows]

    def hashes_in(self, shard: int, ranges: Sequence[tuple[int, int]]) -> list[tuple[int, str]]:
        """``(seq, entry_hash)`` of the shard's entries in any ``[low, high)`` of ``ranges``,
        in order, in one query."""
        if not ranges:
            return []
        seq = ledger_entries.c.seq
        rows = self._c.execute(
            select(seq, ledger_entries.c.entry_hash)
            .where(
                ledger_entries.c.shard == shard,
                or_(*(and_(seq >= low, seq < high) for low, high in ranges)),
            )
            .order_by(seq)
        )
        return [(row.seq, row.entry_hash) for row in rows]

    def last_seq(self, shard: int) -> int:
        """The highest ``seq`` stored in the shard, or -1 when it holds no entry."""
        query = select(func.max(ledger_entries.c.seq)).where(ledger_entries.c.shard == shard)
        found = self._c.execute(query).scalar_one()
        return -1 if found is None else int(found)

    def get_entry(self, shard: int, seq: int) -> LedgerEntry | None:
        """One entry by position, or None."""
        row = self._c.execute(
            select(ledger_entries).where(
                ledger_entries.c.shard == shard, ledger_entries.c.seq == seq
            )
        ).first()
        return None if row is None else to_entry(row)

    def entries_at(self, shard: int, seqs: Sequence[int]) -> dict[int, LedgerEntry]:
        """The shard's entries at ``seqs``, by seq, in one query; absent ones are left out."""
        if not seqs:
            return {}
        rows = self._c.execute(
            select(ledger_entries).where(
                ledger_entries.c.shard == shard, ledger_entries.c.seq.in_(sorted(set(seqs)))
            )
        )
        return {row.seq: to_entry(row) for row in rows}

    def stream_hashes(
        self, shard: int, stop: int, *, batch: int = 5000
    ) -> Iterator[tuple[int, str]]:
        """``(seq, entry_hash)`` for the shard's entries below ``stop``, in ``seq`` order."""
        after = -1
        while True:
            rows = self._c.execute(
                select(ledger_entries.c.seq, ledger_entries.c.entry_hash)
                .where(
                    ledger_entries.c.shard == shard,
                    ledger_entries.c.seq > after,
                    ledger_entries.c.seq < stop,
                )
                .order_by(ledger_entries.c.seq)
                .limit(batch)
            ).all()
            for row in rows:
                yield row.seq, row.entry_hash
            if len(rows) < batch:
                return
            after = rows[-1].seq
