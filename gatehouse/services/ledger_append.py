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

from gatehouse.ledger import (
    CompactRange,
    LedgerEntry,
    ShardHead,
    ShardState,
    append_entry,
    format_at,
    shard_for,
)
from gatehouse.ledger.flat_entry import make_flat_entry
from gatehouse.store.driver_rows import DriverRow
from gatehouse.store.ledger import LedgerRepository
from gatehouse.store.ledger_heads import add_entries, lock_states, save_states
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


class _Shard:
    """One locked shard's head while a group appends to it: its tree's right edge and the
    hash of its last entry, moved in memory."""

    __slots__ = ("number", "tree", "head_hash")

    def __init__(self, state: ShardState) -> None:
        head = state.head
        tree = CompactRange(head.size, state.frontier)
        if tree.root().hex() != head.root:
            # As append_entry refuses: a corrupt state row stops appends, never forks a tree.
            raise ValueError(f"shard {head.shard} state is inconsistent: frontier and root differ")
        self.number, self.tree, self.head_hash = head.shard, tree, head.head_hash

    def state(self) -> ShardState:
        tree = self.tree
        head = ShardHead(
            shard=self.number, size=tree.size, root=tree.root().hex(), head_hash=self.head_hash
        )
        return ShardState(head=head, frontier=tree.hashes)


class ShardGroup:
    """Shards locked once for many appends: each append moves its shard's head in memory and
    queues its row, and :meth:`save` writes the entries in one statement and the heads in
    another, at the end, in the same transaction.

    The shards named up front are locked in one statement, in ascending order, so two groups
    on overlapping shards queue rather than deadlock; a shard first met in an append is
    locked then. Each entry is exactly what :func:`append` would have written.
    """

    def __init__(self, connection: Connection, subject_ids: Iterable[str | None], at: datetime):
        self._connection = connection
        self._count = LedgerRepository(connection).shard_count(LEDGER_SHARDS, create=True)
        self._rows: list[DriverRow] = []
        self._shards: dict[int, _Shard] = {}
        self._stamps: dict[datetime, str] = {}
        self._at = at
        self._lock({shard_for(s, self._count) for s in subject_ids}, at)

    def _lock(self, shards: set[int], at: datetime) -> None:
        for shard, state in lock_states(self._connection, shards, at).items():
            self._shards[shard] = _Shard(state)

    def append(
        self,
        *,
        kind: str,
        at: datetime,
        subject_id: str | None,
        recipient_id: str | None,
        payload: Mapping[str, Any],
    ) -> LedgerEntry:
        """Append an entry; it is written, and its shard's head saved, by :meth:`save`."""
        check_lengths(kind, subject_id, recipient_id)
        number = shard_for(subject_id, self._count)
        shard = self._shards.get(number)
        if shard is None:
            self._lock({number}, at)
            shard = self._shards[number]
        at_text = self._stamps.get(at)
        if at_text is None:
            at_text = self._stamps[at] = format_at(at)
        entry, text = make_flat_entry(
            number,
            shard.tree.size,
            kind,
            at,
            at_text,
            subject_id,
            recipient_id,
            payload,
            shard.head_hash,
        )
        shard.tree.append(bytes.fromhex(entry.entry_hash))
        shard.head_hash = entry.entry_hash
        self._rows.append(
            (
                number,
                entry.seq,
                entry.kind,
                at_text,
                entry.subject_id,
                entry.recipient_id,
                text,
                entry.prev_hash,
                entry.entry_hash,
            )
        )
        self._at = max(self._at, at)
        return entry

    def save(self) -> None:
        """Write the queued entries, then each shard's head once."""
        add_entries(self._connection, self._rows)
        save_states(self._connection, [shard.state() for shard in self._shards.values()], self._at)
        self._rows = []
        self._shards.clear()


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
