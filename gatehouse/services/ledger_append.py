"""Appending to the ledger inside a caller's transaction.

Use cases append through their unit of work's ``uow.ledger``; on SQL that is
:class:`gatehouse.services.sql_unit_of_work.SqlLedger`, which calls :func:`append` on the unit
of work's connection, so an entry commits or rolls back with the decision it records. It
opens no transaction of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from gatehouse.ledger import LedgerEntry, ShardState, append_entry, shard_for
from gatehouse.store.ledger import LedgerRepository
from gatehouse.store.ledger_tables import ID_LENGTH, KIND_LENGTH

__all__ = ["LEDGER_SHARDS", "ShardGroup", "append", "check_lengths"]

LEDGER_SHARDS = 16
"""Shards of a new ledger. A ledger keeps the count it was created with (see ``ledger_meta``)."""


def append(
    connection: Connection,
    *,
    kind: str,
    at: datetime,
    subject_id: str | None,
    recipient_id: str | None,
    payload: Mapping[str, Any],
) -> LedgerEntry:
    """Append an entry in the caller's transaction on ``connection`` and return it.

    The subject's shard stays locked until that transaction ends, so keep it short, and when
    one transaction appends for several subjects, append in a stable order (for example sorted
    by subject id) so two such transactions cannot deadlock on each other's shards.
    ``payload`` holds identifiers and facts only, never PII; a value that could not be stored
    and reloaded exactly (a float, bytes, a naive ``at``) raises ValueError.
    """
    check_lengths(kind, subject_id, recipient_id)
    repo = LedgerRepository(connection)
    shard = shard_for(subject_id, repo.shard_count(LEDGER_SHARDS, create=True))
    state = repo.lock_shard(shard, at)
    entry, new_state = append_entry(state, kind, at, subject_id, recipient_id, payload)
    repo.add_entry(entry)
    repo.save_state(new_state, at)
    return entry


class ShardGroup:
    """Shards locked once for many appends: each append moves the head in memory, and
    :meth:`save` writes each shard's head once, at the end, in the same transaction.

    The shards named up front are locked in ascending order, so two groups on overlapping
    shards queue rather than deadlock; a shard first met in an append is locked then.
    """

    def __init__(self, repo: LedgerRepository, subject_ids: Iterable[str | None], at: datetime):
        self._repo = repo
        self._count = repo.shard_count(LEDGER_SHARDS, create=True)
        self._states: dict[int, tuple[ShardState, datetime]] = {}
        for shard in sorted({shard_for(s, self._count) for s in subject_ids}):
            self._states[shard] = (repo.lock_shard(shard, at), at)

    def append(
        self,
        *,
        kind: str,
        at: datetime,
        subject_id: str | None,
        recipient_id: str | None,
        payload: Mapping[str, Any],
    ) -> LedgerEntry:
        """Append an entry; its shard's head is saved by :meth:`save`."""
        check_lengths(kind, subject_id, recipient_id)
        shard = shard_for(subject_id, self._count)
        held = self._states.get(shard)
        state = held[0] if held else self._repo.lock_shard(shard, at)
        entry, new_state = append_entry(state, kind, at, subject_id, recipient_id, payload)
        self._repo.add_entry(entry)
        self._states[shard] = (new_state, at)
        return entry

    def save(self) -> None:
        """Write each shard's head once."""
        for state, at in self._states.values():
            self._repo.save_state(state, at)
        self._states.clear()


def check_lengths(kind: str, subject_id: str | None, recipient_id: str | None) -> None:
    """Refuse over-long ids before anything is locked."""
    # PostgreSQL would refuse an over-long value and SQLite would keep it; checking here makes
    # both backends behave alike, before anything is locked.
    for name, value, limit in (
        ("kind", kind, KIND_LENGTH),
        ("subject_id", subject_id, ID_LENGTH),
        ("recipient_id", recipient_id, ID_LENGTH),
    ):
        if isinstance(value, str) and len(value) > limit:
            raise ValueError(f"ledger {name} is longer than {limit} characters")
