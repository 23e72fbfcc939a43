"""The audit report: what the ledger shows for a window, article by article, with proof.

One read-only snapshot gives the window's entries, every suspension up to its end, the
notices they cite, the policy versions and the latest signed checkpoint, so the figures,
the samples and their inclusion proofs belong together. The window's entries are verified
in the same pass that folds them (:mod:`ledger_window`): each recomputed and chained, and
proven included in the signed checkpoint, so a report whose entries do not verify says so
on its first page. The rest of the ledger is ``gatehouse ledger verify``'s to check. The
fold and the window's verification read from the read replica when there is one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from gatehouse.domain.audit import AuditReport, EvidenceEntry, Finding, Integrity
from gatehouse.domain.audit_fold import AuditFold
from gatehouse.domain.audit_listing import AuditRules
from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.operator_profile import profile_from_content
from gatehouse.domain.policy import RulePack
from gatehouse.domain.suspension_spans import SUSPENSION_KINDS, SuspensionSpans
from gatehouse.ledger import Checkpoint, LedgerEntry
from gatehouse.services.ledger_proofs import prove
from gatehouse.services.ledger_verify import verify
from gatehouse.services.ledger_window import check_window, window_evidence
from gatehouse.services.ports import Ledger
from gatehouse.services.ports_policy import StoredPolicy
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork

__all__ = ["MAX_WINDOW_DAYS", "Progress", "build_audit", "day_window"]

Progress = Callable[[int, int], None]
"""Called as ``progress(done, to_do)`` while the window is read, shard by shard."""

# Ten years: longer than any retention the law asks, and a bound on a mistyped year.
MAX_WINDOW_DAYS = 3660
# The pack whose deadlines judge erasure acknowledgements: the one the ledger's law names.
_JURISDICTION = "KR"


def day_window(first: date, last: date) -> tuple[datetime, datetime]:
    """Whole UTC days ``first`` to ``last``, both included, as ``[start, end)``."""
    return (
        datetime.combine(first, time(), UTC),
        datetime.combine(last + timedelta(days=1), time(), UTC),
    )


def _check_window(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("from and to must carry a time zone", code="invalid_window")
    if end <= start:
        raise InvalidInput("to must be after from", code="invalid_window")
    if (end - start).days > MAX_WINDOW_DAYS:
        raise InvalidInput(f"a report covers at most {MAX_WINDOW_DAYS} days", code="invalid_window")


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


def _versions_in_force(history: Iterable[StoredPolicy], start: datetime, end: datetime) -> int:
    """Policy versions in force at some moment of ``[start, end)``."""
    count, next_effective = 0, None
    for policy in history:  # newest first
        if policy.effective_at < end and (next_effective is None or next_effective > start):
            count += 1
        next_effective = policy.effective_at
    return count


def _with_proofs(
    ledger: Ledger,
    checkpoint: Checkpoint | None,
    findings: tuple[Finding, ...],
    archive_dir: Path | None,
) -> tuple[Finding, ...]:
    """Each sample with its inclusion proof, when the checkpoint covers it."""
    if checkpoint is None:
        return findings

    def covered(sample: EvidenceEntry) -> bool:
        head = checkpoint.head(sample.shard)
        return head is not None and sample.seq < head.size

    wanted = [(s.shard, s.seq) for f in findings for s in f.samples if covered(s)]
    proofs = prove(ledger, wanted, archive_dir)

    def proven(sample: EvidenceEntry) -> EvidenceEntry:
        proof = proofs.get((sample.shard, sample.seq))
        return sample if proof is None else replace(sample, proof=proof.proof_fields())

    return tuple(replace(f, samples=tuple(proven(s) for s in f.samples)) for f in findings)


def _controller(uow: UnitOfWork) -> str | None:
    stored = uow.operator_profiles.latest()
    return None if stored is None else profile_from_content(stored.content).legal_name


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
    uow: UnitOfWork, registry: _Registry, pack: RulePack, start: datetime, end: datetime
) -> AuditFold:
    """A fold of ``[start, end)`` on what the registry and the pack say."""
    return AuditFold(
        start,
        end,
        _spans(uow.ledger, end),
        registry.notice_known,
        AuditRules(erasure_ack_days=pack.deadlines.erasure_ack_days),
        bases={
            code: (frozenset(basis.flows), frozenset(basis.kinds))
            for code, basis in pack.bases.items()
        },
        kind_of=registry.kind_of,
    )


def build_audit(
    gh: Gatehouse,
    start: datetime,
    end: datetime,
    *,
    progress: Progress | None = None,
    full: bool = False,
) -> AuditReport:
    """The audit of ``[start, end)``; InvalidInput (``invalid_window``) for a bad window.

    The window's entries are verified as they are folded, in one pass: recomputed, chained
    and proven included in the latest signed checkpoint (:mod:`ledger_window`), at the cost
    of the window, not of the ledger. ``full`` also runs ``gatehouse ledger verify``'s check
    of the whole ledger, and the report then says so.
    """
    _check_window(start, end)
    pack = gh.packs.for_country(_JURISDICTION)
    evidence = window_evidence(gh)
    with gh.unit_of_work(read_only=True, may_lag=True) as uow:
        ledger = uow.ledger
        checkpoint = ledger.latest_checkpoint()
        registry = _Registry(uow)
        fold = _fold(uow, registry, pack, start, end)
        window = _Window(start, end, checkpoint, fold, registry)
        checked = check_window(
            ledger, start, end, evidence, archive_dir=gh.archive_dir, observe=window.see,
            progress=progress,
        )  # fmt: skip
        window.flush()
        result = checked.result
        findings = fold.findings(
            policy_versions=_versions_in_force(uow.policies.history(), start, end)
        )
        if result.ok:
            # Proofs from a ledger that does not verify would prove nothing; the report
            # names its first bad entry instead.
            findings = _with_proofs(ledger, checkpoint, findings, gh.archive_dir)
        controller = _controller(uow)
    scope = "window"
    if full:
        whole = verify(gh)
        scope = "ledger"
        # The window's own problem, when there is one, is the one the report relies on.
        result = whole if result.ok else result
    bad = result.first_bad
    integrity = Integrity(
        ok=result.ok,
        entries=result.entries,
        first_bad=None if bad is None else f"{bad.shard}:{bad.seq} {bad.reason}",
        checkpoint_sequence=None if checkpoint is None else checkpoint.sequence,
        checkpoint_at=None if checkpoint is None else checkpoint.at,
        uncovered=window.uncovered,
        scope=scope,
        shards_proven=len(checked.proven),
        shards_whole=len(checked.whole),
    )
    return AuditReport(
        start=start,
        end=end,
        generated_at=gh.clock(),
        controller=controller,
        entries=fold.entries,
        findings=findings,
        by_month=fold.by_month(),
        by_country=fold.by_country(),
        integrity=integrity,
    )
