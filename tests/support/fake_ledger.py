"""The in-memory ledger: the real pure ledger code (hash chains, Merkle frontiers, 16 shards by
subject) appending into plain tables, so proofs and checkpoints built over it verify."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from gatehouse.domain.suspension_spans import SUSPENSION_KINDS
from gatehouse.ledger import Checkpoint, LedgerEntry, ShardState, append_entry, shard_for
from gatehouse.services.ledger_append import LEDGER_SHARDS
from gatehouse.services.ports import DuplicateKey
from gatehouse.store.ledger_tables import ID_LENGTH, KIND_LENGTH
from tests.support.fake_tables import FakeRepository

__all__ = ["FakeLedger"]


class FakeLedger(FakeRepository):
    @contextmanager
    def group(self, subject_ids: Iterable[str | None], at: datetime) -> Iterator[None]:
        # The fake keeps every head in memory already: a group changes nothing here.
        yield

    def append(
        self,
        *,
        kind: str,
        at: datetime,
        subject_id: str | None,
        recipient_id: str | None,
        payload: Mapping[str, Any],
    ) -> LedgerEntry:
        self._hook("append")
        for name, value, most in (
            ("kind", kind, KIND_LENGTH),
            ("subject_id", subject_id, ID_LENGTH),
            ("recipient_id", recipient_id, ID_LENGTH),
        ):
            if isinstance(value, str) and len(value) > most:
                raise ValueError(f"ledger {name} is longer than {most} characters")
        shard = shard_for(subject_id, self.shard_count(LEDGER_SHARDS, create=True))
        state = self.t.shard_states.get(shard, ShardState.empty(shard))
        entry, new_state = append_entry(state, kind, at, subject_id, recipient_id, payload)
        # Kept as a reload from storage would return it: payload as plain JSON values.
        self.t.entries[(entry.shard, entry.seq)] = LedgerEntry.from_dict(entry.to_dict())
        self.t.shard_states[shard] = new_state
        return entry

    def find(
        self,
        *,
        kind: str | None = None,
        subject_id: str | None = None,
        recipient_id: str | None = None,
        after: tuple[int, int] | None = None,
        limit: int | None = None,
    ) -> list[LedgerEntry]:
        found = [
            e
            for position, e in sorted(self.t.entries.items())
            if (kind is None or e.kind == kind)
            and (subject_id is None or e.subject_id == subject_id)
            and (recipient_id is None or e.recipient_id == recipient_id)
            and (after is None or position > after)
        ]
        return found if limit is None else found[:limit]

    def get_entry(self, shard: int, seq: int) -> LedgerEntry | None:
        return self.t.entries.get((shard, seq))

    def latest_checkpoint(self) -> Checkpoint | None:
        return self.t.checkpoints[-1] if self.t.checkpoints else None

    def stream_hashes(self, shard: int, stop: int) -> Iterator[tuple[int, str]]:
        for (s, seq), entry in sorted(self.t.entries.items()):
            if s == shard and seq < stop:
                yield seq, entry.entry_hash

    def distinct_transfers(self, *, kind: str, recipient_id: str, since: datetime) -> int:
        return len(
            {
                e.payload.get("transfer_id")
                for e in self.t.entries.values()
                if e.kind == kind and e.recipient_id == recipient_id and e.at >= since
            }
        )

    def shard_count(self, default: int, *, create: bool) -> int:
        if self.t.shard_count is None:
            if not create:
                return default
            self.t.shard_count = default
        return self.t.shard_count

    def state_bodies(self) -> dict[int, Any]:
        return {shard: state.to_dict() for shard, state in self.t.shard_states.items()}

    def shards_with_entries(self) -> list[int]:
        return sorted({shard for shard, _ in self.t.entries})

    def stream_shard(self, shard: int, *, batch: int = 1000) -> Iterator[LedgerEntry]:
        for (s, _), entry in sorted(self.t.entries.items()):
            if s == shard:
                yield entry

    def stream_window(
        self, shard: int, start: datetime, end: datetime, *, batch: int = 5000
    ) -> Iterator[LedgerEntry]:
        for entry in self.stream_shard(shard):
            if start <= entry.at < end:
                yield entry

    def window_seqs(self, shard: int, start: datetime, end: datetime) -> tuple[int, int] | None:
        seqs = [e.seq for e in self.stream_shard(shard) if start <= e.at < end]
        return (min(seqs), max(seqs)) if seqs else None

    def stamped_around(
        self, shard: int, start: datetime, end: datetime
    ) -> tuple[int | None, int | None]:
        entries = list(self.stream_shard(shard))
        before = max(((e.at, e.seq) for e in entries if e.at < start), default=None)
        after = min(((e.at, e.seq) for e in entries if e.at >= end), default=None)
        return (None if before is None else before[1], None if after is None else after[1])

    def stream_range(
        self, shard: int, first: int, last: int, *, batch: int = 5000
    ) -> Iterator[LedgerEntry]:
        for entry in self.stream_shard(shard):
            if first <= entry.seq <= last:
                yield entry

    def suspensions(self) -> list[LedgerEntry]:
        return [e for _, e in sorted(self.t.entries.items()) if e.kind in SUSPENSION_KINDS]

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        self._hook("add_checkpoint")
        if any(c.sequence == checkpoint.sequence for c in self.t.checkpoints):
            raise DuplicateKey(f"checkpoint #{checkpoint.sequence} exists")
        self.t.checkpoints.append(checkpoint)

    def checkpoint_bodies(self) -> list[tuple[int, Any]]:
        return [(c.sequence, c.to_dict()) for c in sorted(self.t.checkpoints, key=_sequence)]


def _sequence(checkpoint: Checkpoint) -> int:
    return checkpoint.sequence
