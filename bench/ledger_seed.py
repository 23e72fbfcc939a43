"""Seeding a ledger in bulk: a marketplace's year of entries, valid as if appended one by one.

Appending a million entries through the use cases would time the gateway, not the audit, so
each entry of :class:`ledger_market.Market` is made by the ledger's own pure
:func:`gatehouse.ledger.append_entry` from its shard's state, exactly as an append would make
it, and the rows go into ``ledger_entries`` (as the repository writes them: the payload as its
canonical text) and ``ledger_shards`` with ``executemany`` in large transactions. The
notices the transfers cite go into ``notices``, so each resolves.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ledger_market import Event, Market
from sqlalchemy import Connection, insert, update

from gatehouse.ledger import ShardState, append_entry, shard_for
from gatehouse.services.ledger_append import LEDGER_SHARDS
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.ledger import LedgerRepository
from gatehouse.store.ledger_rows import entry_row, insert_entries
from gatehouse.store.ledger_tables import ledger_shards
from gatehouse.store.tables import notices

__all__ = ["BATCH", "Progress", "SeedSummary", "seed_ledger"]

# Rows per executemany.
BATCH = 100_000
# One transaction per this many entries: large, so that commits cost nothing, small enough
# that a batch of rows stays a few hundred megabytes at most.
COMMIT_EVERY = 250_000
Progress = Callable[[int, int], None]
"""Called as ``progress(entries_written, entries_to_write)``."""


@dataclass
class SeedSummary:
    """What was seeded: how many entries of each kind, over which window, in how long."""

    entries: int
    start: datetime
    end: datetime
    seconds: float
    by_kind: Counter[str] = field(default_factory=Counter)


def _times(rng: random.Random, count: int, start: datetime, end: datetime) -> list[datetime]:
    # Sorted, so every shard's chain runs forward in time; the power makes the later months
    # busier than the first, as a growing marketplace's are.
    span = (end - start).total_seconds()
    fractions = sorted(rng.random() ** 0.85 for _ in range(count))
    return [start + timedelta(seconds=span * f) for f in fractions]


def seed_ledger(
    gh: Gatehouse,
    count: int,
    start: datetime,
    end: datetime,
    *,
    subjects: int = 100_000,
    recipients: int = 1_200,
    seed: int = 28_08,
    progress: Progress | None = None,
) -> SeedSummary:
    """Append ``count`` marketplace entries stamped in ``[start, end)`` to an empty ledger."""
    began = time.perf_counter()
    rng = random.Random(seed)
    market = Market(rng, subjects, recipients)
    with gh.engine.begin() as c:
        shards = LedgerRepository(c).shard_count(LEDGER_SHARDS, create=True)
        c.execute(insert(notices), market.notice_rows(start))
    states = {shard: ShardState.empty(shard) for shard in range(shards)}
    summary = SeedSummary(count, start, end, 0.0)
    times = _times(rng, count, start, end)
    for lo in range(0, count, COMMIT_EVERY):
        hi = min(lo + COMMIT_EVERY, count)
        with gh.engine.begin() as c:
            for low in range(lo, hi, BATCH):
                batch = times[low : min(low + BATCH, hi)]
                rows = [_row(market.event(at), states, summary) for at in batch]
                insert_entries(c, rows)
                if progress is not None:
                    progress(low + len(rows), count)
            _save_states(c, states, end, first=lo == 0)
    written = sum(state.head.size for state in states.values())
    if written != count:
        raise RuntimeError(f"seeded {written} entries instead of {count}")
    summary.seconds = time.perf_counter() - began
    return summary


def _row(event: Event, states: dict[int, ShardState], summary: SeedSummary) -> dict[str, Any]:
    """Append ``event`` to its subject's shard state; return the entry's row as stored."""
    kind, at, subject, recipient, payload = event
    summary.by_kind[kind] += 1
    shard = shard_for(subject, len(states))
    entry, states[shard] = append_entry(states[shard], kind, at, subject, recipient, payload)
    return entry_row(entry)


def _save_states(
    c: Connection, states: dict[int, ShardState], at: datetime, *, first: bool
) -> None:
    # Written in each transaction with its entries, so every commit leaves a valid ledger.
    rows = [{"shard": s, "state": state.to_dict(), "updated_at": at} for s, state in states.items()]
    if first:
        c.execute(insert(ledger_shards), rows)
        return
    for row in rows:
        c.execute(
            update(ledger_shards)
            .where(ledger_shards.c.shard == row["shard"])
            .values(state=row["state"], updated_at=at)
        )
