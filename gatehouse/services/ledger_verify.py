"""Verifying the whole stored ledger: every entry, chain, shard head and checkpoint."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from gatehouse.ledger import (
    BadEntry,
    Checkpoint,
    CompactRange,
    LeafRun,
    LedgerEntry,
    ShardHead,
    ShardState,
    TrustedCheckpoints,
    VerifyResult,
    key_fingerprint,
    proven_leaves,
    trusted_checkpoints,
    verify_checkpoint,
    verify_ledger,
    verify_scans,
)
from gatehouse.services.ledger_anchors import read_anchors, read_trusted
from gatehouse.services.ledger_append import LEDGER_SHARDS
from gatehouse.services.ledger_archive_entries import (
    ArchiveStream,
    archive_directory,
    archive_records,
)
from gatehouse.services.ledger_keys import trusted_keys
from gatehouse.services.ledger_shards import (
    ShardOutcome,
    ShardTask,
    export_snapshot,
    scan_shard,
    scan_shards,
)
from gatehouse.services.ports import Ledger
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.db import make_engine
from gatehouse.store.ledger import LedgerRepository, consistent_read

__all__ = [
    "PARALLEL_FROM",
    "Observer",
    "Progress",
    "Outside",
    "outside_evidence",
    "parse_checkpoints",
    "shareable_url",
    "verify",
    "verify_database",
    "verify_sharded",
    "verify_stored",
]

Progress = Callable[[int, int], None]
"""Called as ``progress(entries_read, entries_expected)`` while verifying."""

Observer = Callable[[LedgerEntry], None]
"""Shown each entry as the verification reads it."""

_VERIFY_BATCH = 1000
PARALLEL_FROM = 200_000
"""From this many entries on, shards are scanned in a process pool rather than in process:
below it, starting the workers costs more than the second core saves."""


class _Meter:
    def __init__(self, total: int, progress: Progress | None) -> None:
        self.done = 0
        self.total = total
        self._progress = progress

    def advance(self, count: int) -> None:
        self.done += count
        if self._progress is not None and count:
            self._progress(self.done, max(self.total, self.done))


class _StoredShards(Mapping[int, Iterable[LedgerEntry]]):
    """Each shard's entries, archived then hot, read batch by batch only when the verifier
    reaches that shard."""

    def __init__(
        self,
        repo: Ledger,
        numbers: set[int],
        meter: _Meter,
        observe: Observer | None,
        archives: ArchiveStream,
    ) -> None:
        self._repo = repo
        self._numbers = numbers
        self._meter = meter
        self._observe = observe
        self._archives = archives

    def __getitem__(self, shard: int) -> Iterable[LedgerEntry]:
        if shard not in self._numbers:
            raise KeyError(shard)
        return self._entries(shard)

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self._numbers))

    def __len__(self) -> int:
        return len(self._numbers)

    def _entries(self, shard: int) -> Iterator[LedgerEntry]:
        yield from self._read(self._archives.entries(shard))
        if shard not in self._archives.stopped:
            yield from self._read(self._repo.stream_shard(shard, batch=_VERIFY_BATCH))

    def _read(self, entries: Iterator[LedgerEntry]) -> Iterator[LedgerEntry]:
        pending = 0
        observe = self._observe
        for entry in entries:
            if observe is not None:
                observe(entry)
            yield entry
            pending += 1
            if pending == _VERIFY_BATCH:
                self._meter.advance(pending)
                pending = 0
        self._meter.advance(pending)


def _parse_heads(bodies: Mapping[int, Any]) -> tuple[dict[int, ShardHead], list[BadEntry]]:
    """Stored heads by shard, and the state rows that are unreadable or inconsistent."""
    heads: dict[int, ShardHead] = {}
    problems: list[BadEntry] = []
    for shard, body in bodies.items():
        try:
            state = ShardState.from_dict(body)
            # A frontier that disagrees with its root would stop the shard's next append.
            consistent = (
                CompactRange(state.head.size, state.frontier).root().hex() == state.head.root
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            problems.append(BadEntry(shard, -1, "stored shard state is malformed"))
            continue
        heads[shard] = state.head
        if not consistent:
            problems.append(BadEntry(shard, -1, "stored shard frontier does not match its root"))
    return heads, problems


def parse_checkpoints(bodies: list[tuple[int, Any]]) -> tuple[list[Checkpoint], list[BadEntry]]:
    """The stored checkpoints that parse, and a problem for each that does not."""
    checkpoints: list[Checkpoint] = []
    problems: list[BadEntry] = []
    for sequence, body in bodies:
        try:
            checkpoint = Checkpoint.from_dict(body)
        except (KeyError, TypeError, ValueError):
            problems.append(BadEntry(-1, -1, f"checkpoint #{sequence} is malformed"))
            continue
        if checkpoint.sequence != sequence:
            reason = f"checkpoint #{sequence} is stored as #{checkpoint.sequence}"
            problems.append(BadEntry(-1, -1, reason))
        checkpoints.append(checkpoint)
    return checkpoints, problems


def _earliest(problems: Iterable[BadEntry | None]) -> BadEntry | None:
    """The problem the verifier would name first: lowest shard, then seq; ledger-wide last."""
    found = [problem for problem in problems if problem is not None]
    return min(found, key=lambda bad: (bad.shard < 0, bad.shard, bad.seq), default=None)


@dataclass
class Outside:
    """Evidence kept outside the database: published checkpoints, the leaves they newly
    covered, the keys a saved checkpoint vouches for, and what could not be read."""

    checkpoints: list[tuple[str, Checkpoint]] = field(default_factory=list)
    runs: list[tuple[Checkpoint, LeafRun]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    problems: list[BadEntry] = field(default_factory=list)
    trusted: Checkpoint | None = None


def outside_evidence(anchors: Path | None, trusted: Path | None) -> Outside:
    """Read the anchor directory and a saved checkpoint; InvalidInput for an unreadable one."""
    found = Outside()
    if anchors is not None:
        read = read_anchors(anchors)
        found.checkpoints += read.checkpoints
        found.runs += read.runs
        found.problems += read.problems
    if trusted is not None:
        checkpoint, key, runs = read_trusted(trusted)
        found.trusted = checkpoint
        found.checkpoints.append(("the trusted checkpoint", checkpoint))
        found.runs += [(checkpoint, run) for run in runs]
        if verify_checkpoint(checkpoint, key):
            # Whoever saved it vouches for its key: a database signed by another fails.
            found.keys.add(key)
        else:
            reason = "the trusted checkpoint does not verify under its own public key"
            found.problems.append(BadEntry(-1, -1, reason))
    return found


def _key_problem(trusted: Checkpoint, stored: list[Checkpoint]) -> BadEntry | None:
    """A changed signing key since the trusted checkpoint: the newest must share its key."""
    newest = max([trusted, *stored], key=lambda checkpoint: checkpoint.sequence)
    if newest.key_id == trusted.key_id:
        return None
    now = newest.key_id if newest.public_key is None else key_fingerprint(newest.public_key)
    return BadEntry(
        -1,
        -1,
        f"the ledger's signing key changed since the trusted checkpoint #{trusted.sequence}:"
        f" checkpoint #{newest.sequence} is signed by key {now[:16]}, not {trusted.key_id}",
    )


def verify(
    gh: Gatehouse,
    *,
    progress: Progress | None = None,
    observe: Observer | None = None,
    trusted: Path | None = None,
    anchors: Path | None = None,
    workers: int | None = None,
    archive_dir: Path | None = None,
) -> VerifyResult:
    """Re-check every entry, chain, shard head and checkpoint; name the first bad entry.

    ``anchors`` (by default the configured checkpoint directory) and ``trusted`` (a checkpoint
    saved elsewhere) hold the database to checkpoints it cannot rewrite. Reads one consistent
    snapshot, so appends committed meanwhile are neither missed nor mistaken for tampering,
    and streams each shard in batches instead of loading the ledger. ``observe`` sees each
    entry as it is read, so a report can fold the ledger in the same pass; after a failed
    verification it may not have seen them all. On a database (and without ``observe``) the
    shards are scanned by :func:`verify_sharded`, in ``workers`` processes. Archived entries
    are read from ``archive_dir`` (by default the configured archive directory) first.
    """
    outside = outside_evidence(anchors or gh.checkpoint_dir, trusted)
    keys = trusted_keys(gh) | outside.keys
    archives = archive_dir or gh.archive_dir
    if observe is None and gh.unit_of_work_factory is None:
        url = shareable_url(gh)
        if url is None:
            workers = 1
        return verify_sharded(
            gh.engine, url or "", keys, outside, progress=progress, workers=workers,
            archive_dir=archives,
        )  # fmt: skip
    with gh.unit_of_work(read_only=True) as uow:
        return verify_stored(
            uow.ledger, None, progress=progress, observe=observe, keys=keys, outside=outside,
            archive_dir=archives,
        )  # fmt: skip


def verify_database(url: str, keys: tuple[str, ...], anchors: str | None) -> VerifyResult:
    """:func:`verify` of the ledger at ``url``, in a process of its own, with only the public
    ``keys`` the installation vouches for and the published checkpoints in ``anchors``: no
    master key is needed to check what the public keys vouch for. Archived entries are read
    from the configured archive directory."""
    outside = outside_evidence(Path(anchors) if anchors else None, None)
    engine = make_engine(url)
    try:
        keys_vouched = set(keys) | outside.keys
        return verify_sharded(engine, url, keys_vouched, outside, archive_dir=archive_directory())
    finally:
        engine.dispose()


def shareable_url(gh: Gatehouse) -> str | None:
    """The URL another process can open, or None (in-memory SQLite, in-memory fakes)."""
    if gh.unit_of_work_factory is not None:
        return None
    url = gh.engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return url.render_as_string(hide_password=False)


def _trusted(
    checkpoints: list[Checkpoint], keys: set[str], outside: Outside, problems: list[BadEntry]
) -> TrustedCheckpoints:
    if (checkpoints or outside.checkpoints) and not keys:
        problems.append(BadEntry(-1, -1, "checkpoints exist but the signing key is missing"))
        return trusted_checkpoints([], keys)
    return trusted_checkpoints(checkpoints, keys, outside.checkpoints)


def verify_sharded(
    engine: Engine,
    url: str,
    keys: Iterable[str],
    outside: Outside | None = None,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    archive_dir: Path | None = None,
) -> VerifyResult:
    """:func:`verify_stored` of the database behind ``engine``, its archive files (in
    ``archive_dir``) and hot rows streamed shard by shard in bounded memory by
    :mod:`ledger_shards`: in this process when ``workers`` is 1 or the ledger is
    small (below :data:`PARALLEL_FROM` entries), else in a pool of ``workers`` processes (one
    per core by default) that open ``url`` and share this read's snapshot on PostgreSQL."""
    trusted = set(keys)
    outside = outside or Outside()
    with consistent_read(engine) as connection:
        repo = LedgerRepository(connection)
        checkpoints, problems = parse_checkpoints(repo.checkpoint_bodies())
        bodies = repo.state_bodies()
        stored_heads, _ = _parse_heads(bodies)
        count = repo.shard_count(LEDGER_SHARDS, create=False)
        # Every stored state, even an unreadable one: its worker reports it.
        numbers = set(range(count)) | set(bodies) | set(repo.shards_with_entries())
        context = _trusted(checkpoints, trusted, outside, problems)
        known = proven_leaves(outside.runs) if trusted else {}
        directory = archive_directory(archive_dir)
        where = None if directory is None else str(directory)
        tasks = [
            ShardTask(shard, frozenset(context.sizes(shard)), known.get(shard, {}), where)
            for shard in sorted(numbers)
        ]
        meter = _Meter(sum(head.size for head in stored_heads.values()), progress)
        pool = workers if workers is not None else (os.cpu_count() or 1)
        if pool > 1 and meter.total < PARALLEL_FROM and workers is None:
            pool = 1
        outcomes: dict[int, ShardOutcome] = {}
        if pool > 1:
            snapshot = export_snapshot(connection)

            def done(outcome: ShardOutcome) -> None:
                meter.advance(outcome.scan.count)

            outcomes = scan_shards(url, snapshot, tasks, workers=pool, done=done)
        else:
            for task in tasks:
                outcomes[task.shard] = scan_shard(connection, task)
                meter.advance(outcomes[task.shard].scan.count)
    states = {shard: o.state for shard, o in outcomes.items() if o.state is not None}
    heads, head_problems = _parse_heads(states)
    result = verify_scans({shard: o.scan for shard, o in outcomes.items()}, heads, context)
    changed = None if outside.trusted is None else _key_problem(outside.trusted, checkpoints)
    # Adapter findings go first, so on a tie their more specific reason is the one named.
    stored = [outcome.subtree_problem for outcome in outcomes.values()]
    # A stored subtree comes last: on a tie the checkpoint's own finding is the one named.
    found = [*problems, *head_problems, *outside.problems, result.first_bad, changed, *stored]
    first_bad = _earliest(found)
    return VerifyResult(ok=first_bad is None, entries=result.entries, first_bad=first_bad)


def verify_stored(
    repo: Ledger,
    public_key: str | None,
    *,
    progress: Progress | None = None,
    observe: Observer | None = None,
    keys: Iterable[str] = (),
    outside: Outside | None = None,
    archive_dir: Path | None = None,
) -> VerifyResult:
    """Verify the ledger ``repo`` reads (its archive files in ``archive_dir`` first), its
    checkpoints against ``public_key`` and ``keys`` (with none, any checkpoint is itself a
    problem), and against ``outside`` evidence."""
    trusted = set(keys) | ({public_key} if public_key is not None else set())
    outside = outside or Outside()
    checkpoints, problems = parse_checkpoints(repo.checkpoint_bodies())
    heads, head_problems = _parse_heads(repo.state_bodies())
    problems += head_problems
    count = repo.shard_count(LEDGER_SHARDS, create=False)
    numbers = set(range(count)) | set(heads) | set(repo.shards_with_entries())
    meter = _Meter(sum(head.size for head in heads.values()), progress)
    archives = ArchiveStream(archive_records(repo), archive_directory(archive_dir))
    shards = _StoredShards(repo, numbers, meter, observe, archives)
    problems += outside.problems
    if (checkpoints or outside.checkpoints) and not trusted:
        problems.append(BadEntry(-1, -1, "checkpoints exist but the signing key is missing"))
        result = verify_ledger(shards, heads)
    else:
        result = verify_ledger(
            shards,
            heads,
            checkpoints,
            trusted_keys=trusted,
            published=outside.checkpoints,
            known_leaves=proven_leaves(outside.runs),
        )
    changed = None if outside.trusted is None else _key_problem(outside.trusted, checkpoints)
    # Adapter findings go first, so on a tie their more specific reason is the one named.
    first_bad = _earliest([*problems, *archives.problems, result.first_bad, changed])
    return VerifyResult(ok=first_bad is None, entries=result.entries, first_bad=first_bad)
