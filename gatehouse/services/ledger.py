"""The ledger as a use case: append inside a caller's transaction, sign, verify and prove.

Other services call :func:`append` on their own connection, so an entry commits or rolls back
with the decision it records. Everything else here opens its own connection.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from gatehouse.domain.errors import Conflict, InvalidInput, NotFound
from gatehouse.ledger import (
    BadEntry,
    Checkpoint,
    CheckpointSigner,
    CompactRange,
    LedgerEntry,
    ShardHead,
    ShardState,
    VerifyResult,
    append_entry,
    checkpoint_inclusion,
    shard_for,
    verify_inclusion_proof,
    verify_ledger,
)
from gatehouse.services.paging import split_page
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.ledger import LedgerRepository, consistent_read
from gatehouse.store.ledger_tables import ID_LENGTH, KIND_LENGTH
from gatehouse.store.subjects import VaultSecretRepository
from gatehouse.vault import unwrap_key, wrap_key

__all__ = [
    "checkpoint_if_due",
    "LEDGER_SHARDS",
    "LEDGER_SIGNING_SECRET",
    "Progress",
    "append",
    "public_key",
    "make_checkpoint",
    "latest_checkpoint",
    "verify",
    "inclusion_proof",
    "entries_for_subject",
    "entries",
]

LEDGER_SHARDS = 16
"""Shards of a new ledger. A ledger keeps the count it was created with (see ``ledger_meta``)."""

LEDGER_SIGNING_SECRET = "ledger-signing"
"""The ``vault_secrets`` name (and wrapping context) of the checkpoint signing key."""

Progress = Callable[[int, int], None]
"""Called as ``progress(entries_read, entries_expected)`` while verifying."""

_CHECKPOINT_ATTEMPTS = 5
_CURSOR = re.compile(r"([0-9]{1,9})-([0-9]{1,18})")
_VERIFY_BATCH = 1000


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


# -- the signing key ----------------------------------------------------------------------


def _stored_signer(gh: Gatehouse) -> CheckpointSigner | None:
    with gh.engine.connect() as connection:
        wrapped = VaultSecretRepository(connection).get(LEDGER_SIGNING_SECRET)
    if wrapped is None:
        return None
    raw = unwrap_key(wrapped, LEDGER_SIGNING_SECRET, gh.keyring)
    return CheckpointSigner.from_private_bytes(raw)


def _signer(gh: Gatehouse) -> CheckpointSigner:
    """The ledger's signing key, created and stored wrapped on first use."""
    signer = _stored_signer(gh)
    if signer is not None:
        return signer
    signer = CheckpointSigner.generate()
    wrapped = wrap_key(signer.private_bytes(), LEDGER_SIGNING_SECRET, gh.keyring)
    try:
        with gh.engine.begin() as connection:
            VaultSecretRepository(connection).add(LEDGER_SIGNING_SECRET, wrapped, gh.clock())
    except IntegrityError:
        # Another process stored one first; theirs signs every checkpoint.
        signer = _stored_signer(gh)
        if signer is None:
            raise
    return signer


def public_key(gh: Gatehouse) -> str:
    """The base64 Ed25519 public key that verifies this ledger's checkpoints."""
    return _signer(gh).public_key_b64()


# -- checkpoints --------------------------------------------------------------------------


def make_checkpoint(gh: Gatehouse) -> Checkpoint:
    """Sign every shard's current head as the next checkpoint, store it and return it."""
    signer = _signer(gh)
    for _ in range(_CHECKPOINT_ATTEMPTS):
        try:
            with gh.engine.begin() as connection:
                checkpoint = _sign_next(LedgerRepository(connection), signer, gh.clock())
            return checkpoint
        except IntegrityError:
            # Another process took this sequence number; read the newer state and try again.
            continue
    raise Conflict("checkpoints are being signed concurrently; try again", code="checkpoint_busy")


def _sign_next(repo: LedgerRepository, signer: CheckpointSigner, now: datetime) -> Checkpoint:
    count = repo.shard_count(LEDGER_SHARDS, create=True)
    # The previous checkpoint is read before the heads, so the heads read are at least as new
    # as the ones it signed: each checkpoint then extends the one before it.
    previous = repo.latest_checkpoint()
    states = {shard: ShardState.from_dict(body) for shard, body in repo.state_bodies().items()}
    heads = [
        states[shard].head if shard in states else ShardHead.empty(shard) for shard in range(count)
    ]
    sequence = 1
    if previous is not None:
        sequence = previous.sequence + 1
        # Hosts' clocks disagree a little; a checkpoint is never dated before its predecessor.
        now = max(now, previous.at)
    checkpoint = signer.sign(sequence, now, heads)
    repo.add_checkpoint(checkpoint)
    return checkpoint


def checkpoint_if_due(gh: Gatehouse, every: timedelta) -> Checkpoint | None:
    """Sign a checkpoint when the last one is older than ``every`` and the ledger has grown.

    Periodic checkpoints bound how much history an attacker with database access could
    rewrite unnoticed; an idle ledger gains nothing from more of them.
    """
    with gh.engine.connect() as connection:
        repo = LedgerRepository(connection)
        previous = repo.latest_checkpoint()
        size = sum(ShardState.from_dict(body).head.size for body in repo.state_bodies().values())
    if previous is not None:
        signed = sum(head.size for head in previous.shards)
        if size == signed or gh.clock() - previous.at < every:
            return None
    elif size == 0:
        return None
    return make_checkpoint(gh)


def latest_checkpoint(gh: Gatehouse) -> Checkpoint | None:
    """The newest signed checkpoint, or None before the first one."""
    with gh.engine.connect() as connection:
        return LedgerRepository(connection).latest_checkpoint()


# -- verification -------------------------------------------------------------------------


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
    """Each shard's entries, read batch by batch only when the verifier reaches that shard."""

    def __init__(self, repo: LedgerRepository, numbers: set[int], meter: _Meter) -> None:
        self._repo = repo
        self._numbers = numbers
        self._meter = meter

    def __getitem__(self, shard: int) -> Iterable[LedgerEntry]:
        if shard not in self._numbers:
            raise KeyError(shard)
        return self._entries(shard)

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self._numbers))

    def __len__(self) -> int:
        return len(self._numbers)

    def _entries(self, shard: int) -> Iterator[LedgerEntry]:
        pending = 0
        for entry in self._repo.stream_shard(shard, batch=_VERIFY_BATCH):
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


def _parse_checkpoints(
    bodies: list[tuple[int, Any]],
) -> tuple[list[Checkpoint], list[BadEntry]]:
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


def verify(gh: Gatehouse, *, progress: Progress | None = None) -> VerifyResult:
    """Re-check every entry, chain, shard head and checkpoint; name the first bad entry.

    Reads one consistent snapshot, so appends committed meanwhile are neither missed nor
    mistaken for tampering, and streams each shard in batches instead of loading the ledger.
    """
    # Read, never created here: verifying must not mint a key that would then vouch for
    # checkpoints it never signed.
    signer = _stored_signer(gh)
    with consistent_read(gh.engine) as connection:
        repo = LedgerRepository(connection)
        checkpoints, problems = _parse_checkpoints(repo.checkpoint_bodies())
        heads, head_problems = _parse_heads(repo.state_bodies())
        problems += head_problems
        count = repo.shard_count(LEDGER_SHARDS, create=False)
        numbers = set(range(count)) | set(heads) | set(repo.shards_with_entries())
        meter = _Meter(sum(head.size for head in heads.values()), progress)
        shards = _StoredShards(repo, numbers, meter)
        if checkpoints and signer is None:
            problems.append(BadEntry(-1, -1, "checkpoints exist but the signing key is missing"))
            result = verify_ledger(shards, heads)
        else:
            key = None if signer is None else signer.public_key_b64()
            result = verify_ledger(shards, heads, checkpoints, key)
    # Adapter findings go first, so on a tie their more specific reason is the one named.
    first_bad = _earliest([*problems, result.first_bad])
    return VerifyResult(ok=first_bad is None, entries=result.entries, first_bad=first_bad)


# -- proofs -------------------------------------------------------------------------------


def _path_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose subtree roots make up RFC 6962 PATH(index), nearest first."""
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def _streamed_audit_path(hashes: Iterable[tuple[int, str]], index: int, size: int) -> list[str]:
    """The audit path of leaf ``index``, from leaf hashes streamed in order, in O(log n) memory.

    The ranges of the path are disjoint and cover every leaf but ``index``, so one pass that
    feeds each leaf to its range's compact range yields every subtree root.
    """
    ranges = _path_ranges(index, size)
    ordered = sorted(ranges)
    subtrees = {bounds: CompactRange() for bounds in ranges}
    current = 0
    expected = 0
    for seq, entry_hash in hashes:
        if seq != expected:
            raise ValueError(f"entry {expected} is missing")
        expected += 1
        if seq == index:
            continue
        while ordered[current][1] <= seq:
            current += 1
        subtrees[ordered[current]].append(bytes.fromhex(entry_hash))
    if expected != size:
        raise ValueError(f"found {expected} entries, expected {size}")
    return [subtrees[bounds].root().hex() for bounds in ranges]


def inclusion_proof(gh: Gatehouse, shard: int, seq: int) -> dict[str, Any]:
    """Prove entry ``(shard, seq)`` is in the latest checkpoint; the entry itself is included.

    The proof has the shape of :func:`gatehouse.ledger.inclusion_proof_for`, so
    :func:`gatehouse.ledger.verify_inclusion_proof` checks it against that checkpoint.
    """
    with gh.engine.connect() as connection:
        repo = LedgerRepository(connection)
        checkpoint = repo.latest_checkpoint()
        if checkpoint is None:
            raise NotFound("no checkpoint has been signed yet", code="no_checkpoint")
        head = checkpoint.head(shard)
        if head is None:
            raise NotFound(f"the ledger has no shard {shard}", code="no_such_shard")
        if not 0 <= seq < head.size:
            raise NotFound(
                f"entry {seq} of shard {shard} is not in checkpoint #{checkpoint.sequence}",
                code="not_in_checkpoint",
                details={"checkpoint_sequence": checkpoint.sequence, "tree_size": head.size},
            )
        entry = repo.get_entry(shard, seq)
        try:
            if entry is None or entry.leaf().hex() != entry.entry_hash:
                raise ValueError(f"entry {seq} does not match its hash")
            path = _streamed_audit_path(repo.stream_hashes(shard, head.size), seq, head.size)
        except ValueError as exc:
            raise _tampered(shard, checkpoint, str(exc)) from None
    proof: dict[str, Any] = {
        "shard": shard,
        "seq": seq,
        "tree_size": head.size,
        "leaf_hash": entry.entry_hash,
        "audit_path": path,
        "shard_root": head.root,
        "checkpoint_sequence": checkpoint.sequence,
        "checkpoint_path": checkpoint_inclusion(checkpoint, shard),
    }
    # The shard root is taken from the checkpoint, so this checks the stored leaves against it.
    if not verify_inclusion_proof(proof, checkpoint):
        raise _tampered(shard, checkpoint, "the stored entries do not reproduce its root")
    proof["entry"] = entry.to_dict()
    return proof


def _tampered(shard: int, checkpoint: Checkpoint, reason: str) -> Conflict:
    return Conflict(
        f"shard {shard} no longer matches checkpoint #{checkpoint.sequence}: {reason}; "
        "run `gatehouse ledger verify`",
        code="ledger_mismatch",
        details={"shard": shard, "checkpoint_sequence": checkpoint.sequence},
    )


# -- reading ------------------------------------------------------------------------------


def entries_for_subject(gh: Gatehouse, subject_id: str) -> list[LedgerEntry]:
    """Every entry about one subject, oldest first (they all sit in the subject's shard)."""
    with gh.engine.connect() as connection:
        return LedgerRepository(connection).find(subject_id=subject_id)


def _parse_cursor(cursor: str) -> tuple[int, int]:
    # ASCII digits only: str.isdecimal() and int() also accept other scripts' digits.
    match = _CURSOR.fullmatch(cursor)
    if match is None:
        raise InvalidInput("cursor is not one this endpoint returned", code="invalid_cursor")
    return int(match[1]), int(match[2])


def entries(
    gh: Gatehouse,
    *,
    kind: str | None = None,
    subject_id: str | None = None,
    recipient_id: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> tuple[list[LedgerEntry], str | None]:
    """A page of entries matching every filter given, in (shard, seq) order.

    ``after`` is the cursor a previous page returned; the second value is the next page's
    cursor, or None at the end.
    """
    position = None if after is None else _parse_cursor(after)
    with gh.engine.connect() as connection:
        page = LedgerRepository(connection).find(
            kind=kind,
            subject_id=subject_id,
            recipient_id=recipient_id,
            after=position,
            limit=limit + 1,
        )
    return split_page(page, limit, lambda entry: f"{entry.shard}-{entry.seq}")
