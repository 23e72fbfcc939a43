"""Records of the ledger's archive files (``ledger_archives``), and the entry rows an archive
moves out of ``ledger_entries``, on a caller's connection (and so in its transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from gatehouse.store.ledger_tables import ledger_archives, ledger_entries

__all__ = ["ArchiveRepository"]

_archives = ledger_archives.c
_entries = ledger_entries.c
_RECORD = (
    _archives.shard,
    _archives.first_seq,
    _archives.last_seq,
    _archives.file_name,
    _archives.sha256,
    _archives.row_count,
    _archives.root,
    _archives.last_hash,
)


class ArchiveRepository:
    """Reads and writes archive records, and deletes the rows they replace."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def records(self, shard: int | None = None) -> list[Sequence[Any]]:
        """Every record (of one shard when given) as ``(shard, first, last, file_name,
        sha256, rows, root, last_hash)``, by shard then first entry, unparsed: the verifier
        reports a mangled record rather than raising here."""
        query = select(*_RECORD).order_by(_archives.shard, _archives.first_seq)
        if shard is not None:
            query = query.where(_archives.shard == shard)
        return [tuple(row) for row in self._c.execute(query)]

    def add(self, record: dict[str, Any], at: datetime) -> None:
        """Store one record (``ArchiveRecord.to_row()``); a taken range raises IntegrityError."""
        self._c.execute(insert(ledger_archives).values(**record, archived_at=at))

    def first_hot(self, shard: int) -> int | None:
        """The lowest ``seq`` the shard still holds in ``ledger_entries``, or None."""
        found = self._c.execute(
            select(func.min(_entries.seq)).where(_entries.shard == shard)
        ).scalar_one()
        return None if found is None else int(found)

    def first_stamped_from(self, shard: int, at_text: str) -> int | None:
        """The lowest ``seq`` of the shard's hot entries stamped at or after ``at_text`` (the
        ledger's own time text, which sorts as time does), or None."""
        found = self._c.execute(
            select(func.min(_entries.seq)).where(_entries.shard == shard, _entries.at >= at_text)
        ).scalar_one()
        return None if found is None else int(found)

    def delete_entries(self, shard: int, low: int, high: int) -> int:
        """Delete the shard's hot entries with ``low <= seq < high``; returns how many."""
        result = self._c.execute(
            delete(ledger_entries).where(
                _entries.shard == shard, _entries.seq >= low, _entries.seq < high
            )
        )
        return int(result.rowcount)
