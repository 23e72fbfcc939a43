"""The ledger inside a unit of work's transaction: its rows, appends, and shard groups."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from gatehouse.ledger import LedgerEntry
from gatehouse.services import ledger_append
from gatehouse.store.ledger import LedgerRepository

__all__ = ["SqlLedger"]


class SqlLedger(LedgerRepository):
    """The ledger's rows, plus appending in the connection's transaction."""

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        self._connection = connection
        self._group: ledger_append.ShardGroup | None = None

    @contextmanager
    def group(self, subject_ids: Iterable[str | None], at: datetime) -> Iterator[None]:
        """Appends inside move each shard's head once (see :class:`ledger_append.ShardGroup`)."""
        if self._group is not None:
            raise RuntimeError("ledger groups do not nest")
        self._group = ledger_append.ShardGroup(self._connection, subject_ids, at)
        try:
            yield
            self._group.save()
        finally:
            self._group = None

    def append(
        self,
        *,
        kind: str,
        at: datetime,
        subject_id: str | None,
        recipient_id: str | None,
        payload: Mapping[str, Any],
    ) -> LedgerEntry:
        """Append an entry in this transaction (see :func:`ledger_append.append`)."""
        if self._group is not None:
            return self._group.append(
                kind=kind,
                at=at,
                subject_id=subject_id,
                recipient_id=recipient_id,
                payload=payload,
            )
        return ledger_append.append(
            self._connection,
            kind=kind,
            at=at,
            subject_id=subject_id,
            recipient_id=recipient_id,
            payload=payload,
        )
