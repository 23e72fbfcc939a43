"""Settling each calendar month once its days are all kept, and reading a report's window from
what is kept.

A month is settled when every one of its days is kept (:mod:`audit_days`): the days' folds are
merged exactly as a report of the month would merge them (:func:`audit_days.merged_days`),
their duties paired at the month's end, and the settled findings (:class:`SettledAudit`) kept
as JSON, signed by the ledger's key together with the latest checkpoint. The report of that
month then reads one row, not its days: what a month at a million customers must count
exactly across its days (the notices its consents answered, the erasures still waiting) is
counted once, when it is settled.

Keeping a month takes the lock a checkpoint takes and keeps nothing unless the checkpoint it
read the days under is still the latest: days are dropped only when a checkpoint is signed,
and dropping a day drops the months from its month on, so a settled month always stands on
days that are still kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from gatehouse.domain.audit_days import (
    ChangedPage,
    KeptPage,
    calendar_month,
    day_start,
    kept_month_document,
    month_end,
    paged_state,
    pages_for,
    state_text,
    unpaged_state,
)
from gatehouse.domain.audit_settled import SettledAudit
from gatehouse.ledger import Checkpoint
from gatehouse.services.audit_days import (
    KeptDaysLedger,
    checkpoint_digests,
    keep_under_checkpoint,
    merged_days,
    signed_by,
)
from gatehouse.services.audit_window import window_rules
from gatehouse.services.ledger_keys import signer
from gatehouse.services.ledger_window import window_evidence
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.store.audit_days import KeptDayRepository, KeptMonth

__all__ = ["KeptAudit", "keep_months", "kept_window"]


def _months_to_keep(repo: KeptDayRepository) -> list[date]:
    """The months after the last one settled whose days are all kept, in order."""
    latest_day, earliest = repo.latest_day(), repo.earliest_day()
    if latest_day is None or earliest is None:
        return []
    latest = repo.latest_month()
    if latest is not None:
        month = month_end(latest)
    else:
        # The ledger's first month began before its first day: it is never whole.
        month = earliest if earliest.day == 1 else month_end(earliest)
    months: list[date] = []
    while month_end(month) <= latest_day + timedelta(days=1):
        months.append(month)
        month = month_end(month)
    return months


def keep_months(
    gh: Gatehouse,
    *,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[date]:
    """Settle and keep, in order, each calendar month after the last one kept whose days are
    all kept; stop at a month whose days do not merge (one does not verify, or an entry the
    checkpoint does not cover is stamped in it), when a newer checkpoint or another keeper
    came in between, or after ``limit`` months. Returns the months kept (their first days)."""
    with gh.unit_of_work(read_only=True) as uow:
        ledger = uow.ledger
        checkpoint = ledger.latest_checkpoint()
        if not isinstance(ledger, KeptDaysLedger) or checkpoint is None:
            return []
        months = _months_to_keep(ledger.kept_days)
    months = months if limit is None else months[:limit]
    if not months:
        return []
    key = signer(gh)
    keys = set(window_evidence(gh).keys)
    digest = checkpoint.digest()
    kept: list[date] = []
    for month in months:
        start, end = day_start(month), day_start(month_end(month))
        with gh.unit_of_work(read_only=True) as uow:
            merged = merged_days(gh, uow, start, end, checkpoint, keys)
        if merged.fold is None:
            break
        head, pages = paged_state(merged.fold.settle().to_state())
        text = state_text(head)
        document = kept_month_document(month, checkpoint.sequence, digest, text)
        row = KeptMonth(month, checkpoint.sequence, digest, text, key.sign_bytes(document))
        if not _keep(gh, row, pages, checkpoint.sequence):
            break
        kept.append(month)
        if progress is not None:
            progress(len(kept), len(months))
    return kept


def _keep(gh: Gatehouse, row: KeptMonth, pages: list[KeptPage], sequence: int) -> bool:
    """Keep ``row`` if the checkpoint its days were read under is still the latest and no
    other keeper kept the month; else False."""

    def keep(repo: KeptDayRepository) -> bool:
        if repo.month(row.month) is not None:
            return False
        repo.add_month(row, pages, gh.clock())
        return True

    return keep_under_checkpoint(gh, sequence, keep)


@dataclass(frozen=True)
class KeptAudit:
    """A window's settled audit made from what is kept (None when it cannot be), or what
    kept does not verify."""

    audit: SettledAudit | None
    problem: str | None = None


def _settled_month(
    gh: Gatehouse,
    ledger: KeptDaysLedger,
    kept: KeptMonth,
    start: datetime,
    end: datetime,
    keys: set[str],
    listed: int | None,
) -> KeptAudit | None:
    """The kept month as a settled audit; a problem when it does not verify; None when it
    no longer fits the report (another format, other deadlines)."""
    name = f"{kept.month:%Y-%m}"
    document = kept_month_document(
        kept.month, kept.checkpoint_sequence, kept.checkpoint_digest, kept.state
    )
    if not signed_by(document, kept.signature, keys):
        return KeptAudit(None, f"the kept audit of {name} does not verify")
    digests = checkpoint_digests(ledger, {kept.checkpoint_sequence})
    if digests.get(kept.checkpoint_sequence) != kept.checkpoint_digest:
        reason = f"the kept audit of {name} names a checkpoint the database does not hold"
        return KeptAudit(None, reason)
    pages = ledger.kept_days.month_pages(kept.month, pages_for(listed))
    try:
        state = unpaged_state(json.loads(kept.state), pages, listed)
        settled = SettledAudit.from_state(state, listed=listed)
    except ChangedPage:
        # The state is signed, so a page that is not the one it names was changed.
        return KeptAudit(None, f"the kept audit of {name} does not verify")
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if settled.start != start or settled.end != end or settled.rules != window_rules(gh):
        return None
    return KeptAudit(settled)


def kept_window(
    gh: Gatehouse,
    uow: UnitOfWork,
    start: datetime,
    end: datetime,
    checkpoint: Checkpoint | None,
    keys: set[str],
    *,
    listed: int | None = None,
) -> KeptAudit:
    """The settled audit of ``[start, end)`` from what is kept: a calendar month's own row
    when it is settled (of whose listed exceptions only the earliest ``listed`` are read),
    else the merge of the window's kept days (:func:`merged_days`, whose conditions hold for
    both); nothing when neither can be used."""
    ledger = uow.ledger
    month = calendar_month(start, end)
    if month is not None and checkpoint is not None and isinstance(ledger, KeptDaysLedger):
        kept = ledger.kept_days.month(month)
        if kept is not None and not any(
            ledger.kept_days.stamped_after(h.shard, h.size, start, end) for h in checkpoint.shards
        ):
            found = _settled_month(gh, ledger, kept, start, end, keys, listed)
            if found is not None:
                return found
    merged = merged_days(gh, uow, start, end, checkpoint, keys)
    return KeptAudit(None if merged.fold is None else merged.fold.settle(), merged.problem)
