"""A window of one shard's entries checked on its own: each entry rehashed, each link walked,
and the run held to a signed checkpoint by one inclusion proof.

Each entry's hash covers its predecessor's, so when the recomputed leaf of the last entry a
checkpoint covers is proven under the checkpoint's signed root, every entry of the run up to
it is as the checkpoint signed it. Entries after it are not covered by a checkpoint yet. The
caller reads the entries and the audit path; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gatehouse.ledger.checkpoint import Checkpoint
from gatehouse.ledger.entry import LedgerEntry
from gatehouse.ledger.merkle import HASH_SIZE
from gatehouse.ledger.proofs import verify_inclusion_proof
from gatehouse.ledger.verify_types import BadEntry, VerifyResult

__all__ = ["WindowRun", "WindowWalk", "earliest", "proof_problem", "window_result"]


@dataclass(frozen=True)
class WindowRun:
    """What a walk over entries ``first``..``last`` of a shard found: how many it read, its
    first problem, and the last entry a checkpoint covers with its recomputed leaf."""

    shard: int
    first: int
    last: int
    count: int
    problem: BadEntry | None
    covered_seq: int | None
    covered_leaf: bytes | None


def _sequence_problem(shard: int, position: int, found: object) -> BadEntry:
    if not isinstance(found, int) or isinstance(found, bool) or found < 0:
        return BadEntry(shard, position, f"malformed entry: seq {found!r}")
    if found < position:
        return BadEntry(shard, found, f"duplicate seq {found}: an entry was inserted")
    return BadEntry(
        shard, position, f"sequence gap: expected {position}, found {found} (missing entry)"
    )


class WindowWalk:
    """Walks a shard's entries from ``first`` in ``seq`` order.

    ``prev_hash`` is the stored hash of entry ``first - 1`` (the genesis hash for entry 0),
    and ``covered`` the shard's size in the checkpoint the run is proven against (0 without
    one). Each entry is rehashed from its content and its ``prev_hash`` compared with the
    previous entry's recomputed hash, never with a stored one the previous entry may not
    match; the reasons are the verifier's own, so a report names an entry as it does.
    """

    def __init__(self, shard: int, first: int, prev_hash: str, covered: int) -> None:
        self.shard = shard
        self.first = first
        self._covered = covered
        self._next = first
        self._prev = prev_hash
        self._problem: BadEntry | None = None
        self._covered_seq: int | None = None
        self._covered_leaf: bytes | None = None

    @property
    def count(self) -> int:
        """Entries read so far."""
        return self._next - self.first

    def add(self, entry: LedgerEntry) -> None:
        """Check the next entry; after the first problem, entries are only counted."""
        position = self._next
        self._next += 1
        if self._problem is not None:
            return
        self._problem = self._check(entry, position)

    def _check(self, entry: LedgerEntry, position: int) -> BadEntry | None:
        shard = self.shard
        if entry.seq != position or isinstance(entry.seq, bool):
            return _sequence_problem(shard, position, entry.seq)
        if entry.shard != shard:
            return BadEntry(shard, position, f"entry belongs to shard {entry.shard}")
        try:
            leaf = entry.leaf()
        except (ValueError, TypeError, AttributeError) as exc:
            return BadEntry(shard, position, f"malformed entry: {exc}")
        if len(leaf) != HASH_SIZE or leaf.hex() != entry.entry_hash:
            return BadEntry(shard, position, "hash mismatch (entry was edited)")
        if entry.prev_hash != self._prev:
            if position == 0:
                return BadEntry(shard, 0, "prev_hash of entry 0 is not the genesis hash")
            return BadEntry(shard, position, f"prev_hash does not link to entry {position - 1}")
        self._prev = leaf.hex()
        if position < self._covered:
            self._covered_seq, self._covered_leaf = position, leaf
        return None

    def finish(self, last: int) -> WindowRun:
        """The walk's outcome, once entries up to ``last`` were asked for."""
        problem = self._problem
        if problem is None and self._next <= last:
            reason = f"sequence gap: expected {self._next}, found none (missing entry)"
            problem = BadEntry(self.shard, self._next, reason)
        covered = (None, None) if problem is not None else (self._covered_seq, self._covered_leaf)
        return WindowRun(self.shard, self.first, last, self.count, problem, *covered)


def proof_problem(
    run: WindowRun, checkpoint: Checkpoint, audit_path: Sequence[str]
) -> BadEntry | None:
    """None when ``audit_path`` proves the run's covered leaf under ``checkpoint``'s root for
    its shard; else the problem, named at the run's first entry (an entry from there to the
    covered one, or a stored subtree the path was read from, is not what was signed)."""
    head = checkpoint.head(run.shard)
    if run.covered_seq is None or run.covered_leaf is None or head is None:
        return None
    proof = {
        "shard": run.shard,
        "seq": run.covered_seq,
        "tree_size": head.size,
        "leaf_hash": run.covered_leaf.hex(),
        "audit_path": list(audit_path),
        "shard_root": head.root,
        "checkpoint_sequence": checkpoint.sequence,
    }
    if verify_inclusion_proof(proof, checkpoint):
        return None
    reason = (
        f"checkpoint #{checkpoint.sequence} does not prove entries {run.first}..{run.covered_seq}"
        f" of shard {run.shard}: one of them, or a stored subtree, was rewritten"
    )
    return BadEntry(run.shard, run.first, reason)


def earliest(problems: Iterable[BadEntry | None]) -> BadEntry | None:
    """The problem the verifier would name first: lowest shard, then seq; ledger-wide last."""
    found = [problem for problem in problems if problem is not None]
    return min(found, key=lambda bad: (bad.shard < 0, bad.shard, bad.seq), default=None)


def window_result(entries: int, problems: Iterable[BadEntry | None]) -> VerifyResult:
    """The verdict over ``entries`` read and every problem found, first named first."""
    first_bad = earliest(problems)
    return VerifyResult(ok=first_bad is None, entries=entries, first_bad=first_bad)
