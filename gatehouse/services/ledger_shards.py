"""Scanning the stored ledger shard by shard, in bounded memory, in this process or in a pool.

A shard's archive files are read first (:mod:`ledger_archive_read`), then its hot rows, in runs
of :data:`READ_ROWS` entries by ``(shard, seq)`` range. Each run comes
first as the canonical bytes the database assembles (:func:`leaf_documents`): when every entry
of the run hashes to its stored hash and links to the one before, the run is taken whole. A
run that does not (a payload stored before payloads were kept canonical, or an edited entry)
is read again decoded, entry by entry, so the verifier names the same first problem either
way. Shards are independent chains, so a process pool scans them on every core; each worker
reads its shard's state in the same snapshot as its entries (on PostgreSQL, the snapshot the
caller exported, so the whole verification sees one database state).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text

from gatehouse.ledger import (
    BLOCK_LEAVES,
    TILE_LEAVES,
    BadEntry,
    ShardScan,
    ShardScanner,
    checked_leaves,
    subtree_problem,
)
from gatehouse.services.ledger_archive_read import scan_archives
from gatehouse.store.db import make_engine
from gatehouse.store.ledger import LedgerRepository, consistent_read
from gatehouse.store.ledger_archive import ArchiveRepository
from gatehouse.store.ledger_rows import leaf_documents

__all__ = [
    "READ_ROWS",
    "ShardOutcome",
    "ShardTask",
    "export_snapshot",
    "scan_shard",
    "scan_shards",
]

READ_ROWS = 4 * BLOCK_LEAVES
"""Entries read per statement: a run of whole blocks, so a clean run hashes as subtrees."""

_SNAPSHOT_ID = re.compile(r"[0-9A-F]+(?:-[0-9A-F]+)+")


@dataclass(frozen=True)
class ShardTask:
    """One shard to scan: the tree sizes checkpoints claim, the leaves published ones
    proved, by seq, and the directory of the archive files its oldest entries may be in."""

    shard: int
    sizes: frozenset[int] = frozenset()
    known: Mapping[int, bytes] = field(default_factory=dict)
    archive_dir: str | None = None


@dataclass(frozen=True)
class ShardOutcome:
    """A shard's scan, its stored state body (None without one) and the first stored subtree
    root its entries do not reproduce, from one snapshot."""

    shard: int
    scan: ShardScan
    state: Any
    subtree_problem: BadEntry | None = None


def scan_shard(connection: Connection, task: ShardTask) -> ShardOutcome:
    """Scan one shard on ``connection`` (and so in its snapshot)."""
    repo = LedgerRepository(connection)
    shard = task.shard
    state = repo.state_bodies().get(shard)
    scanner = ShardScanner(shard, task.sizes, task.known, block=TILE_LEAVES)
    # The archive files first, from their records in this snapshot; the hot rows follow on
    # from where they end, the chain link across the boundary included.
    directory = None if task.archive_dir is None else Path(task.archive_dir)
    archives = ArchiveRepository(connection)
    whole = scan_archives(scanner, archives.records(shard), directory)
    last = repo.last_seq(shard) if whole else -1
    low = scanner.count
    first_hot = archives.first_hot(shard) if low else None
    if first_hot is not None and first_hot < low:
        reason = f"entry {first_hot} is in the hot table though it is archived"
        scanner.report(BadEntry(shard, first_hot, reason))
    decoded = False
    while low <= last:
        # Runs end on multiples of READ_ROWS, after an archive that ended between them too.
        high = low - low % READ_ROWS + READ_ROWS
        leaves = None
        fast = scanner.in_order and scanner.count == low
        if fast and decoded:
            # After a run read decoded, probe one entry first: rows stored before payloads
            # were kept canonical come in long stretches, and each would be read twice.
            probe = leaf_documents(connection, shard, low, low + 1)
            fast = checked_leaves(probe, low, scanner.prev_hash) is not None
        if fast:
            rows = leaf_documents(connection, shard, low, high)
            leaves = checked_leaves(rows, low, scanner.prev_hash)
            if leaves is not None:
                scanner.extend(leaves, [row[2] for row in rows])
        decoded = leaves is None
        if decoded:
            for entry in repo.entries_between(shard, low, high):
                scanner.add(entry)
        low = high
    scan = scanner.finish()
    # An entry's own problem explains any subtree over it; only report subtrees besides.
    stored = None
    if scan.problem is None:
        stored = subtree_problem(shard, scan.blocks, repo.subtrees.subtrees_of(shard))
    return ShardOutcome(shard, scan, state, stored)


def export_snapshot(connection: Connection) -> str | None:
    """On PostgreSQL, the id of the connection's snapshot for workers to share; else None."""
    if connection.dialect.name != "postgresql":
        return None
    return str(connection.execute(text("SELECT pg_export_snapshot()")).scalar_one())


@contextmanager
def _snapshot_read(engine: Engine, snapshot: str | None) -> Iterator[Connection]:
    with consistent_read(engine) as connection:
        if snapshot is not None:
            if not _SNAPSHOT_ID.fullmatch(snapshot):
                raise ValueError("not a PostgreSQL snapshot id")
            # Must be the transaction's first statement; the id is the exporter's own value.
            connection.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        yield connection


def _scan_in_worker(url: str, snapshot: str | None, task: ShardTask) -> ShardOutcome:
    engine = make_engine(url)
    try:
        with _snapshot_read(engine, snapshot) as connection:
            return scan_shard(connection, task)
    finally:
        engine.dispose()


def scan_shards(
    url: str,
    snapshot: str | None,
    tasks: list[ShardTask],
    *,
    workers: int | None = None,
    done: Callable[[ShardOutcome], None] | None = None,
) -> dict[int, ShardOutcome]:
    """Scan ``tasks`` in a pool of ``workers`` processes (one per core by default), each on
    its own connection to ``url``; ``done`` sees each outcome as it arrives."""
    count = workers or os.cpu_count() or 1
    outcomes: dict[int, ShardOutcome] = {}
    # Largest shards first would balance better, but they are alike by construction: shard
    # choice hashes the subject id.
    with ProcessPoolExecutor(max_workers=count, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_scan_in_worker, url, snapshot, task) for task in tasks]
        for future in as_completed(futures):
            outcome = future.result()
            outcomes[outcome.shard] = outcome
            if done is not None:
                done(outcome)
    return outcomes
