"""Keeping each whole day's audit fold once, and merging kept days into a report's fold.

A day is kept when a signed checkpoint is dated at least :data:`SETTLE` after the day's end:
the day's window is folded and verified against that checkpoint exactly as a report would
(:func:`audit_window.fold_window`), and only a day whose entries all verify and are all
covered is kept, its fold's JSON signed by the ledger's key together with the checkpoint.
Keeping takes the lock a checkpoint takes and keeps nothing unless the checkpoint it used is
still the latest, and each new checkpoint drops the kept days from the earliest stamp among
the entries it newly covers (a host whose clock lagged), so a kept day always holds every
entry stamped in it that a checkpoint covers.

A report of whole days that are all kept (:func:`merged_days`) merges their folds instead of
reading the days' entries: each fold must verify under a trusted key, name a stored
checkpoint by its digest, and no entry after the latest checkpoint may be stamped in the
window. A kept day that does not verify is evidence of a change to the database, and the
report says so; one that merely no longer fits (another format, other deadlines) is left
for the report's own pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from gatehouse.domain.audit_days import day_start, kept_day_document, state_text, whole_days
from gatehouse.domain.audit_fold import AuditFold
from gatehouse.ledger import Checkpoint, verify_signed_bytes
from gatehouse.services.audit_window import fold_window, window_fold
from gatehouse.services.ledger_keys import signer
from gatehouse.services.ledger_window import window_evidence
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.store.audit_days import KeptDay, KeptDayRepository

__all__ = [
    "SETTLE",
    "KeptDaysLedger",
    "KeptWindow",
    "checkpoint_digests",
    "drop_late_days",
    "keep_days",
    "keep_under_checkpoint",
    "merged_days",
    "signed_by",
]

SETTLE = timedelta(hours=1)
"""How long after a day's end a checkpoint must be dated before the day is kept: entries
stamped in the day by a host whose clock lags less than this are in it by then."""


@runtime_checkable
class KeptDaysLedger(Protocol):
    """A ledger kept in a database, beside its kept audit days."""

    @property
    def kept_days(self) -> KeptDayRepository: ...

    def latest_checkpoint(self) -> Checkpoint | None: ...

    def checkpoint_bodies_at(self, sequences: Iterable[int]) -> dict[int, Any]: ...


def _first_day(ledger: KeptDaysLedger, checkpoint: Checkpoint) -> date | None:
    stamps = [ledger.kept_days.first_stamp(head.shard) for head in checkpoint.shards]
    found = [stamp for stamp in stamps if stamp is not None]
    return min(found).date() if found else None


def _days_to_keep(ledger: KeptDaysLedger, checkpoint: Checkpoint) -> tuple[date | None, list[date]]:
    """The last day kept, and the days after it to keep now."""
    latest = ledger.kept_days.latest_day()
    first = latest + timedelta(days=1) if latest is not None else _first_day(ledger, checkpoint)
    last = (checkpoint.at - SETTLE).date() - timedelta(days=1)
    if first is None or first > last:
        return latest, []
    return latest, [first + timedelta(days=n) for n in range((last - first).days + 1)]


def keep_days(
    gh: Gatehouse,
    *,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[date]:
    """Fold and keep, in order, every whole day after the last one kept that the latest
    signed checkpoint is dated :data:`SETTLE` past; stop at a day whose entries do not all
    verify and lie under the checkpoint, or when a newer checkpoint or another keeper came
    in between, or after ``limit`` days. Returns the days kept."""
    with gh.unit_of_work(read_only=True) as uow:
        ledger = uow.ledger
        checkpoint = ledger.latest_checkpoint()
        if not isinstance(ledger, KeptDaysLedger) or checkpoint is None:
            return []
        previous, days = _days_to_keep(ledger, checkpoint)
    days = days if limit is None else days[:limit]
    if not days:
        return []
    key = signer(gh)
    evidence = window_evidence(gh)
    digest = checkpoint.digest()
    kept: list[date] = []
    for day in days:
        start, end = day_start(day), day_start(day + timedelta(days=1))
        with gh.unit_of_work(read_only=True) as uow:
            folded = fold_window(gh, uow, start, end, checkpoint, evidence)
        if not folded.checked.result.ok or folded.uncovered:
            break
        text = state_text(folded.fold.to_state())
        document = kept_day_document(day, checkpoint.sequence, digest, text)
        row = KeptDay(day, checkpoint.sequence, digest, text, key.sign_bytes(document))
        if not _keep(gh, row, checkpoint.sequence, previous):
            break
        previous = day
        kept.append(day)
        if progress is not None:
            progress(len(kept), len(days))
    return kept


def keep_under_checkpoint(
    gh: Gatehouse, sequence: int, keep: Callable[[KeptDayRepository], bool]
) -> bool:
    """Run ``keep`` (which writes, or says False) in a transaction holding the lock that
    checkpoints take, if the checkpoint of ``sequence`` is still the latest; whether it kept.
    Kept days are dropped only when a checkpoint is signed, so what was read under that
    checkpoint still stands."""
    with gh.unit_of_work() as uow:
        ledger = uow.ledger
        if not isinstance(ledger, KeptDaysLedger):
            return False
        repo = ledger.kept_days
        repo.lock()
        latest = ledger.latest_checkpoint()
        if latest is None or latest.sequence != sequence:
            return False
        return keep(repo)


def _keep(gh: Gatehouse, row: KeptDay, sequence: int, previous: date | None) -> bool:
    """Keep ``row`` if the checkpoint it was verified against is still the latest and the
    day before it is still the last kept; else False."""

    def keep(repo: KeptDayRepository) -> bool:
        if repo.latest_day() != previous:
            return False
        repo.add(row, gh.clock())
        return True

    return keep_under_checkpoint(gh, sequence, keep)


def drop_late_days(ledger: object, covered: Iterable[tuple[int, int, int]]) -> int:
    """Drop the kept days from the earliest stamp among the entries a new checkpoint covers
    (``(shard, first, end)`` ranges of positions), in the checkpoint's transaction; how many
    were dropped. A ledger without kept days has none to drop."""
    if not isinstance(ledger, KeptDaysLedger):
        return 0
    repo = ledger.kept_days
    repo.lock()
    latest = repo.latest_day()
    if latest is None:
        return 0
    stamps = [repo.earliest_stamp(shard, low, high) for shard, low, high in covered if high > low]
    found = [stamp for stamp in stamps if stamp is not None]
    if not found or min(found) >= day_start(latest + timedelta(days=1)):
        return 0
    return repo.drop_from(min(found).date())


@dataclass(frozen=True)
class KeptWindow:
    """A window's fold merged from its kept days (None when some day is not kept, or no
    longer fits), or the kept day that does not verify."""

    fold: AuditFold | None
    problem: str | None = None


def signed_by(document: bytes, signature: str, keys: set[str]) -> bool:
    """Whether ``signature`` over ``document`` verifies under one of ``keys``."""
    return any(verify_signed_bytes(document, signature, key) for key in keys)


def _verifies(day: KeptDay, keys: set[str]) -> bool:
    document = kept_day_document(day.day, day.checkpoint_sequence, day.checkpoint_digest, day.state)
    return signed_by(document, day.signature, keys)


def merged_days(
    gh: Gatehouse,
    uow: UnitOfWork,
    start: datetime,
    end: datetime,
    checkpoint: Checkpoint | None,
    keys: set[str],
) -> KeptWindow:
    """The fold of ``[start, end)`` merged from its kept days, when it is made of whole days
    that are all kept, each verifying under one of ``keys`` and naming a stored checkpoint,
    and no entry after ``checkpoint`` is stamped in it."""
    days = whole_days(start, end)
    ledger = uow.ledger
    if not days or checkpoint is None or not isinstance(ledger, KeptDaysLedger):
        return KeptWindow(None)
    repo = ledger.kept_days
    kept = repo.between(days[0], days[-1])
    if [k.day for k in kept] != days:
        return KeptWindow(None)
    for day in kept:
        if not _verifies(day, keys):
            return KeptWindow(None, f"the kept audit of {day.day} does not verify")
    digests = checkpoint_digests(ledger, {day.checkpoint_sequence for day in kept})
    for day in kept:
        if digests.get(day.checkpoint_sequence) != day.checkpoint_digest:
            reason = f"the kept audit of {day.day} names a checkpoint the database does not hold"
            return KeptWindow(None, reason)
    if any(repo.stamped_after(h.shard, h.size, start, end) for h in checkpoint.shards):
        return KeptWindow(None)
    fold = window_fold(gh, uow, start, end)
    try:
        for day in kept:
            fold.merge_state(json.loads(day.state))
    except ValueError:
        return KeptWindow(None)
    return KeptWindow(fold)


def checkpoint_digests(ledger: KeptDaysLedger, sequences: set[int]) -> dict[int, str]:
    """The digest of each stored checkpoint of ``sequences`` that parses."""
    found: dict[int, str] = {}
    for sequence, body in ledger.checkpoint_bodies_at(sequences).items():
        try:
            found[sequence] = Checkpoint.from_dict(body).digest()
        except (KeyError, TypeError, ValueError):
            continue
    return found
