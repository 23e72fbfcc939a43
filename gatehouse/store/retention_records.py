"""The separate retention store's records: sealed under their own keys until their end date.

A destroyed record keeps only that it existed, under which hold, and when it went: its key
and ciphertext are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from gatehouse.store.erasure_tables import retention_records

__all__ = ["RetentionRecord", "RetentionRecordRepository"]


@dataclass(frozen=True)
class RetentionRecord:
    """A record kept from a deletion under one statutory hold; sealed until ``kept_until``.

    ``kek_id``, ``wrapped_key`` and ``ciphertext`` are None once it was destroyed.
    """

    id: str
    deletion_id: str
    hold: str
    statute: str
    fields: Sequence[str]
    kept_until: datetime
    kek_id: str | None
    wrapped_key: bytes | None
    ciphertext: bytes | None
    created_at: datetime
    destroyed_at: datetime | None = None


def _to_record(row: Row[Any]) -> RetentionRecord:
    return RetentionRecord(
        id=row.id,
        deletion_id=row.deletion_id,
        hold=row.hold,
        statute=row.statute,
        fields=list(row.fields),
        kept_until=row.kept_until,
        kek_id=row.kek_id,
        wrapped_key=row.wrapped_key,
        ciphertext=row.ciphertext,
        created_at=row.created_at,
        destroyed_at=row.destroyed_at,
    )


class RetentionRecordRepository:
    """Stores, lists and destroys retention records on one connection."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add_many(self, records: Sequence[RetentionRecord]) -> None:
        """Store sealed records, in one statement."""
        if not records:
            return
        self._c.execute(
            insert(retention_records),
            [
                {
                    "id": record.id,
                    "deletion_id": record.deletion_id,
                    "hold": record.hold,
                    "statute": record.statute,
                    "fields": list(record.fields),
                    "kept_until": record.kept_until,
                    "kek_id": record.kek_id,
                    "wrapped_key": record.wrapped_key,
                    "ciphertext": record.ciphertext,
                    "created_at": record.created_at,
                    "destroyed_at": record.destroyed_at,
                }
                for record in records
            ],
        )

    def for_deletion(self, deletion_id: str) -> list[RetentionRecord]:
        """The records kept from one deletion, by id."""
        rows = self._c.execute(
            select(retention_records)
            .where(retention_records.c.deletion_id == deletion_id)
            .order_by(retention_records.c.id)
        )
        return [_to_record(row) for row in rows]

    def due_for_destruction(self, now: datetime, limit: int = 500) -> list[RetentionRecord]:
        """Live records whose end date has passed, by id."""
        rows = self._c.execute(
            select(retention_records)
            .where(
                retention_records.c.destroyed_at.is_(None),
                retention_records.c.kept_until <= now,
            )
            .order_by(retention_records.c.id)
            .limit(limit)
        )
        return [_to_record(row) for row in rows]

    def destroy(self, record_id: str, at: datetime) -> bool:
        """Drop the record's key and ciphertext; False when it was destroyed already."""
        result = self._c.execute(
            update(retention_records)
            .where(retention_records.c.id == record_id, retention_records.c.destroyed_at.is_(None))
            .values(destroyed_at=at, kek_id=None, wrapped_key=None, ciphertext=None)
        )
        return result.rowcount == 1
