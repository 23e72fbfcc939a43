"""The ledger verifier: recompute every hash, walk every chain, hold them to heads and checkpoints.

Entries alone catch edits, deletions, insertions and reordering. The stored shard heads catch a
truncated tail. Only the signed checkpoints catch a forger who edits an entry and then recomputes
every later hash, so the verifier treats a checkpoint mismatch as evidence even when each chain
looks perfect.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from gatehouse.ledger.chain import chain_problem, published_problem, trusted_key_for
from gatehouse.ledger.checkpoint import Checkpoint, ShardHead
from gatehouse.ledger.entry import LedgerEntry
from gatehouse.ledger.scan import ShardScan, ShardScanner
from gatehouse.ledger.verify_types import BadEntry, VerifyResult

__all__ = [
    "BadEntry",
    "TrustedCheckpoints",
    "VerifyResult",
    "judge_shard",
    "trusted_checkpoints",
    "verify_ledger",
    "verify_scans",
]


def _head_problem(shard: int, scan: ShardScan, head: ShardHead) -> tuple[BadEntry | None, bool]:
    """Return the head's problem and whether it is only narrowed to a range, not one entry."""
    if head.shard != shard:
        return BadEntry(shard, 0, f"shard head is for shard {head.shard}"), False
    if head.size != scan.count:
        seq = min(head.size, scan.count)
        return BadEntry(
            shard, seq, f"shard head says size {head.size}, found {scan.count} entries"
        ), False
    if head.head_hash != scan.last_hash:
        if scan.count == 0:
            return BadEntry(shard, 0, "shard head hash is not the genesis hash"), False
        last = scan.count - 1
        return BadEntry(shard, last, f"shard head hash does not match entry {last}"), False
    if head.root != scan.root.hex():
        return BadEntry(shard, 0, "shard head root does not match the entries"), True
    return None, False


def judge_shard(
    shard: int, scan: ShardScan, head: ShardHead | None, checkpoints: Sequence[Checkpoint]
) -> BadEntry | None:
    """The shard's first problem, from its scan, its stored head and the checkpoints that
    count; a checkpoint mismatch only bounds where the change lies, so an exact problem at
    or before it is named instead."""
    exact: list[BadEntry] = [] if scan.problem is None else [scan.problem]
    # (end of range, problem named at the start of the range)
    ranged: list[tuple[int, BadEntry]] = []
    if head is not None:
        problem, is_range = _head_problem(shard, scan, head)
        if problem is not None and is_range:
            ranged.append((scan.count, problem))
        elif problem is not None:
            exact.append(problem)
    matched: list[int] = []
    mismatched: list[tuple[int, int]] = []
    for checkpoint in checkpoints:
        claimed = checkpoint.head(shard)
        if claimed is None:
            continue
        number, size = checkpoint.sequence, claimed.size
        if size > scan.count:
            reason = (
                f"checkpoint #{number} says shard {shard} has {size} entries, found {scan.count}"
            )
            exact.append(BadEntry(shard, scan.count, reason))
        elif scan.roots_at[size].hex() != claimed.root:
            mismatched.append((size, number))
        elif scan.hashes_at[size] != claimed.head_hash:
            reason = f"checkpoint #{number} head hash mismatch for shard {shard}"
            exact.append(BadEntry(shard, size - 1, reason))
        else:
            matched.append(size)
    for size, number in mismatched:
        # Entries below the largest smaller size that still matches are as they were signed.
        start = max((m for m in matched if m < size), default=0)
        if scan.rewritten is not None and start <= scan.rewritten < size:
            reason = (
                f"entry differs from the one checkpoint #{number} signed"
                " (rewritten, with the chain recomputed after it)"
            )
            exact.append(BadEntry(shard, scan.rewritten, reason))
            continue
        reason = (
            f"checkpoint #{number} root mismatch for shard {shard}"
            f" (the change is in entries {start}..{size - 1})"
        )
        ranged.append((size, BadEntry(shard, start, reason)))
    first_exact = min(exact, key=lambda bad: bad.seq, default=None)
    first_range = min(ranged, key=lambda item: (item[0], item[1].seq), default=None)
    # An exact problem inside or before the earliest bad range explains it and is more precise.
    if first_exact is not None and (first_range is None or first_exact.seq < first_range[0]):
        return first_exact
    return None if first_range is None else first_range[1]


def _signed(
    checkpoints: Iterable[Checkpoint], keys: set[str], where: str | None
) -> tuple[list[Checkpoint], BadEntry | None]:
    """The checkpoints a trusted key signed, by sequence, and the first that none did.

    A checkpoint whose hash a later accepted one names is accepted too, whatever key signed
    it: the later signature covers it, so a retired key's checkpoints stay verifiable.
    """
    valid: list[Checkpoint] = []
    problem: BadEntry | None = None
    vouched: set[str] = set()
    for checkpoint in sorted(checkpoints, key=lambda cp: cp.sequence, reverse=True):
        if checkpoint.digest() in vouched or trusted_key_for(checkpoint, keys) is not None:
            valid.append(checkpoint)
            if checkpoint.previous is not None:
                vouched.add(checkpoint.previous)
        else:
            source = "" if where is None else f" from {where}"
            reason = f"checkpoint #{checkpoint.sequence}{source} signature does not verify"
            problem = BadEntry(-1, -1, reason)
    valid.reverse()
    return valid, problem


@dataclass(frozen=True)
class TrustedCheckpoints:
    """The checkpoints that count (stored and published, by sequence) and the problems found
    among them before any entry is read."""

    checkpoints: list[Checkpoint]
    problems: list[BadEntry | None]

    def sizes(self, shard: int) -> set[int]:
        """The tree sizes of ``shard`` whose roots the checkpoints claim."""
        return {claimed.size for c in self.checkpoints if (claimed := c.head(shard)) is not None}


def trusted_checkpoints(
    checkpoints: Sequence[Checkpoint],
    keys: set[str],
    published: Sequence[tuple[str, Checkpoint]] = (),
) -> TrustedCheckpoints:
    """Sort out which checkpoints a trusted key vouches for, and whether they form a chain
    that the published ones agree with (see :func:`verify_ledger`)."""
    if (checkpoints or published) and not keys:
        raise ValueError("checkpoints can only be trusted with the key that signed them")
    valid: list[Checkpoint] = []
    problems: list[BadEntry | None] = []
    if keys:
        valid, unsigned = _signed(checkpoints, keys, None)
        problems = [unsigned, chain_problem(valid)]
    stored = {checkpoint.sequence: checkpoint for checkpoint in valid}
    outside: list[tuple[str, Checkpoint]] = []
    for where, checkpoint in published:
        if checkpoint == stored.get(checkpoint.sequence):
            outside.append((where, checkpoint))
            continue
        kept, unsigned = _signed([checkpoint], keys, where)
        problems.append(unsigned)
        outside += [(where, found) for found in kept]
    problems.append(published_problem(stored, outside))
    # A published checkpoint the database lost still holds the entries to what it signed.
    every = valid + [cp for _, cp in outside if cp != stored.get(cp.sequence)]
    return TrustedCheckpoints(every, problems)


def verify_scans(
    scans: Mapping[int, ShardScan],
    heads: Mapping[int, ShardHead] | None,
    trusted: TrustedCheckpoints,
) -> VerifyResult:
    """Judge every shard's scan against its head and the checkpoints; name the first problem.

    A shard a head or checkpoint names but ``scans`` lacks counts as empty.
    """
    every = trusted.checkpoints
    numbers = set(scans) | set(heads or {}) | {h.shard for c in every for h in c.shards}
    total = 0
    first_bad: BadEntry | None = None
    for shard in sorted(numbers):
        scan = scans.get(shard)
        if scan is None:
            scan = ShardScanner(shard, trusted.sizes(shard)).finish()
        total += scan.count
        head = None if heads is None else heads.get(shard, ShardHead.empty(shard))
        problem = judge_shard(shard, scan, head, every)
        if first_bad is None:
            first_bad = problem
    if first_bad is None:
        first_bad = next((problem for problem in trusted.problems if problem is not None), None)
    return VerifyResult(ok=first_bad is None, entries=total, first_bad=first_bad)


def verify_ledger(
    shards: Mapping[int, Iterable[LedgerEntry]],
    heads: Mapping[int, ShardHead] | None = None,
    checkpoints: Sequence[Checkpoint] = (),
    public_key_b64: str | None = None,
    *,
    trusted_keys: Iterable[str] = (),
    published: Sequence[tuple[str, Checkpoint]] = (),
    known_leaves: Mapping[int, Mapping[int, bytes]] | None = None,
) -> VerifyResult:
    """Verify every shard in order, then the checkpoints; name the first bad entry.

    Each shard's entries must come in stored order (by ``seq``). With ``heads`` given, a shard
    without a head counts as empty. Checkpoints count only when signed by ``public_key_b64``
    or one of ``trusted_keys``; the stored ones must form an unbroken chain. ``published``
    holds ``(where, checkpoint)`` kept outside the database: each must be stored unchanged,
    and the entries must extend it. ``known_leaves`` (shard, then seq, to leaf hash) are
    leaves a published checkpoint proved, which name an entry rewritten under a new chain.
    """
    keys = set(trusted_keys) | ({public_key_b64} if public_key_b64 is not None else set())
    trusted = trusted_checkpoints(checkpoints, keys, published)
    every = trusted.checkpoints
    numbers = set(shards) | set(heads or {}) | {h.shard for c in every for h in c.shards}
    scans: dict[int, ShardScan] = {}
    for shard in sorted(numbers):
        known = {} if known_leaves is None else known_leaves.get(shard, {})
        scanner = ShardScanner(shard, trusted.sizes(shard), known)
        for entry in shards.get(shard, ()):
            scanner.add(entry)
        scans[shard] = scanner.finish()
    return verify_scans(scans, heads, trusted)
