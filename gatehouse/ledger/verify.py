"""The ledger verifier: recompute every hash, walk every chain, hold them to heads and checkpoints.

Entries alone catch edits, deletions, insertions and reordering. The stored shard heads catch a
truncated tail. Only the signed checkpoints catch a forger who edits an entry and then recomputes
every later hash, so the verifier treats a checkpoint mismatch as evidence even when each chain
looks perfect.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from gatehouse.ledger.chain import chain_problem, published_problem, trusted_key_for
from gatehouse.ledger.checkpoint import Checkpoint, ShardHead
from gatehouse.ledger.entry import GENESIS_HASH, LedgerEntry
from gatehouse.ledger.merkle import EMPTY_ROOT, HASH_SIZE, CompactRange
from gatehouse.ledger.verify_types import BadEntry, VerifyResult

__all__ = [
    "BadEntry",
    "VerifyResult",
    "verify_ledger",
]


@dataclass
class _Scan:
    """What one pass over a shard's entries established."""

    count: int = 0
    problem: BadEntry | None = None
    root: bytes = EMPTY_ROOT
    last_hash: str = GENESIS_HASH
    # Merkle root and last entry hash at each size a checkpoint needs, gathered in the one pass.
    roots_at: dict[int, bytes] = field(default_factory=dict)
    hashes_at: dict[int, str] = field(default_factory=dict)
    # The first entry whose leaf differs from a leaf a published checkpoint proved: an entry
    # rewritten with the chain recomputed after it, which only a root would otherwise show.
    rewritten: int | None = None


def _recomputed_leaf(entry: LedgerEntry) -> tuple[bytes, str | None]:
    try:
        return entry.leaf(), None
    except (ValueError, TypeError, AttributeError) as exc:
        # A placeholder leaf keeps later checkpoint roots computable; it can never match.
        return bytes(HASH_SIZE), str(exc)


def _entry_problem(
    entry: LedgerEntry,
    shard: int,
    position: int,
    leaf: bytes,
    error: str | None,
    prev_hash: str,
    before_prev: str,
) -> BadEntry | None:
    if entry.shard != shard:
        return BadEntry(shard, position, f"entry belongs to shard {entry.shard}")
    if error is not None:
        return BadEntry(shard, position, f"malformed entry: {error}")
    if leaf.hex() != entry.entry_hash:
        return BadEntry(shard, position, "hash mismatch (entry was edited)")
    if entry.prev_hash == prev_hash:
        return None
    if position == 0:
        return BadEntry(shard, 0, "prev_hash of entry 0 is not the genesis hash")
    if entry.prev_hash == before_prev:
        # This entry skips its predecessor, so the predecessor was slipped into the chain.
        target = "the genesis hash" if position == 1 else f"entry {position - 2}"
        return BadEntry(shard, position - 1, f"inserted entry: entry {position} links to {target}")
    return BadEntry(shard, position, f"prev_hash does not link to entry {position - 1}")


def _sequence_problem(shard: int, position: int, found: int, later: set[int]) -> BadEntry:
    if found < 0:
        return BadEntry(shard, position, f"malformed entry: seq {found}")
    if found < position:
        return BadEntry(shard, found, f"duplicate seq {found}: an entry was inserted")
    if position in later:
        return BadEntry(shard, position, f"out of order: expected {position}, found {found}")
    return BadEntry(
        shard, position, f"sequence gap: expected {position}, found {found} (missing entry)"
    )


def _scan(
    entries: Iterable[LedgerEntry], shard: int, sizes: set[int], known: Mapping[int, bytes]
) -> _Scan:
    """Walk the entries once, in stored order, keeping O(log n) state besides ``later``."""
    scan = _Scan()
    compact = CompactRange()
    if 0 in sizes:
        scan.roots_at[0], scan.hashes_at[0] = EMPTY_ROOT, GENESIS_HASH
    prev_hash = before_prev = GENESIS_HASH
    anomaly: tuple[int, int] | None = None
    # Sequence numbers after the first anomaly tell a missing entry from a misplaced one.
    later: set[int] = set()
    for position, entry in enumerate(entries):
        leaf, error = _recomputed_leaf(entry)
        seq = entry.seq
        seq_ok = isinstance(seq, int) and not isinstance(seq, bool)
        if anomaly is not None:
            if seq_ok:
                later.add(seq)
        elif scan.problem is None:
            if not seq_ok:
                scan.problem = BadEntry(shard, position, "malformed entry: seq is not an integer")
            elif seq != position:
                anomaly = (position, seq)
            else:
                scan.problem = _entry_problem(
                    entry, shard, position, leaf, error, prev_hash, before_prev
                )
        if scan.rewritten is None and known.get(position, leaf) != leaf:
            scan.rewritten = position
        compact.append(leaf)
        before_prev, prev_hash = prev_hash, entry.entry_hash
        scan.count = position + 1
        if scan.count in sizes:
            scan.roots_at[scan.count] = compact.root()
            scan.hashes_at[scan.count] = entry.entry_hash
    if anomaly is not None:
        scan.problem = _sequence_problem(shard, *anomaly, later)
    scan.root = compact.root()
    scan.last_hash = prev_hash
    return scan


def _head_problem(shard: int, scan: _Scan, head: ShardHead) -> tuple[BadEntry | None, bool]:
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


def _shard_problem(
    shard: int, scan: _Scan, head: ShardHead | None, checkpoints: Sequence[Checkpoint]
) -> BadEntry | None:
    """Pick the earliest problem; a checkpoint mismatch only bounds where the change lies."""
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
    numbers = set(shards) | set(heads or {}) | {h.shard for c in every for h in c.shards}
    total = 0
    first_bad: BadEntry | None = None
    for shard in sorted(numbers):
        sizes = {claimed.size for c in every if (claimed := c.head(shard)) is not None}
        known = {} if known_leaves is None else known_leaves.get(shard, {})
        scan = _scan(shards.get(shard, ()), shard, sizes, known)
        total += scan.count
        head = None if heads is None else heads.get(shard, ShardHead.empty(shard))
        problem = _shard_problem(shard, scan, head, every)
        if first_bad is None:
            first_bad = problem
    if first_bad is None:
        first_bad = next((problem for problem in problems if problem is not None), None)
    return VerifyResult(ok=first_bad is None, entries=total, first_bad=first_bad)
