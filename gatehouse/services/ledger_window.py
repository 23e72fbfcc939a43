"""Verifying one window of the ledger, as an audit of that window needs, not the whole ledger.

For each shard with entries stamped in ``[start, end)``, every entry from the window's first
position to its last is read, whatever its stamp (hosts' clocks disagree at the edges), with
the entry just before and just after it (so an edge entry re-stamped out of the window is
still read), rehashed and chained, the first linked to the stored hash of the entry before
it; one inclusion proof of the last covered entry's recomputed leaf then holds the run to the
latest signed checkpoint (:mod:`gatehouse.ledger.window`). That checkpoint counts only when a
key the installation vouches for signed it and it extends every published checkpoint. A shard
with nothing stamped in the window has the entries around it read and proven the same way, so
re-stamping all of a shard's window entries out of it hides nothing. A shard with archived
entries stamped in the window is verified whole, its archive files with it, by the verifier's
own scan. Other entries are not read: ``gatehouse ledger verify`` checks them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gatehouse.ledger import (
    GENESIS_HASH,
    BadEntry,
    Checkpoint,
    LedgerEntry,
    ShardHead,
    ShardScanner,
    ShardState,
    TrustedCheckpoints,
    VerifyResult,
    format_at,
    judge_shard,
    streamed_audit_path,
    trusted_checkpoints,
)
from gatehouse.ledger.window import WindowWalk, earliest, proof_problem, window_result
from gatehouse.services.ledger_archive_entries import (
    ArchiveStream,
    archive_directory,
    archive_records,
    with_archives,
)
from gatehouse.services.ledger_archive_read import (
    ArchiveUnreadable,
    parse_records,
    stamped_between,
)
from gatehouse.services.ledger_keys import trusted_keys
from gatehouse.services.ledger_subtrees import SubtreeLedger, stored_tree
from gatehouse.services.ledger_verify import outside_evidence, parse_checkpoints
from gatehouse.services.ports import Ledger
from gatehouse.services.runtime import Gatehouse

__all__ = ["WindowCheck", "WindowEvidence", "check_window", "verify_window", "window_evidence"]

Observer = Callable[[LedgerEntry], None]
Progress = Callable[[int, int], None]
_READ = 5000
Records = Mapping[int, Sequence[Sequence[Any]]]


@dataclass(frozen=True)
class WindowEvidence:
    """What the window is held to beyond the database: the public keys the installation
    vouches for, the published checkpoints, and what could not be read of them."""

    keys: frozenset[str]
    published: tuple[tuple[str, Checkpoint], ...] = ()
    problems: tuple[BadEntry, ...] = ()


def window_evidence(gh: Gatehouse) -> WindowEvidence:
    """The installation's trusted keys and its published checkpoints, if a directory is set."""
    outside = outside_evidence(gh.checkpoint_dir, None)
    keys = frozenset(trusted_keys(gh) | outside.keys)
    return WindowEvidence(keys, tuple(outside.checkpoints), tuple(outside.problems))


@dataclass(frozen=True)
class WindowCheck:
    """The window's verdict (``entries`` counts the entries read), the checkpoint its entries
    were proven against (None when none counts), the shards proven against it and the shards
    verified whole because their archive files hold entries of the window."""

    result: VerifyResult
    checkpoint: Checkpoint | None
    proven: tuple[int, ...]
    whole: tuple[int, ...]


def _checkpoint(
    ledger: Ledger, evidence: WindowEvidence
) -> tuple[Checkpoint | None, TrustedCheckpoints, list[BadEntry | None]]:
    """The latest stored checkpoint when it counts, the checkpoints that count, and the
    problems among them, checked as the verifier checks them."""
    checkpoints, parsed = parse_checkpoints(ledger.checkpoint_bodies())
    problems: list[BadEntry | None] = [*parsed, *evidence.problems]
    if (checkpoints or evidence.published) and not evidence.keys:
        problems.append(BadEntry(-1, -1, "checkpoints exist but the signing key is missing"))
        return None, trusted_checkpoints([], set()), problems
    trusted = trusted_checkpoints(checkpoints, set(evidence.keys), evidence.published)
    problems += trusted.problems
    latest = max(checkpoints, key=lambda checkpoint: checkpoint.sequence, default=None)
    if latest is None:
        return None, trusted, problems
    # Only a signature the installation vouches for makes its roots worth proving against;
    # one that does not verify was named among the problems already.
    counts = any(found.digest() == latest.digest() for found in trusted.checkpoints)
    return (latest if counts else None), trusted, problems


def _reaching(records: Records, directory: Path | None, start: datetime, end: datetime) -> set[int]:
    """Shards whose archive files hold an entry stamped in the window, or that cannot be
    read to tell: those are verified whole, so a missing or changed file is named."""
    low, high = format_at(start), format_at(end)
    reached: set[int] = set()
    for shard, rows in records.items():
        parsed, malformed = parse_records(shard, rows)
        if malformed is not None or directory is None:
            reached.add(shard)
            continue
        for record in parsed:
            try:
                stamped = stamped_between(directory / record.file_name, low, high)
            except (ArchiveUnreadable, OSError):
                stamped = 1
            if stamped:
                reached.add(shard)
                break
    return reached


def _stored_head(ledger: Ledger, shard: int) -> ShardHead | None:
    body = ledger.state_bodies().get(shard)
    try:
        return None if body is None else ShardState.from_dict(body).head
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


class _Reader:
    """Reads the window shard by shard in the caller's unit of work."""

    def __init__(
        self,
        ledger: Ledger,
        checkpoint: Checkpoint | None,
        trusted: TrustedCheckpoints,
        records: Records,
        directory: Path | None,
        observe: Observer | None,
    ) -> None:
        self.ledger, self.checkpoint, self.trusted = ledger, checkpoint, trusted
        self.records, self.directory, self.observe = records, directory, observe
        # Proofs read archived leaves from their files where the hot table lacks them.
        self.seen = with_archives(ledger, directory) if records else ledger

    def _see(self, entry: LedgerEntry) -> None:
        if self.observe is not None:
            self.observe(entry)

    def _prev_hash(self, shard: int, seq: int) -> str | None:
        """The stored hash of entry ``seq - 1``, hot or archived; None when it is missing."""
        if seq == 0:
            return GENESIS_HASH
        before = self.ledger.get_entry(shard, seq - 1)
        if before is not None:
            return before.entry_hash
        for record in parse_records(shard, self.records.get(shard, ()))[0]:
            if record.last == seq - 1:
                return record.last_hash
        return None

    def _lead(self, shard: int, first: int) -> int:
        """Where the walk starts: at the entry before the window when the hot table holds it.

        An insider who re-stamps the window's first entry to before the window moves it out
        of the window's positions; the entry before the window is read and rehashed too, so
        that entry no longer hashes and is named. The last one is held the same way.
        """
        if first > 0 and self.ledger.get_entry(shard, first - 1) is not None:
            return first - 1
        return first

    def window(
        self, shard: int, start: datetime, end: datetime
    ) -> tuple[int, BadEntry | None, bool]:
        """Entries read, the first problem of the shard's window, and whether a checkpoint
        proved some of them; ``(0, None, False)`` when none is stamped in the window."""
        bounds = self.ledger.window_seqs(shard, start, end)
        if bounds is not None:
            return self._held(shard, *bounds)
        # Nothing is stamped in the window, yet its edges are read and proven all the same:
        # an insider who re-stamped every window entry of the shard to outside it would
        # otherwise leave the audit nothing to read there.
        around = [seq for seq in self.ledger.stamped_around(shard, start, end) if seq is not None]
        if not around:
            return 0, None, False
        count, problem, _ = self._held(shard, min(around), max(around))
        return count, problem, False

    def _held(self, shard: int, stamped: int, last: int) -> tuple[int, BadEntry | None, bool]:
        """Entries ``stamped``..``last`` and one either side walked and held to the
        checkpoint: what :meth:`window` returns for them."""
        checkpoint = self.checkpoint
        head = None if checkpoint is None else checkpoint.head(shard)
        first = self._lead(shard, stamped)
        prev = self._prev_hash(shard, first)
        missing = None
        if prev is None:
            missing = BadEntry(shard, first - 1, f"sequence gap: entry {first - 1} is missing")
        walk = WindowWalk(shard, first, prev or "", 0 if head is None else head.size)
        for entry in self.ledger.stream_range(shard, first, last + 1, batch=_READ):
            walk.add(entry)
            self._see(entry)
        run = walk.finish(last)
        if checkpoint is None or head is None or run.covered_seq is None:
            return run.count, earliest([missing, run.problem]), False
        try:
            path = self._audit_path(shard, run.covered_seq, head.size)
        except ValueError as exc:
            reason = f"checkpoint #{checkpoint.sequence} cannot prove entry {run.covered_seq}"
            return run.count, BadEntry(shard, run.first, f"{reason}: {exc}"), False
        problem = earliest([missing, proof_problem(run, checkpoint, path)])
        # Proven only when the proof reaches the window itself, not just the entry before it.
        return run.count, problem, problem is None and run.covered_seq >= stamped

    def _audit_path(self, shard: int, seq: int, size: int) -> list[str]:
        # Stored subtree roots are not trusted: a wrong one cannot reach the signed root.
        seen = self.seen
        if isinstance(seen, SubtreeLedger):
            return stored_tree(seen, shard, size).audit_path(seq)
        return streamed_audit_path(seen.stream_hashes(shard, size), seq, size)

    def whole(self, shard: int) -> tuple[int, BadEntry | None]:
        """Entries read and the first problem of the whole shard, archive files first, by
        the verifier's scan, judged against every checkpoint that counts."""
        scanner = ShardScanner(shard, self.trusted.sizes(shard))
        archives = ArchiveStream(self.records, self.directory)
        for entry in archives.entries(shard):
            scanner.add(entry)
            self._see(entry)
        follows = shard not in archives.stopped
        for entry in self.ledger.stream_shard(shard, batch=_READ):
            if follows:
                scanner.add(entry)
            self._see(entry)
        scan = scanner.finish()
        head = _stored_head(self.ledger, shard)
        judged = judge_shard(shard, scan, head, self.trusted.checkpoints)
        return scan.count, earliest([*archives.problems, judged])


def check_window(
    ledger: Ledger,
    start: datetime,
    end: datetime,
    evidence: WindowEvidence,
    *,
    archive_dir: Path | None = None,
    observe: Observer | None = None,
    progress: Progress | None = None,
) -> WindowCheck:
    """Verify the entries of ``[start, end)`` in the caller's unit of work; ``observe`` sees
    every entry read (those stamped outside the window at its edges too), ``progress`` is
    called as ``progress(shards_done, shards)``. Archived entries come from ``archive_dir``
    (by default the configured archive directory)."""
    checkpoint, trusted, problems = _checkpoint(ledger, evidence)
    records = archive_records(ledger)
    directory = archive_directory(archive_dir) if records else None
    whole = _reaching(records, directory, start, end)
    reader = _Reader(ledger, checkpoint, trusted, records, directory, observe)
    shards = sorted(set(ledger.shards_with_entries()) | whole)
    entries = 0
    proven: list[int] = []
    for done, shard in enumerate(shards, 1):
        if shard in whole:
            count, problem = reader.whole(shard)
        else:
            count, problem, held = reader.window(shard, start, end)
            if held:
                proven.append(shard)
        entries += count
        problems.append(problem)
        if progress is not None:
            progress(done, len(shards))
    return WindowCheck(window_result(entries, problems), checkpoint, tuple(proven), tuple(whole))


def verify_window(
    gh: Gatehouse, start: datetime, end: datetime, *, archive_dir: Path | None = None
) -> WindowCheck:
    """:func:`check_window` on one read-only snapshot of ``gh``'s ledger."""
    evidence = window_evidence(gh)
    with gh.unit_of_work(read_only=True) as uow:
        return check_window(
            uow.ledger, start, end, evidence, archive_dir=archive_dir or gh.archive_dir
        )
