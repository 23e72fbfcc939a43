"""Folding an audit window: the registry lookups read ahead, the suspensions replayed, and the
window's entries verified in the same pass that folds them (:mod:`ledger_window`).

The report (:mod:`audit_report`) folds its window here, and so does keeping a day
(:mod:`audit_days`), so a kept day's fold is the very fold the report would have made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from gatehouse.domain.audit_fold import AuditFold
from gatehouse.domain.audit_listing import AuditRules
from gatehouse.domain.policy import RulePack
from gatehouse.domain.suspension_spans import SUSPENSION_KINDS, SuspensionSpans
from gatehouse.ledger import Checkpoint, LedgerEntry
from gatehouse.services.ledger_window import WindowCheck, WindowEvidence, check_window
from gatehouse.services.ports import Ledger
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork

__all__ = [
    "JURISDICTION",
    "FoldedWindow",
    "Progress",
    "fold_window",
    "window_fold",
    "window_rules",
]

Progress = Callable[[int, int], None]
"""Called as ``progress(done, to_do)`` while the window is read, shard by shard."""

# The pack whose deadlines judge erasure acknowledgements: the one the ledger's law names.
JURISDICTION = "KR"


def _spans(ledger: Ledger, end: datetime) -> SuspensionSpans:
    """Every suspension and resumption before ``end``, replayed in time order."""
    # Suspensions are few, the ledger is not: they are read on an index of their own.
    events = [e for e in ledger.suspensions() if e.at < end]
    events.sort(key=lambda e: (e.at, e.shard, e.seq))
    spans = SuspensionSpans()
    for entry in events:
        target_type, suspended = SUSPENSION_KINDS[entry.kind]
        target = entry.payload.get("target")
        if not isinstance(target, str):
            target = entry.recipient_id if target_type == "recipient" else None
        if target:
            spans.add((target_type, target), suspended, entry.at)
    return spans


# Window entries folded at a time: their notices and recipients are read in one query each.
_LOOKAHEAD = 2000
_ALLOWED = "transfer.allowed"


class _Registry:
    """What the fold asks of the registry (is a notice stored, what kind is a recipient),
    read for a batch of entries ahead of folding them, not one query per new value: a month
    at a million customers cites some 150,000 notices."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self.notices: dict[str, bool] = {}
        self.kinds: dict[str, str | None] = {}

    def read_ahead(self, entries: Iterable[LedgerEntry]) -> None:
        allowed = [e for e in entries if e.kind == _ALLOWED]
        cited = {e.payload.get("notice_hash") for e in allowed}
        hashes = {h for h in cited if isinstance(h, str) and h} - self.notices.keys()
        if hashes:
            stored = self._uow.notices.by_hashes(hashes)
            self.notices.update({h: h in stored for h in hashes})
        ids = {e.recipient_id for e in allowed if e.recipient_id} - self.kinds.keys()
        if ids:
            found = self._uow.recipients.get_many(ids)
            self.kinds.update({i: r.kind.value if (r := found.get(i)) else None for i in ids})

    def notice_known(self, notice_hash: str) -> bool:
        if notice_hash not in self.notices:
            self.notices[notice_hash] = bool(self._uow.notices.by_hashes([notice_hash]))
        return self.notices[notice_hash]

    def kind_of(self, recipient_id: str) -> str | None:
        if recipient_id not in self.kinds:
            recipient = self._uow.recipients.get(recipient_id)
            self.kinds[recipient_id] = None if recipient is None else recipient.kind.value
        return self.kinds[recipient_id]


class _Window:
    """Shown every entry read (the window's, and those between its positions stamped
    outside it); folds those of the window, counting any the checkpoint does not yet cover."""

    def __init__(
        self,
        start: datetime,
        end: datetime,
        checkpoint: Checkpoint | None,
        fold: AuditFold,
        registry: _Registry,
    ) -> None:
        self.start, self.end, self.fold = start, end, fold
        self.uncovered = 0
        self._covered = {} if checkpoint is None else {h.shard: h.size for h in checkpoint.shards}
        self._registry = registry
        self._pending: list[LedgerEntry] = []

    def see(self, entry: LedgerEntry) -> None:
        if self.start <= entry.at < self.end:
            self._pending.append(entry)
            self.uncovered += entry.seq >= self._covered.get(entry.shard, 0)
            if len(self._pending) >= _LOOKAHEAD:
                self.flush()

    def flush(self) -> None:
        """Fold the entries seen and not yet folded, in the order they were seen."""
        pending, self._pending = self._pending, []
        self._registry.read_ahead(pending)
        for entry in pending:
            self.fold.add(entry)


def _fold(
    registry: _Registry, pack: RulePack, start: datetime, end: datetime, spans: SuspensionSpans
) -> AuditFold:
    """A fold of ``[start, end)`` on what the registry, the pack and ``spans`` say."""
    return AuditFold(
        start,
        end,
        spans,
        registry.notice_known,
        _rules(pack),
        bases={
            code: (frozenset(basis.flows), frozenset(basis.kinds))
            for code, basis in pack.bases.items()
        },
        kind_of=registry.kind_of,
    )


def _rules(pack: RulePack) -> AuditRules:
    return AuditRules(erasure_ack_days=pack.deadlines.erasure_ack_days)


def window_rules(gh: Gatehouse) -> AuditRules:
    """The rules a report judges by now: a kept fold made by others no longer fits."""
    return _rules(gh.packs.for_country(JURISDICTION))


def window_fold(gh: Gatehouse, uow: UnitOfWork, start: datetime, end: datetime) -> AuditFold:
    """An empty fold of ``[start, end)`` with a report's rules, for kept days to merge into:
    it takes no entry of its own, so it replays no suspension."""
    pack = gh.packs.for_country(JURISDICTION)
    return _fold(_Registry(uow), pack, start, end, SuspensionSpans())


@dataclass(frozen=True)
class FoldedWindow:
    """A window folded and verified in one pass, with its entries the checkpoint does not
    cover yet."""

    fold: AuditFold
    checked: WindowCheck
    uncovered: int


def fold_window(
    gh: Gatehouse,
    uow: UnitOfWork,
    start: datetime,
    end: datetime,
    checkpoint: Checkpoint | None,
    evidence: WindowEvidence,
    *,
    progress: Progress | None = None,
) -> FoldedWindow:
    """Fold ``[start, end)`` while its entries are verified against ``checkpoint``."""
    registry = _Registry(uow)
    pack = gh.packs.for_country(JURISDICTION)
    fold = _fold(registry, pack, start, end, _spans(uow.ledger, end))
    window = _Window(start, end, checkpoint, fold, registry)
    checked = check_window(
        uow.ledger, start, end, evidence, archive_dir=gh.archive_dir, observe=window.see,
        progress=progress,
    )  # fmt: skip
    window.flush()
    return FoldedWindow(fold, checked, window.uncovered)
