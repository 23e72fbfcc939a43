"""Appending to the ledger inside a caller's transaction.

Use cases append through their unit of work's ``uow.ledger``; on SQL that is
:class:`gatehouse.services.sql_unit_of_work.SqlLedger`, which calls :func:`append` on the unit
of work's connection, so an entry commits or rolls back with the decision it records. It
opens no transaction of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from gatehouse.ledger import LedgerEntry, append_entry, shard_for
from gatehouse.store.ledger import LedgerRepository
from gatehouse.store.ledger_tables import ID_LENGTH, KIND_LENGTH

__all__ = ["LEDGER_SHARDS", "append"]

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
    _check_lengths(kind, subject_id, recipient_id)
    repo = LedgerRepository(connection)
    shard = shard_for(subject_id, repo.shard_count(LEDGER_SHARDS, create=True))
    state = repo.lock_shard(shard, at)
    entry, new_state = append_entry(state, kind, at, subject_id, recipient_id, payload)
    repo.add_entry(entry)
    repo.save_state(new_state, at)
    return entry


def _check_lengths(kind: str, subject_id: str | None, recipient_id: str | None) -> None:
    # PostgreSQL would refuse an over-long value and SQLite would keep it; checking here makes
    # both backends behave alike, before anything is locked.
    for name, value, limit in (
        ("kind", kind, KIND_LENGTH),
        ("subject_id", subject_id, ID_LENGTH),
        ("recipient_id", recipient_id, ID_LENGTH),
    ):
        if isinstance(value, str) and len(value) > limit:
            raise ValueError(f"ledger {name} is longer than {limit} characters")
